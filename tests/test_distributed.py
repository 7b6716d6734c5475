"""Sharded indexes on a real Dask LocalCluster (worker processes): routing, updates, faults,
and search results equal to one index's."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import searchkit
from searchkit.distributed.build import build_sharded_index, update_sharded_index
from searchkit.distributed.coordinator import COPIES_UNCOLLAPSED, ShardedSearcher
from searchkit.distributed.manifest import read_manifest
from searchkit.distributed.routing import shard_of
from searchkit.distributed.shard import QuerySpec, ShardSearcher
from searchkit.errors import QueryError, SearchkitError, ShardUnavailableError
from searchkit.models import RankingSettings
from tests.query_output import json_hits, json_summary

distributed = pytest.importorskip("distributed")

LIKE_SHARDS = RankingSettings(feedback_per_group=False)
"""One index ranked as a sharded one can be: feedback counts documents, not duplicate groups
(shards number their groups apart; see docs/scaling.md). The references use it, with no
collapsing, so the exactness tests compare like with like."""

WORDS = [
    "market",
    "shares",
    "bank",
    "rates",
    "oil",
    "price",
    "election",
    "minister",
    "vote",
    "football",
    "match",
    "goal",
    "league",
    "film",
    "award",
    "music",
    "album",
    "phone",
    "mobile",
    "software",
    "network",
    "virus",
    "storm",
    "rain",
]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A LocalCluster of two single-threaded worker processes."""
    # Port 0: any free port for the scheduler's HTTP server (the default may be taken).
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    try:
        try:
            cluster.close()
        except KeyError:
            _finish_closing(cluster)
    finally:
        _stop_offload_thread()


def _finish_closing(cluster: Any) -> None:
    """Close what ``LocalCluster.close`` left open when it re-raised its worker watcher's
    KeyError: ``SpecCluster._update_worker_status`` looks up a removed worker that the
    killed-worker test made it forget (dask/distributed#5407). The scheduler and workers are
    closed by then; the loop thread is not, and while it runs, later tests' ``Indexer`` bulk
    writes would not fork their workers."""
    import asyncio
    import contextlib

    from distributed.core import Status

    async def rest() -> None:
        task = cluster._sync_cluster_info_task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if cluster.scheduler_comm:
            await cluster.scheduler_comm.close_rpc()
        for callback in cluster.periodic_callbacks.values():
            callback.stop()

    cluster.sync(rest)
    cluster.status = Status.closed
    cluster._loop_runner.stop()


def _stop_offload_thread() -> None:
    """Stop the thread Dask keeps for offloading after its clients close (a fresh executor
    starts one again on next use): with a thread running, ``Indexer`` bulk writes in later
    tests of this process would not fork their workers (``indexer.worker_count``)."""
    from concurrent.futures import ThreadPoolExecutor

    utils = distributed.utils
    executor = getattr(utils, "_offload_executor", None)
    if isinstance(executor, ThreadPoolExecutor):
        executor.shutdown(wait=True)
        utils._offload_executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="Dask-Offload"
        )


def _articles(count: int, seed: int = 7) -> list[searchkit.Article]:
    rng = random.Random(seed)
    return [
        searchkit.Article(
            id=f"doc-{number:04d}",
            title=" ".join(rng.choices(WORDS, k=3)),
            body=" ".join(rng.choices(WORDS, k=rng.randrange(20, 80))) + ".",
            source=rng.choice(("Wire", "Daily")),
        )
        for number in range(count)
    ]


class _Looked(Exception):
    """Leaves an Indexer without committing anything."""


def _ids(folder: Path) -> set[str]:
    """Every live id of a plain index, read through a write transaction that is dropped."""
    found: set[str] = set()
    try:
        with searchkit.Indexer(folder) as indexer:
            found = set(indexer.existing_documents())
            raise _Looked
    except _Looked:
        pass
    return found


def _shard_ids(root: Path) -> list[set[str]]:
    """The ids each shard of a sharded index holds."""
    return [_ids(folder) for folder in read_manifest(root).shard_dirs(root)]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    script = shutil.which("searchkit")
    command = [script] if script else [sys.executable, "-m", "searchkit"]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=300, check=False
    )


def compare(
    reference: list[tuple[str, float]], got: list[tuple[str, float]], limit: int = 10
) -> str | None:
    """Why ``got`` (a page) is not ``reference``'s first page, or None.

    Scores must agree within 1e-9 relative at every rank; ids must agree
    except where scores are exactly tied (the sharded tie order is by shard,
    then docnum): a document at a rank must have that rank's score in the
    reference, which is fetched wider than the page for that reason.
    """
    if len(got) != min(len(reference), limit):
        return f"{len(got)} hits, reference {len(reference)}"
    pairs = zip(reference[: len(got)], got, strict=True)
    for rank, ((ref_id, ref_score), (got_id, got_score)) in enumerate(pairs):
        if abs(ref_score - got_score) > 1e-9 * abs(ref_score):
            return f"rank {rank + 1}: {got_id} {got_score!r}, reference {ref_id} {ref_score!r}"
        tied = {doc for doc, score in reference if score == got_score}
        if got_id not in tied:
            return f"rank {rank + 1}: {got_id} is not among the reference's {tied}"
    if len({doc for doc, _ in got}) != len(got):
        return "a document is listed twice"
    return None


# -- quick: routing, updates, faults ----------------------------------------


def test_update_and_delete_reach_the_right_shard(tmp_path: Path, client: Any) -> None:
    root = tmp_path / "sharded"
    articles = _articles(40)
    first = update_sharded_index(root, articles, shards=3, scheduler=client)
    assert first.generation == 1 and first.documents == 40
    held = _shard_ids(root)
    for number, ids in enumerate(held):
        assert ids == {a.id for a in articles if shard_of(a.id, 3) == number}
    changed = searchkit.Article(id="doc-0005", title="zebra crossing", body="A zebra crossed.")
    second = update_sharded_index(root, [changed], delete=["doc-0011"], scheduler=client)
    assert second.generation == 2 and (second.updated, second.removed) == (1, 1)
    assert not (root / "gen-000001").exists()
    held = _shard_ids(root)
    assert "doc-0011" not in set().union(*held)
    assert "doc-0005" in held[shard_of("doc-0005", 3)]
    with ShardedSearcher(root) as searcher:
        assert [hit.id for hit in searcher.search("zebra").hits] == ["doc-0005"]
        assert searcher.get("doc-0005").title == "zebra crossing"
        assert searcher.stats().documents == 39


def test_a_failed_shard_write_commits_no_shard(tmp_path: Path, client: Any) -> None:
    root = tmp_path / "sharded"
    update_sharded_index(root, _articles(20), shards=2, scheduler=client)
    good = searchkit.Article(id="doc-good", title="walrus", body="A walrus swam.")
    bad = searchkit.Article(id="doc-bad", title="broken", body="half a pair \ud800 here")
    assert shard_of(good.id, 2) != shard_of(bad.id, 2)  # one shard would commit alone
    with pytest.raises(ShardUnavailableError):
        update_sharded_index(root, [good, bad], scheduler=client)
    assert read_manifest(root).generation == 1
    assert sorted(entry.name for entry in root.iterdir()) == ["gen-000001", "shards.json"]
    with ShardedSearcher(root) as searcher:
        assert searcher.search("walrus").total == 0
        assert searcher.stats().documents == 20


def test_small_sharded_search_equals_one_index(tmp_path: Path, client: Any) -> None:
    articles = _articles(120, seed=3)
    with searchkit.Indexer(tmp_path / "single") as indexer:
        for article in articles:
            indexer.add(article)
    update_sharded_index(tmp_path / "sharded", articles, shards=3, scheduler=client)
    reference = ShardSearcher(tmp_path / "single", settings=LIKE_SHARDS)
    with searchkit.Searcher(tmp_path / "sharded") as searcher:
        assert isinstance(searcher, ShardedSearcher)
        for query in ("market oil", "football goal league", "phone", "rain -storm", "vote"):
            wide, total = reference.ranking(QuerySpec(query, limit=60))
            got, got_total = searcher.ranking(QuerySpec(query, limit=10, page=1))
            assert got_total == total, query
            assert compare(wide, got) is None, query
            facets = searcher.search(query, facets=True).facets
            assert facets == reference.search(query, facets=True).facets
    reference.close()


def _dated_articles(count: int, seed: int = 5) -> list[searchkit.Article]:
    """Articles with authors and dates (some undated), and one text copied under three ids."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    articles = [
        replace(
            article,
            author=rng.choice(("Ann Lee", "Bo Kim", None)),
            published=None if rng.random() < 0.1 else start + timedelta(days=rng.randrange(150)),
        )
        for article in _articles(count, seed)
    ]
    text = "A walrus came ashore " + " ".join(rng.choices(WORDS, k=30)) + "."
    copies = [
        searchkit.Article(id=f"walrus-{n}", title="walrus ashore", body=text, published=start)
        for n in range(3)
    ]
    return articles + copies


def test_facets_histograms_and_copies_on_shards(tmp_path: Path, client: Any) -> None:
    articles = _dated_articles(90)
    with searchkit.Indexer(tmp_path / "single") as indexer:
        for article in articles:
            indexer.add(article)
    root = tmp_path / "sharded"
    update_sharded_index(root, articles, shards=3, scheduler=client)
    assert len({shard_of(f"walrus-{n}", 3) for n in range(3)}) > 1  # copies on several shards
    options: dict[str, Any] = {"facet": ["source", "author"], "histogram": "month", "limit": 50}
    single = searchkit.Searcher(tmp_path / "single", settings=LIKE_SHARDS)
    with single, searchkit.Searcher(root) as sharded:
        for query in ("market oil", "football goal", "vote -rain", "walrus"):
            got = sharded.search(query, **options)
            want = single.search(query, collapse=False, **options)
            assert got.total == want.total and got.total > 0, query
            assert got.facet_counts == want.facet_counts, query
            assert got.facets == want.facets, query
            assert got.histogram == want.histogram, query
            assert got.undated_left_out == want.undated_left_out, query
            assert [h.score for h in got.hits] == [h.score for h in want.hits], query
            assert COPIES_UNCOLLAPSED in got.warnings and got.groups is None, query
            assert all(h.copies == () and h.story_id is None for h in got.hits), query
        # One index collapses the three copies; the shards, which number groups apart, do not.
        collapsed = single.search("walrus")
        assert (collapsed.total, collapsed.groups, len(collapsed.hits[0].copies)) == (3, 1, 2)
        assert len(sharded.search("walrus").hits) == 3
        with pytest.raises(QueryError, match="sharded"):
            sharded.search("walrus", by_story=True)
        story_id = collapsed.hits[0].story_id
        assert story_id is not None
        with pytest.raises(QueryError, match="sharded"):
            sharded.story(story_id)
        with pytest.raises(QueryError, match="sharded"):
            sharded.similar("walrus-0")
        want = single.search("market", collapse=False, facet="author", histogram="week")
    shown = _cli(
        "query", "--index", str(root), "--json", "--limit", "50",
        "--facet", "author", "--histogram", "week", "market",
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    summary = json_summary(shown.stdout)
    assert summary["total"] == want.total and summary["partial"] is False
    assert summary["facets"] == {"author": dict(want.facet_counts["author"])}
    assert want.histogram is not None and summary["histogram"] == want.histogram.to_dict()
    assert summary["groups"] is None and COPIES_UNCOLLAPSED in summary["warnings"]
    assert len(json_hits(shown.stdout)) == min(want.total, 50)
    for status, refused in (
        (2, ("query", "--index", str(root), "--by-story", "walrus")),  # a usage error
        (2, ("story", "--index", str(root), str(story_id))),
        (2, ("similar", "--index", str(root), "walrus-0")),
    ):
        done = _cli(*refused)
        assert (done.returncode, "sharded index" in done.stderr) == (status, True), done.stderr


def test_a_removed_shard_gives_a_partial_result_or_an_error(tmp_path: Path, client: Any) -> None:
    root = tmp_path / "sharded"
    update_sharded_index(root, _articles(40), shards=3, scheduler=client)
    missing = read_manifest(root).shard_dirs(root)[1]
    shutil.rmtree(missing)
    with ShardedSearcher(root) as searcher:
        results = searcher.search("market")
        assert results.partial
        assert any(str(missing) in warning for warning in results.warnings)
        assert results.total > 0
    plain = _cli("query", "--index", str(root), "market")
    assert plain.returncode == 0, plain.stderr
    assert str(missing) in plain.stderr and "warning" in plain.stderr
    strict = _cli("query", "--index", str(root), "--require-all", "market")
    assert strict.returncode != 0
    assert str(missing) in strict.stderr
    with ShardedSearcher(root, require_all=True) as searcher, pytest.raises(ShardUnavailableError):
        searcher.search("market")


def test_a_cluster_search_equals_in_process_and_times_out(tmp_path: Path, client: Any) -> None:
    root = tmp_path / "sharded"
    update_sharded_index(root, _articles(60), shards=2, scheduler=client)
    with ShardedSearcher(root) as local, ShardedSearcher(root, scheduler=client) as remote:
        for query in ("oil price", "music album film"):
            assert local.ranking(QuerySpec(query)) == remote.ranking(QuerySpec(query))
    hurried = ShardedSearcher(root, scheduler=client, timeout=1e-6)
    with hurried, pytest.raises(ShardUnavailableError):
        hurried.search("oil price")


def test_searching_in_process_never_imports_dask(tmp_path: Path, client: Any) -> None:
    root = tmp_path / "sharded"
    update_sharded_index(root, _articles(30), shards=2, scheduler=client)
    script = (
        "import sys, searchkit\n"
        f"with searchkit.Searcher({str(root)!r}) as s:\n"
        "    assert type(s).__name__ == 'ShardedSearcher' and s.search('oil').total >= 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"


def _write_corpus(folder: Path, count: int) -> None:
    folder.mkdir()
    for article in _articles(count, seed=11):
        (folder / f"{article.id}.txt").write_text(f"{article.title}\n\n{article.body}\n")


def test_a_build_whose_worker_is_killed_is_whole_after_a_rerun(tmp_path: Path, client: Any) -> None:
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, 300)
    single = tmp_path / "single"
    searchkit.build_index([corpus], single)
    root = tmp_path / "sharded"
    pids = list(client.run(os.getpid).values())
    outcome: dict[str, Any] = {}

    def build() -> None:
        try:
            outcome["report"] = build_sharded_index([corpus], root, shards=2, scheduler=client)
        except (SearchkitError, distributed.KilledWorker) as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=build)
    worker.start()
    time.sleep(1.0)
    os.kill(pids[0], signal.SIGKILL)
    worker.join(timeout=240)
    assert not worker.is_alive(), "the build hung after its worker was killed"
    client.wait_for_workers(2, timeout=60)
    if "error" in outcome:  # nothing was committed
        assert not (root / "shards.json").exists()
    else:
        assert outcome["report"].documents == 300
    build_sharded_index([corpus], root, scheduler=client, shards=2)
    expected = _ids(single)
    assert set().union(*_shard_ids(root)) == expected
    assert len(expected) == 300


# -- slow: the BBC collection, 200 speed queries ----------------------------


def _speed_module(repo_root: Path) -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "searchkit_speed", repo_root / "benchmarks/speed.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["searchkit_speed"] = module
    folder = str(repo_root / "benchmarks")
    sys.path.insert(0, folder)  # speed.py imports its sibling speed_startup.py
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
    return module


@pytest.fixture(scope="module")
def bbc(repo_root: Path, shared_dir: Path, client: Any, tmp_path_factory: Any) -> Any:
    """1, 2 and 4 shards of BBC, each beside one index of the same articles, and the 200 BBC
    speed queries.

    Each one index is written in the shards' tie order (shard by shard, each in its order),
    one article at a time: one index breaks exact score ties by indexing order, the shards by
    shard and then their own order, and BBC holds 98 duplicate stories whose ties decide which
    documents feed feedback. Indexing order is otherwise arbitrary, so this is no loss.
    """
    if not (shared_dir / "data" / "bbc").is_dir():
        pytest.skip("../shared/data/bbc is not available")
    speed = _speed_module(repo_root)
    docs = list(speed.bbc_docs(shared_dir / "data"))
    articles = [
        searchkit.Article(id=d.id, title=d.title, body=d.body, source=d.source) for d in docs
    ]
    base = tmp_path_factory.mktemp("bbc")
    for count in (1, 2, 4):
        update_sharded_index(base / f"shards-{count}", articles, shards=count, scheduler=client)
        ordered = sorted(articles, key=lambda article: shard_of(article.id, count))
        with searchkit.Indexer(base / f"single-{count}") as indexer:
            for article in ordered:
                indexer.add(article)
    return base, speed.draw_queries(docs, 200, speed.QUERY_SEED)


@pytest.mark.parametrize("shards", [1, 2, 4])
def test_bbc_shards_rank_exactly_as_one_index(bbc: Any, shards: int) -> None:
    base, queries = bbc
    reference = ShardSearcher(base / f"single-{shards}", settings=LIKE_SHARDS)
    with ShardedSearcher(base / f"shards-{shards}") as searcher:
        for query in queries:
            wide, total = reference.ranking(QuerySpec(query, limit=40))
            got, got_total = searcher.ranking(QuerySpec(query))
            assert got_total == total, query
            assert compare(wide, got) is None, (query, compare(wide, got))
            assert [doc for doc, _ in got] == [doc for doc, _ in wide[:10]], query
    reference.close()


def test_bbc_without_global_statistics_scores_differ(bbc: Any) -> None:
    base, queries = bbc
    reference = ShardSearcher(base / "single-4", settings=LIKE_SHARDS)
    differ = 0
    with ShardedSearcher(base / "shards-4", global_statistics=False) as searcher:
        for query in queries[:50]:
            wide, _total = reference.ranking(QuerySpec(query, limit=40))
            got, _got_total = searcher.ranking(QuerySpec(query))
            differ += compare(wide, got) is not None
    reference.close()
    assert differ >= 40, f"only {differ} of 50 queries changed without phase 1"


def test_the_cli_builds_a_sharded_index_that_finds_what_one_index_finds(tmp_path: Path) -> None:
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    single, root = tmp_path / "single", tmp_path / "sharded"
    built = _cli("index", str(corpus), "--index", str(root), "--shards", "2", "--workers", "1")
    assert built.returncode == 0, built.stderr
    assert "2 shards" in built.stdout + built.stderr
    assert _cli("index", str(corpus), "--index", str(single)).returncode == 0
    assert len(read_manifest(root).shard_dirs(root)) == 2
    assert sum(len(ids) for ids in _shard_ids(root)) == len(_ids(single))
    for words in ("border security", "taliban", "rates inflation"):
        got = _cli("query", "--index", str(root), "--json", "--limit", "50", words)
        want = _cli(
            "query", "--index", str(single), "--json", "--limit", "50", "--all-copies", words
        )
        assert got.returncode == want.returncode == 0, got.stderr + want.stderr
        assert json_summary(got.stdout)["total"] == json_summary(want.stdout)["total"] > 0, words
        got_ids = {hit["id"] for hit in json_hits(got.stdout)}
        assert got_ids == {hit["id"] for hit in json_hits(want.stdout)}, words
