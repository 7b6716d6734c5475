"""Sharded builds and searches on Reuters-21578: build speed-up with 1 and 2 Dask workers, and
query latency of one index, 2 shards in-process and 2 shards on a LocalCluster, side by side.

    python benchmarks/scale.py [--queries 200] [--work DIR] [--out results.json]
    python benchmarks/scale.py --synthetic 200000   # the scaled corpus, 2 workers, 2 shards

Needs ../shared/data/reuters21578 and the ``distributed`` extra. The queries are
benchmarks/speed.py's Reuters speed queries (``draw_queries``, same seed).
``--synthetic N`` instead builds speed.py's scaled corpus (Reuters and BBC, then seeded
shuffled copies) of N documents on 2 workers into 2 shards: documents per second, peak
memory per worker, and the query latency of one shard and of the two.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _speed() -> Any:
    spec = importlib.util.spec_from_file_location("searchkit_speed", ROOT / "benchmarks/speed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["searchkit_speed"] = module
    spec.loader.exec_module(module)
    return module


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "p50_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
    }


def _time_queries(searcher: Any, queries: list[str]) -> dict[str, float]:
    for query in queries[:10]:  # warm caches and worker-side shard opening
        searcher.search(query)
    spent = []
    for query in queries:
        started = time.perf_counter()
        searcher.search(query)
        spent.append(time.perf_counter() - started)
    return _percentiles(spent)


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _synthetic(count: int, query_count: int, work_arg: Path | None) -> dict[str, Any]:
    """Build ``count`` scaled documents on 2 workers into 2 shards and time queries."""
    import distributed

    import searchkit
    from searchkit.distributed.build import update_sharded_index
    from searchkit.distributed.coordinator import ShardedSearcher

    speed = _speed()
    data = ROOT.parent / "shared" / "data"
    queries = speed.draw_queries(list(speed.reuters_docs(data)), query_count, speed.QUERY_SEED)
    articles = [
        searchkit.Article(
            id=d.id,
            title=d.title,
            body=d.body,
            source=d.source,
            published=d.published,
        )
        for d in speed.scaled_docs(data, count)
    ]
    work = Path(work_arg or tempfile.mkdtemp(prefix="searchkit-scale-"))
    root = work / f"synthetic-{count}"
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    started = time.perf_counter()
    update_sharded_index(root, articles, shards=2, scheduler=client, rebuild=True)
    seconds = time.perf_counter() - started
    peaks = client.run(_peak_rss_mb)
    client.close()
    cluster.close()
    del articles
    from searchkit.distributed.manifest import read_manifest
    from searchkit.distributed.shard import ShardSearcher

    shard_dir = read_manifest(root).shard_dirs(root)[0]
    with ShardSearcher(shard_dir) as shard:
        one_shard = _time_queries(shard, queries)
        shard_docs = shard.stats().documents
    with ShardedSearcher(root) as both:
        two_shards = _time_queries(both, queries)
    return {
        "documents": count,
        "build_s": seconds,
        "documents_per_s": count / seconds,
        "peak_rss_mb_per_worker": sorted(peaks.values()),
        "disk_bytes": sum(f.stat().st_size for f in root.rglob("*") if f.is_file()),
        "one_shard": {"documents": shard_docs, **one_shard},
        "two_shards_in_process": two_shards,
    }


def main() -> None:
    """Run the measurements and print them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--synthetic", type=int, default=0, metavar="N")
    args = parser.parse_args()

    import distributed

    if args.synthetic:
        result = _synthetic(args.synthetic, args.queries, args.work)
        print(json.dumps(result, indent=2))
        if args.out:
            args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        return

    import searchkit
    from searchkit.distributed.build import update_sharded_index
    from searchkit.distributed.coordinator import ShardedSearcher

    speed = _speed()
    data = ROOT.parent / "shared" / "data"
    docs = list(speed.reuters_docs(data))
    articles = [
        searchkit.Article(
            id=d.id, title=d.title, body=d.body, source=d.source, published=d.published
        )
        for d in docs
    ]
    queries = speed.draw_queries(docs, args.queries, speed.QUERY_SEED)
    results: dict[str, Any] = {"documents": len(articles), "queries": len(queries), "builds": {}}
    work = Path(args.work or tempfile.mkdtemp(prefix="searchkit-scale-"))
    work.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    with searchkit.Indexer(work / "single", rebuild=True) as indexer:
        indexer.add_many(articles)
    results["builds"]["single_index_s"] = time.perf_counter() - started

    for workers in (1, 2):
        cluster = distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        client = distributed.Client(cluster)
        started = time.perf_counter()
        update_sharded_index(work / f"shards-w{workers}", articles, shards=2, scheduler=client)
        results["builds"][f"2_shards_{workers}_workers_s"] = time.perf_counter() - started
        client.close()
        cluster.close()
    builds = results["builds"]
    builds["speed_up_2_over_1"] = builds["2_shards_1_workers_s"] / builds["2_shards_2_workers_s"]

    latency: dict[str, Any] = {}
    with searchkit.Searcher(work / "single") as single:
        latency["single_index"] = _time_queries(single, queries)
    with ShardedSearcher(work / "shards-w2") as local:
        latency["2_shards_in_process"] = _time_queries(local, queries)
    with ShardedSearcher(work / "shards-w2", global_statistics=False) as local_only:
        latency["2_shards_in_process_shard_statistics"] = _time_queries(local_only, queries)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    with ShardedSearcher(work / "shards-w2", scheduler=client) as remote:
        latency["2_shards_local_cluster"] = _time_queries(remote, queries)
    client.close()
    cluster.close()
    results["latency"] = latency
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
