"""Try ranking settings side by side on TIME and CACM (searchkit only).

Run from the repository root::

    python benchmarks/ranking_variants.py [--data DIR] [--stopwords FILE|none] [NAME=JSON ...]

Each ``NAME=JSON`` is a variant: JSON keys override fields of
``searchkit.RankingSettings`` (e.g. ``k15='{"k1": 1.5}'``). The
collections are indexed once (per stopword list, in a temporary folder) and
every variant, plus the current defaults, is scored with the loaders and
metrics of ``benchmarks/relevance.py``. ``--stopwords`` swaps the analyzer's
stop list (one word per whitespace) for the whole run. This is how the rows of
the "What we tried" table in benchmarks/README.md were measured.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("relevance", ROOT / "benchmarks" / "relevance.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _variants(specs: list[str], base: Any) -> dict[str, Any]:
    variants = {"defaults": base}
    for spec in specs:
        name, _, overrides = spec.partition("=")
        variants[name] = dataclasses.replace(base, **json.loads(overrides or "{}"))
    return variants


def main(argv: list[str] | None = None) -> int:
    """Index each collection once, then print nDCG@10 and MAP for every variant."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--stopwords", help="a file of stopwords, or 'none'")
    parser.add_argument("variants", nargs="*", metavar="NAME=JSON")
    args = parser.parse_args(argv)

    import searchkit
    import searchkit.engine.analysis as analysis

    if args.stopwords == "none":
        analysis.STOPWORDS = frozenset()
    elif args.stopwords:
        analysis.STOPWORDS = frozenset(Path(args.stopwords).read_text("utf-8").split())
    harness = _harness()
    variants = _variants(args.variants, searchkit.RankingSettings())
    names = ("TIME", "CACM")
    with tempfile.TemporaryDirectory(prefix="ranking-variants-") as scratch:
        collections = {}
        for name in names:
            subdir, loader = harness.COLLECTIONS[name]
            collection = loader(args.data / subdir)
            index_dir = Path(scratch) / name
            with searchkit.Indexer(index_dir) as indexer:
                for doc in collection.documents:
                    article = searchkit.Article(id=doc.id, title=doc.title, body=doc.body)
                    indexer.add(article.with_content_hash())
            collections[name] = (collection, index_dir)
        print(f"{'variant':24} {'TIME ndcg':>9} {'TIME map':>9} {'CACM ndcg':>9} {'CACM map':>9}")
        for variant, settings in variants.items():
            started = time.perf_counter()
            row = []
            for name in names:
                collection, index_dir = collections[name]
                with searchkit.Searcher(index_dir, settings=settings) as searcher:
                    ranked = {
                        query.id: [hit.id for hit in searcher.search(query.text, limit=100)]
                        for query in collection.judged_queries
                    }
                figures = harness.metrics(collection, ranked)
                row += [figures["ndcg@10"], figures["map"]]
            cells = " ".join(f"{value:9.3f}" for value in row)
            print(f"{variant:24} {cells}  ({time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
