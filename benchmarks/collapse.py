"""What index-time duplicate groups and stories cost, and what collapsing does to results.

Parts (``--parts``, comma-separated):

* ``build``: Reuters and BBC built through ``searchkit.Indexer.add_many`` with and
  without assigning groups (``searchkit.indexer.ASSIGN_GROUPS``), each build a fresh
  child process, the two modes interleaved; docs/s and CPU seconds (median of repeats).
* ``query``: the 200 Reuters and BBC queries of benchmarks/speed.py (``draw_queries``,
  its seed), top 10 with snippets, plain (``collapse=False``), collapsed (the default)
  and ``by_story=True``, interleaved query by query over several rounds; p50 and p95.
* ``copies``: for the 200 BBC queries, how many top-10 lists hold two copies of one
  text (the same cleaned title and body), with and without collapsing.
* ``story10k``: a synthetic story of 10,000 copies: ``Searcher.story``, a query that
  collapses them and ``searchkit story`` in a fresh process, timed.

    python benchmarks/collapse.py [--data DIR] [--parts build,query,copies,story10k]
                                  [--repeats 2] [--json benchmarks/results/collapse.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speed import QUERY_SEED, Doc, bbc_docs, draw_queries, reuters_docs

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
CORPORA = {"reuters": reuters_docs, "bbc": bbc_docs}


def _article(doc: Doc) -> Any:
    import searchkit

    return searchkit.Article(
        doc.id, doc.title, doc.body, source=doc.source or None, published=doc.published
    )


def child_build(data: Path, corpus: str, index: Path, groups: bool) -> dict[str, Any]:
    """One build in this (fresh) process: seconds from the first document to the commit."""
    import searchkit
    import searchkit.indexer

    searchkit.indexer.ASSIGN_GROUPS = groups
    docs = list(CORPORA[corpus](data))
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    with searchkit.Indexer(str(index)) as indexer:
        indexer.add_many(_article(doc) for doc in docs)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "docs": len(docs),
        "seconds": seconds,
        "docs_per_s": len(docs) / seconds,
        "parent_cpu_s": cpu,
        "workers_cpu_s": children.ru_utime + children.ru_stime,
    }


def _run_child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def part_build(data: Path, work: Path, repeats: int) -> dict[str, Any]:
    """Builds with and without grouping, interleaved, fresh folders, fresh processes."""
    results: dict[str, Any] = {}
    for corpus in CORPORA:
        runs: dict[str, list[dict[str, Any]]] = {"with": [], "without": []}
        for repeat in range(repeats):
            for mode in ("without", "with") if repeat % 2 == 0 else ("with", "without"):
                index = work / f"build-{corpus}-{mode}-{repeat}"
                runs[mode].append(
                    _run_child(["build", str(data), corpus, str(index), str(mode == "with")])
                )
                print(f"  build {corpus} {mode}: {runs[mode][-1]}", file=sys.stderr)
        summary = {
            mode: {
                key: statistics.median(run[key] for run in items)
                for key in ("seconds", "docs_per_s", "parent_cpu_s", "workers_cpu_s")
            }
            for mode, items in runs.items()
        }
        summary["ratio"] = summary["with"]["docs_per_s"] / summary["without"]["docs_per_s"]
        summary["docs"] = runs["with"][0]["docs"]
        results[corpus] = summary
    return results


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _build_for_queries(data: Path, work: Path, corpus: str) -> Path:
    built = work / f"build-{corpus}-with-0"
    if built.exists():  # the build part's index, grouped
        return built
    index = work / f"query-{corpus}"
    if not index.exists():
        _run_child(["build", str(data), corpus, str(index), "True"])
    return index


def part_query(data: Path, work: Path, rounds: int) -> dict[str, Any]:
    """p50/p95 of the speed benchmark's queries: plain, collapsed, by story."""
    import searchkit

    results: dict[str, Any] = {}
    modes = {
        "plain": {"collapse": False},
        "collapsed": {},
        "by_story": {"by_story": True},
    }
    for corpus in CORPORA:
        index = _build_for_queries(data, work, corpus)
        docs = list(CORPORA[corpus](data))
        queries = draw_queries(docs, 200, QUERY_SEED)
        warmup = draw_queries(docs, 20, QUERY_SEED + 1)
        times: dict[str, list[float]] = {mode: [] for mode in modes}
        with searchkit.Searcher(str(index)) as searcher:
            for query in warmup:
                for options in modes.values():
                    searcher.search(query, limit=10, **options)
            for _round in range(rounds):
                for query in queries:
                    for mode, options in modes.items():
                        started = time.perf_counter()
                        searcher.search(query, limit=10, **options)
                        times[mode].append(time.perf_counter() - started)
        summary: dict[str, Any] = {
            mode: {
                "p50_ms": 1000 * statistics.median(values),
                "p95_ms": 1000 * _percentile(values, 0.95),
            }
            for mode, values in times.items()
        }
        summary["collapsed_over_plain_p50"] = (
            summary["collapsed"]["p50_ms"] / summary["plain"]["p50_ms"]
        )
        summary["queries"] = len(queries)
        results[corpus] = summary
    return results


def part_copies(data: Path, work: Path) -> dict[str, Any]:
    """Top-10 lists of the 200 BBC speed queries holding two copies of one text."""
    import searchkit

    docs = list(bbc_docs(data))
    text_of = {doc.id: (doc.title.strip(), doc.body.strip()) for doc in docs}
    queries = draw_queries(docs, 200, QUERY_SEED)
    index = _build_for_queries(data, work, "bbc")
    found: dict[str, Any] = {}
    with searchkit.Searcher(str(index)) as searcher:
        for mode, options in (("plain", {"collapse": False}), ("collapsed", {})):
            offending = []
            for query in queries:
                hits = searcher.search(query, limit=10, snippets=False, **options).hits
                texts = [text_of[hit.id] for hit in hits]
                if len(set(texts)) < len(texts):
                    offending.append(query)
            found[mode] = {"lists_with_two_copies": len(offending), "examples": offending[:5]}
        found["queries"] = len(queries)
    return found


def part_story10k(work: Path) -> dict[str, Any]:
    """A story of 10,000 copies: how long showing it takes."""
    import searchkit

    index = work / "story10k"
    day = datetime(2024, 5, 17, 9, tzinfo=timezone.utc)
    body = (
        "Volcano erupts on the island of Stromboli, sending lava down its northern slope "
        "and forcing the evacuation of two villages near the crater."
    )
    started = time.perf_counter()
    with searchkit.Indexer(str(index)) as indexer:
        indexer.add_many(
            searchkit.Article(
                f"c{n:05d}",
                f"Copy {n}",
                body,
                source=f"Outlet {n % 50}",
                published=day + timedelta(seconds=n),
            )
            for n in range(10_000)
        )
    build = time.perf_counter() - started
    timings: dict[str, Any] = {"build_s": build}
    with searchkit.Searcher(str(index)) as searcher:
        searcher.search("warm up")
        started = time.perf_counter()
        results = searcher.search("stromboli")
        timings["query_s"] = time.perf_counter() - started
        timings["query_results"] = len(results.hits)
        timings["copies_listed"] = len(results.hits[0].copies)
        started = time.perf_counter()
        story = searcher.story(results.hits[0].story_id or 0)
        timings["story_api_s"] = time.perf_counter() - started
        timings["story_articles"] = len(story.articles)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "searchkit", "story", str(story.id), "--index", str(index)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    timings["story_cli_s"] = time.perf_counter() - started
    return timings


def main(argv: list[str] | None = None) -> int:
    """Run the chosen parts, print the figures as JSON and optionally save them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--parts", default="build,query,copies,story10k")
    parser.add_argument("--repeats", type=int, default=2, help="builds per mode and corpus")
    parser.add_argument("--rounds", type=int, default=3, help="query rounds")
    parser.add_argument("--json", type=Path, default=None, dest="json_out")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _kind, data, corpus, index, groups = args.child
        print(json.dumps(child_build(Path(data), corpus, Path(index), groups == "True")))
        return 0
    parts = args.parts.split(",")
    results: dict[str, Any] = {
        "command": " ".join(["python benchmarks/collapse.py", *sys.argv[1:]])
    }
    with tempfile.TemporaryDirectory(prefix="collapse-bench-") as folder:
        work = Path(folder)
        if "build" in parts:
            results["build"] = part_build(args.data, work, args.repeats)
        if "query" in parts:
            results["query"] = part_query(args.data, work, args.rounds)
        if "copies" in parts:
            results["copies"] = part_copies(args.data, work)
        if "story10k" in parts:
            results["story10k"] = part_story10k(work)
    text = json.dumps(results, indent=2, default=str)
    print(text)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
