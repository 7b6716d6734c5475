"""More-like-this on Reuters-21578: searchkit's ``Searcher.similar`` against Whoosh's ``more_like``.

Run from the repository root::

    python benchmarks/similar.py [--data DIR] [--sources 500] [--seed 14] [--index DIR]
                                 [--json benchmarks/results/similar.json]

Both engines index the same Reuters stories (``speed.reuters_docs``, read in
place from ``../shared/data``): searchkit through ``searchkit.Indexer.add_many``
(duplicate groups and stories on, as shipped), Whoosh as a plain index with a
StemmingAnalyzer on title and body (body with term vectors, which
``more_like`` reads its key terms from). ``--index`` keeps both indexes in that
folder (``searchkit/`` and ``whoosh/``) and reuses them on the next run.

A seeded sample of ``--sources`` stories that carry at least one TOPICS label
are the sources. For each, the top 10 similar stories of:

* ``searchkit``: ``Searcher.similar(id, limit=10)`` (leaves out the source's
  own duplicate group: its near-copies);
* ``whoosh``: ``searcher.more_like(docnum, "body", top=10)`` with its defaults
  (5 key terms, Bo1 model; it leaves out the source itself);
* ``whoosh, exact copies removed``: the same call asking for 10 more than the
  source's exact copies (stories with the same body text), those copies then
  dropped and the first 10 kept;
* ``whoosh, 25 terms, exact copies removed``: as above with ``numterms=25``, as
  many key terms as searchkit searches (``SIMILAR_TERMS``): is the gap only the
  number of terms?

Whoosh builds and answers in a child process that never imports searchkit
(``WhooshChild``: searchkit restricts Whoosh's unpickling process-wide), fed one
source at a time, so the engines' calls still alternate.

A similar story counts as relevant when it shares a TOPICS label with the source
(a story without labels shares none). Per source: ``share`` = relevant / returned
(0 when nothing is returned) and ``p_at_10`` = relevant / 10; the figures are
their mean and median over sources, how many sources got fewer than 10 (and
none), and seconds per call (engine calls interleaved source by source, after
a warm-up on other stories; searchkit's includes building its full hits with
snippets, Whoosh's is timed in the child). Against each Whoosh row: wins, ties
and losses on ``share`` and a bootstrap interval of the mean difference.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from speed import _NEWID, _STORY, Doc, _tag, build_searchkit, reuters_docs

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SEED = 14
TOP = 10
WARMUP = 20
BOOTSTRAP = 2000
BUILT = "built"
"""Marker written beside an index (``searchkit.built``) once its build finished:
a broken build is not reused."""
ENGINES = ("searchkit", "whoosh", "whoosh_no_copies", "whoosh_25_no_copies")
WHOOSH_TERMS = 5
"""``more_like``'s default number of key terms."""
MORE_TERMS = 25
"""As many key terms as searchkit's ``SIMILAR_TERMS``, for the extra Whoosh row."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def reuters_topics(data_dir: Path) -> dict[str, frozenset[str]]:
    """Id (as ``speed.reuters_docs`` spells it) -> the story's TOPICS codes, from the SGML.

    Parsed story by story with the loader's own patterns, so the ids match and a
    story's labels never come from its neighbour.
    """
    topics: dict[str, frozenset[str]] = {}
    for path in sorted((data_dir / "reuters21578").glob("reut2-*.sgm")):
        for match in _STORY.finditer(path.read_text(encoding="latin-1")):
            attributes, block = match.groups()
            newid = _NEWID.search(attributes)
            if newid is None:
                continue
            labels = re.findall(r"<D>(.*?)</D>", _tag(block, "TOPICS") or "")
            topics[f"reuters-{newid.group(1)}"] = frozenset(labels)
    return topics


def build_whoosh(docs: list[Doc], index_dir: Path) -> None:
    """A plain Whoosh index: StemmingAnalyzer on title and body, body vectored for more_like."""
    from whoosh import index
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema

    schema = Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=StemmingAnalyzer(), stored=True),
        body=TEXT(analyzer=StemmingAnalyzer(), vector=True),
    )
    ix = index.create_in(str(index_dir), schema)
    writer = ix.writer(limitmb=256)
    for doc in docs:
        writer.add_document(id=doc.id, title=doc.title, body=doc.body)
    writer.commit()


def build_indexes(docs: list[Doc], data: Path, folder: Path) -> dict[str, Any]:
    """Build both indexes under ``folder`` unless a finished build is there; seconds each.

    A half-built folder (no marker) is built again from scratch. Whoosh builds in
    a child process (see ``WhooshChild``).
    """
    built: dict[str, Any] = {}
    sk_dir, wh_dir = folder / "searchkit", folder / "whoosh"
    if not (folder / f"searchkit.{BUILT}").exists():
        shutil.rmtree(sk_dir, ignore_errors=True)
        sk_dir.mkdir(parents=True)
        log(f"building searchkit index of {len(docs)} stories ...")
        started = time.perf_counter()
        build_searchkit(iter(docs), sk_dir)
        built["searchkit_build_s"] = time.perf_counter() - started
        (folder / f"searchkit.{BUILT}").write_text("complete\n", encoding="utf-8")
    if not (folder / f"whoosh.{BUILT}").exists():
        shutil.rmtree(wh_dir, ignore_errors=True)
        wh_dir.mkdir(parents=True)
        log(f"building whoosh index of {len(docs)} stories ...")
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--data", str(data), "--whoosh-build", str(wh_dir)],
            check=True,
        )
        built["whoosh_build_s"] = time.perf_counter() - started
        (folder / f"whoosh.{BUILT}").write_text("complete\n", encoding="utf-8")
    return built


def draw_sources(
    docs: list[Doc], topics: dict[str, frozenset[str]], count: int, seed: int
) -> list[str]:
    """A seeded sample of ids of stories that carry at least one TOPICS label."""
    labelled = [doc.id for doc in docs if topics.get(doc.id)]
    return random.Random(seed).sample(labelled, min(count, len(labelled)))


def score(source: str, found: list[str], topics: dict[str, frozenset[str]]) -> dict[str, Any]:
    """How many of ``found`` share a TOPICS label with ``source``, as two shares."""
    labels = topics[source]
    relevant = sum(1 for other in found if labels & topics.get(other, frozenset()))
    return {
        "returned": len(found),
        "relevant": relevant,
        "share": relevant / len(found) if found else 0.0,
        "p_at_10": relevant / TOP,
    }


def paired(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> dict[str, Any]:
    """searchkit against one baseline, source by source: wins, ties, losses on ``share``,
    and a seeded bootstrap 95% interval of the mean difference (is the gap noise?)."""
    diffs = [a["share"] - b["share"] for a, b in zip(ours, theirs, strict=True)]
    draw = random.Random(SEED)
    means = sorted(statistics.fmean(draw.choices(diffs, k=len(diffs))) for _ in range(BOOTSTRAP))
    return {
        "wins": sum(1 for d in diffs if d > 0),
        "ties": sum(1 for d in diffs if d == 0),
        "losses": sum(1 for d in diffs if d < 0),
        "mean_difference": statistics.fmean(diffs),
        "bootstrap_95": [means[int(0.025 * BOOTSTRAP)], means[int(0.975 * BOOTSTRAP) - 1]],
    }


def summarise(rows: list[dict[str, Any]], seconds: list[float]) -> dict[str, Any]:
    """Mean and median over sources, short lists, and seconds per call."""
    shares = [row["share"] for row in rows]
    strict = [row["p_at_10"] for row in rows]
    return {
        "sources": len(rows),
        "share_mean": statistics.fmean(shares),
        "share_median": statistics.median(shares),
        "p_at_10_mean": statistics.fmean(strict),
        "p_at_10_median": statistics.median(strict),
        "fewer_than_10": sum(1 for row in rows if row["returned"] < TOP),
        "none_returned": sum(1 for row in rows if row["returned"] == 0),
        "returned_mean": statistics.fmean(row["returned"] for row in rows),
        "seconds_per_call_mean": statistics.fmean(seconds),
        "seconds_per_call_median": statistics.median(seconds),
    }


class WhooshChild:
    """Whoosh's side, in a child process that never imports searchkit.

    Importing searchkit rebinds Whoosh's unpickling to a restricted one that
    refuses a plain Whoosh schema (its StemmingAnalyzer), and would put
    searchkit's code on Whoosh's read path; so Whoosh builds and answers in its
    own process. One request per line (``id<TAB>top<TAB>numterms``), one JSON answer per
    line with the ids and the seconds of the ``more_like`` call, timed in the
    child (the pipe is not counted).
    """

    def __init__(self, data: Path, folder: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--data", str(data), "--whoosh-child", str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def more_like(self, source: str, top: int, numterms: int) -> tuple[list[str], float]:
        """The child's ``more_like`` ids for ``source`` and the call's seconds."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{source}\t{top}\t{numterms}\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        return answer["ids"], answer["seconds"]

    def close(self) -> None:
        """End the child (closing its input ends its loop)."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


def whoosh_child(folder: Path) -> int:
    """The child's loop: open the Whoosh index and answer requests until input ends."""
    from whoosh import index

    ix = index.open_dir(str(folder / "whoosh"))
    with ix.searcher() as searcher:
        for line in sys.stdin:
            source, top, numterms = line.rstrip("\n").split("\t")
            started = time.perf_counter()
            docnum = searcher.document_number(id=source)
            hits = searcher.more_like(docnum, "body", top=int(top), numterms=int(numterms))
            ids = [hit["id"] for hit in hits]
            seconds = time.perf_counter() - started
            print(json.dumps({"ids": ids, "seconds": seconds}), flush=True)
    return 0


def measure(
    docs: list[Doc],
    topics: dict[str, frozenset[str]],
    data: Path,
    folder: Path,
    sources: list[str],
) -> dict[str, Any]:
    """Run the three variants over ``sources``, interleaved, and summarise each."""
    import searchkit

    body_of = {doc.id: doc.body.strip() for doc in docs}
    copies_of: dict[str, list[str]] = {}
    for doc_id, body in body_of.items():
        copies_of.setdefault(body, []).append(doc_id)
    child = WhooshChild(data, folder)
    try:
        with searchkit.Searcher(str(folder / "searchkit")) as sk:

            def run_searchkit(source: str) -> tuple[list[str], float]:
                started = time.perf_counter()
                ids = [hit.id for hit in sk.similar(source, limit=TOP)]
                return ids, time.perf_counter() - started

            def run_whoosh(source: str) -> tuple[list[str], float]:
                return child.more_like(source, TOP, WHOOSH_TERMS)

            def without_copies(source: str, numterms: int) -> tuple[list[str], float]:
                copies = set(copies_of[body_of[source]])
                ids, seconds = child.more_like(source, TOP + len(copies) - 1, numterms)
                return [i for i in ids if i not in copies][:TOP], seconds

            runners: dict[str, Callable[[str], tuple[list[str], float]]] = {
                "searchkit": run_searchkit,
                "whoosh": run_whoosh,
                "whoosh_no_copies": lambda source: without_copies(source, WHOOSH_TERMS),
                "whoosh_25_no_copies": lambda source: without_copies(source, MORE_TERMS),
            }
            chosen = set(sources)
            warmup = [d.id for d in docs if topics.get(d.id) and d.id not in chosen][:WARMUP]
            for source in warmup:
                for runner in runners.values():
                    runner(source)
            rows: dict[str, list[dict[str, Any]]] = {name: [] for name in ENGINES}
            seconds: dict[str, list[float]] = {name: [] for name in ENGINES}
            for n, source in enumerate(sources):
                order = ENGINES if n % 2 == 0 else tuple(reversed(ENGINES))
                for name in order:
                    found, took = runners[name](source)
                    seconds[name].append(took)
                    assert source not in found, (name, source)
                    rows[name].append({"source": source, **score(source, found, topics)})
                if (n + 1) % 100 == 0:
                    log(f"  {n + 1}/{len(sources)} sources")
    finally:
        child.close()
    results: dict[str, Any] = {name: summarise(rows[name], seconds[name]) for name in ENGINES}
    results["sources_with_exact_copies"] = sum(
        1 for source in sources if len(copies_of[body_of[source]]) > 1
    )
    results["paired"] = {name: paired(rows["searchkit"], rows[name]) for name in ENGINES[1:]}
    results["per_source"] = {
        name: [{k: row[k] for k in ("source", "returned", "relevant")} for row in rows[name]]
        for name in ENGINES
    }
    return results


def table(results: dict[str, Any]) -> str:
    """The figures as a Markdown table, one row per variant."""
    names = {
        "searchkit": "searchkit `similar`",
        "whoosh": "Whoosh `more_like`",
        "whoosh_no_copies": "Whoosh `more_like`, exact copies removed",
        "whoosh_25_no_copies": "Whoosh `more_like(numterms=25)`, exact copies removed",
    }
    lines = [
        "| engine | share mean | share median | P@10 mean | P@10 median "
        "| fewer than 10 (none) | ms per call mean / median |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ENGINES:
        row = results[name]
        lines.append(
            f"| {names[name]} | {row['share_mean']:.3f} | {row['share_median']:.3f} "
            f"| {row['p_at_10_mean']:.3f} | {row['p_at_10_median']:.3f} "
            f"| {row['fewer_than_10']} ({row['none_returned']}) "
            f"| {1000 * row['seconds_per_call_mean']:.1f} / "
            f"{1000 * row['seconds_per_call_median']:.1f} |"
        )
    lines.append("")
    for name, pair in results["paired"].items():
        low, high = pair["bootstrap_95"]
        lines.append(
            f"searchkit vs {names[name]}: {pair['wins']} wins, {pair['ties']} ties, "
            f"{pair['losses']} losses; mean share difference {pair['mean_difference']:+.3f} "
            f"(95% bootstrap {low:+.3f} .. {high:+.3f})"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Build (or reuse) both indexes, measure, print a table and the JSON, save it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--index", type=Path, default=None, help="keep/reuse indexes here")
    parser.add_argument("--json", type=Path, default=None, dest="json_out")
    parser.add_argument("--whoosh-build", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--whoosh-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.whoosh_build:
        build_whoosh(list(reuters_docs(args.data)), args.whoosh_build)
        return 0
    if args.whoosh_child:
        return whoosh_child(args.whoosh_child)

    docs = list(reuters_docs(args.data))
    topics = reuters_topics(args.data)
    sources = draw_sources(docs, topics, args.sources, args.seed)
    results: dict[str, Any] = {
        "command": " ".join(["python benchmarks/similar.py", *sys.argv[1:]]),
        "documents": len(docs),
        "labelled_documents": sum(1 for doc in docs if topics.get(doc.id)),
        "seed": args.seed,
    }
    with tempfile.TemporaryDirectory(prefix="similar-bench-") as scratch:
        folder = args.index or Path(scratch)
        results["build"] = build_indexes(docs, args.data, folder)
        results.update(measure(docs, topics, args.data, folder, sources))
    log(table(results))
    text = json.dumps(results, indent=2)
    summary = {k: v for k, v in results.items() if k != "per_source"}
    print(json.dumps(summary, indent=2))
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
