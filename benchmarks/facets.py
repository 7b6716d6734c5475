"""Measure facets, histograms and did-you-mean (issue 14, items 3 and 5) through a real index.

Run from the repository root::

    python benchmarks/facets.py [--data DIR] [--index DIR] [--queries 200]
                                [--misspellings 600] [--rounds 3] [--json OUT]

It builds Reuters-21578 (from ``../shared/data``, read in place) into a
temporary index, or reuses ``--index`` when that folder already holds one,
and measures:

* query cost: p50 of the 200 speed-benchmark queries (``speed.draw_queries``,
  its seed) as a plain search (the defaults: top 10, snippets, did-you-mean
  on), the same with ``spelling=False``, and with both facets and a month
  histogram (plus ``collapse=True`` when the Searcher has it: the hook for the
  duplicates work). Variants are interleaved query by query and each round's
  p50 is taken; the figures are the medians over ``--rounds``.
* did-you-mean: one-edit misspellings (insert, delete, substitute, transpose,
  as ``stories.misspell``) of words of 4+ letters from 2,000 queries drawn as
  ``stories.py`` draws them, each searched alone through ``Searcher.search``;
  top-1 accuracy of ``results.suggestion`` (exact word, and same stem, i.e.
  the same search), its latency, and the first search's cost of reading the
  vocabulary.
* what the typed-word vocabulary and author codes cost: the stored-field pass
  over every segment against the whole build, their bytes in the arrays
  files, and the merged vocabulary's memory.
"""

from __future__ import annotations

import argparse
import inspect
import json
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from speed import QUERY_SEED, build_searchkit, draw_queries, reuters_docs
from stories import SEED, misspell

import searchkit
from searchkit.engine.analysis import normalize_word

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TARGET_ACCURACY = 0.8
TARGET_QUERY_RATIO = 1.3


def log(message: str) -> None:
    print(message, flush=True)


def build(data: Path, index_dir: Path) -> dict[str, Any]:
    """Build Reuters into ``index_dir`` unless it already holds an index."""
    if (index_dir / "searchkit.json").exists() or any(index_dir.glob("*.toc")):
        return {"reused": True}
    start = time.perf_counter()
    build_searchkit(reuters_docs(data), index_dir)
    return {"reused": False, "build_seconds": time.perf_counter() - start}


def stored_field_pass(index_dir: Path) -> dict[str, Any]:
    """Time the stored-field pass (author codes, typed words) over every committed segment."""
    from whoosh.reading import SegmentReader

    from searchkit.engine.arrays import load_arrays
    from searchkit.engine.document_arrays import merged_vocabulary, stored_field_arrays
    from searchkit.engine.storage import open_index, read_metadata

    groups = read_metadata(str(index_dir)).groups(str(index_dir))
    ix = open_index(str(index_dir), groups)
    seconds = 0.0
    extra_bytes = 0
    all_bytes = 0
    segments = []
    try:
        for segment in ix._segments():
            reader = SegmentReader(ix.storage, ix.schema, segment)
            try:
                start = time.perf_counter()
                arrays = stored_field_arrays(reader)
                seconds += time.perf_counter() - start
            finally:
                reader.close()
            extra_bytes += sum(a.nbytes for a in arrays.values())
            segment_id = segment.segment_id()
            all_bytes += (index_dir / f"{segment_id}.skarrays").stat().st_size
            segments.append(load_arrays(str(index_dir), segment_id))
    finally:
        ix.close()
    tracemalloc.start()
    start = time.perf_counter()
    vocabulary = merged_vocabulary(segments)
    merge_seconds = time.perf_counter() - start
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return {
        "segments": len(segments),
        "stored_field_pass_seconds": seconds,
        "extra_array_bytes": extra_bytes,
        "arrays_file_bytes": all_bytes,
        "vocabulary_words": len(vocabulary),
        "vocabulary_merge_seconds": merge_seconds,
        "vocabulary_memory_mb": memory / 2**20,
    }


def query_cost(index_dir: Path, queries: list[str], rounds: int) -> dict[str, Any]:
    """p50 of plain, no-spelling and faceted searches, interleaved query by query."""
    with searchkit.Searcher(index_dir) as searcher:
        full: dict[str, Any] = {"facet": ("source", "author"), "histogram": "month"}
        if "collapse" in inspect.signature(searcher.search).parameters:
            full["collapse"] = True  # the duplicates branch: one hit per duplicate group
        variants: dict[str, dict[str, Any]] = {
            "plain": {},
            "plain_no_spelling": {"spelling": False},
            "facets_histogram": full,
        }
        for query in queries[:20]:  # warm the caches and the page cache
            for options in variants.values():
                searcher.search(query, limit=10, **options)
        per_round: dict[str, list[float]] = {name: [] for name in variants}
        for turn in range(rounds):
            times: dict[str, list[float]] = {name: [] for name in variants}
            names = list(variants)
            for number, query in enumerate(queries):
                order = names[(number + turn) % 3 :] + names[: (number + turn) % 3]
                for name in order:
                    start = time.perf_counter()
                    searcher.search(query, limit=10, **variants[name])
                    times[name].append(time.perf_counter() - start)
            for name in variants:
                per_round[name].append(statistics.median(times[name]))
    p50 = {name: statistics.median(values) * 1000 for name, values in per_round.items()}
    return {
        "queries": len(queries),
        "rounds": rounds,
        "p50_ms": p50,
        "per_round_p50_ms": {k: [v * 1000 for v in vs] for k, vs in per_round.items()},
        "full_options": sorted(full),
        "ratio_full_vs_plain": p50["facets_histogram"] / p50["plain"],
        "ratio_plain_vs_no_spelling": p50["plain"] / p50["plain_no_spelling"],
    }


def spelling(index_dir: Path, data: Path, count: int) -> dict[str, Any]:
    """Top-1 accuracy of ``SearchResults.suggestion`` on one-edit misspellings of query words."""
    with searchkit.Searcher(index_dir) as searcher:
        start = time.perf_counter()
        searcher.search("reutres")  # the first misspelling reads the typed vocabulary
        first = time.perf_counter() - start
        with searcher._engine.session() as session:
            vocabulary = session.typed_vocabulary()
        rng = random.Random(SEED)
        queries = draw_queries(list(reuters_docs(data)), 2000, SEED)
        words = [w for q in queries for w in q.split() if len(w) >= 4 and w in vocabulary]
        tried = right = same_stem = searched = skipped = 0
        seconds: list[float] = []
        failures: list[str] = []
        for word in words:
            if tried >= count:
                break
            typo = misspell(word, rng)
            if vocabulary.get(typo, 0) > 3:
                skipped += 1  # the typo is itself a common word: nothing to correct
                continue
            tried += 1
            start = time.perf_counter()
            results = searcher.search(typo)
            seconds.append(time.perf_counter() - start)
            got = results.suggestion
            right += got == word
            same_stem += got is not None and normalize_word(got) == normalize_word(word)
            searched += results.searched_suggestion
            if got != word and len(failures) < 15:
                failures.append(f"{typo}->{got} (meant {word})")
    return {
        "misspellings": tried,
        "typos_that_are_common_words_skipped": skipped,
        "top1_accuracy": right / tried,
        "top1_same_stem": same_stem / tried,
        "searched_correction_share": searched / tried,
        "search_ms_p50": statistics.median(seconds) * 1000,
        "search_ms_p95": sorted(seconds)[int(0.95 * len(seconds))] * 1000,
        "first_misspelt_search_ms": first * 1000,
        "sample_failures": failures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--index", type=Path, default=None, help="reuse or keep this index")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--misspellings", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        index_dir = args.index or Path(scratch) / "reuters"
        index_dir.mkdir(parents=True, exist_ok=True)
        result: dict[str, Any] = {"build": build(args.data, index_dir)}
        log(f"build: {result['build']}")
        result["stored_fields"] = stored_field_pass(index_dir)
        log(f"stored-field arrays: {result['stored_fields']}")
        queries = draw_queries(reuters_docs(args.data), args.queries, QUERY_SEED)
        result["query_cost"] = query_cost(index_dir, queries, args.rounds)
        log(f"query cost: {json.dumps(result['query_cost'], indent=1)}")
        result["spelling"] = spelling(index_dir, args.data, args.misspellings)
        log(f"did you mean: {json.dumps(result['spelling'], indent=1)}")
    cost = result["query_cost"]["ratio_full_vs_plain"]
    accuracy = result["spelling"]["top1_accuracy"]
    log(
        f"targets: accuracy {accuracy:.3f} (>= {TARGET_ACCURACY}), "
        f"facets+histogram / plain p50 {cost:.3f} (<= {TARGET_QUERY_RATIO})"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
