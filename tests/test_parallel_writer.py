"""Bulk writes with worker processes keep every promise of the single-process writer.

``Indexer.add_many`` and ``build_index`` analyse documents in worker processes
(one per core). These tests force two workers even on a one-core machine and
check what a user relies on: every document lands exactly once, a small batch
never forks, a crashed worker fails the commit instead of losing documents,
and a cancelled transaction leaves no worker behind and nothing committed.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from pathlib import Path

import pytest

import searchkit.engine.writer as writer_module
import searchkit.indexer as indexer_module
import searchkit.sync as sync_module
from searchkit import Article, Indexer, IndexWriteError, Searcher, build_index

MANY = indexer_module.WORKER_BATCH * 3 + 7  # several batches for each of two workers
REAL_WORKER_COUNT = indexer_module.worker_count


@pytest.fixture(autouse=True)
def two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(indexer_module, "worker_count", lambda: 2)


def articles(count: int, word: str = "harbour", prefix: str = "doc") -> list[Article]:
    return [
        Article(f"{prefix}-{n}", f"Story {n}", f"{word} crane strike number{n}")
        for n in range(count)
    ]


def found(index: Path, query: str) -> list[str]:
    with Searcher(index) as searcher:
        results = searcher.search(query, limit=1000, collapse=False)
        assert results.total == len(results.hits)
        return [hit.id for hit in results.hits]


def test_add_many_indexes_every_document_once(tmp_path: Path) -> None:
    with Indexer(tmp_path) as indexer:
        assert indexer.add_many(articles(MANY)) == MANY
    hits = found(tmp_path, "harbour")
    assert sorted(hits) == sorted(f"doc-{n}" for n in range(MANY))
    assert found(tmp_path, f"number{MANY - 1}") == [f"doc-{MANY - 1}"]
    with Searcher(tmp_path) as searcher:
        assert searcher.stats().documents == MANY


def test_add_many_replaces_documents_with_the_same_id(tmp_path: Path) -> None:
    with Indexer(tmp_path) as indexer:
        indexer.add_many(articles(MANY))
    with Indexer(tmp_path) as indexer:
        indexer.add_many(articles(MANY, word="ferry"))
    assert found(tmp_path, "harbour") == []
    assert len(found(tmp_path, "ferry")) == MANY


def test_a_small_batch_is_indexed_without_forking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fork(self: object) -> None:
        raise AssertionError("a worker process was started for a small batch")

    monkeypatch.setattr(writer_module._WorkerTask, "start", no_fork)
    with Indexer(tmp_path) as indexer:
        indexer.add_many(articles(5))
    assert len(found(tmp_path, "harbour")) == 5


def test_a_crashed_worker_fails_the_commit_and_keeps_the_last_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Indexer(tmp_path) as indexer:
        indexer.add_many(articles(3, word="ferry", prefix="old"))

    def crash(self: object) -> None:
        os._exit(3)

    monkeypatch.setattr(writer_module._WorkerTask, "run", crash)
    with pytest.raises(IndexWriteError), Indexer(tmp_path) as indexer:
        indexer.add_many(articles(MANY))
    assert multiprocessing.active_children() == []
    assert found(tmp_path, "harbour") == []
    assert len(found(tmp_path, "ferry")) == 3
    monkeypatch.undo()
    with Indexer(tmp_path, lock_timeout=1) as indexer:  # the lock was released
        indexer.add(Article("after", "After", "harbour"))
    assert found(tmp_path, "harbour") == ["after"]


def test_cancel_stops_the_workers_and_commits_nothing(tmp_path: Path) -> None:
    with Indexer(tmp_path) as indexer:
        indexer.add(Article("kept", "Kept", "ferry"))
    with pytest.raises(RuntimeError), Indexer(tmp_path) as indexer:
        indexer.add_many(articles(MANY))
        raise RuntimeError("interrupted")
    assert multiprocessing.active_children() == []
    assert found(tmp_path, "harbour") == []
    assert found(tmp_path, "ferry") == ["kept"]


def test_an_interrupted_commit_stops_the_workers_and_commits_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Indexer(tmp_path) as indexer:
        indexer.add(Article("kept", "Kept", "ferry"))
    hand_over = Indexer._hand_over_pending

    def hand_over_then_interrupt(self: Indexer, writer: object) -> None:
        hand_over(self, writer)
        assert multiprocessing.active_children()  # the workers have the documents
        raise KeyboardInterrupt

    monkeypatch.setattr(Indexer, "_hand_over_pending", hand_over_then_interrupt)
    with pytest.raises(KeyboardInterrupt), Indexer(tmp_path) as indexer:
        indexer.add_many(articles(MANY))
    assert multiprocessing.active_children() == []
    assert found(tmp_path, "harbour") == []
    assert found(tmp_path, "ferry") == ["kept"]
    monkeypatch.undo()
    with Indexer(tmp_path, lock_timeout=1) as indexer:  # the lock was released
        indexer.add(Article("next", "Next", "ferry"))
    assert sorted(found(tmp_path, "ferry")) == ["kept", "next"]


def test_build_index_of_many_files_uses_workers_and_finds_everything(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(MANY):
        (corpus / f"story-{n:04d}.txt").write_text(
            f"Story {n}\n\nharbour crane strike number{n}\n", encoding="utf-8"
        )
    report = build_index([corpus], tmp_path / "index")
    assert (report.added, report.failed) == (MANY, 0)
    assert len(found(tmp_path / "index", "harbour")) == MANY
    again = build_index([corpus], tmp_path / "index")
    assert (again.added, again.unchanged) == (0, MANY)
    for n in range(5):
        (corpus / f"story-{n:04d}.txt").unlink()
    for n in range(5, MANY):  # enough changed files to fork workers, beside deletions
        (corpus / f"story-{n:04d}.txt").write_text(
            f"Story {n}\n\nferry crane strike number{n}\n", encoding="utf-8"
        )
    changed = build_index([corpus], tmp_path / "index")
    assert (changed.added, changed.updated, changed.removed) == (0, MANY - 5, 5)
    assert found(tmp_path / "index", "harbour") == []
    assert len(found(tmp_path / "index", "ferry")) == MANY - 5


def _page(n: int) -> str:
    return (
        f"<html><head><title>Harbour story {n}</title></head><body><article>"
        f"<h1>Harbour story {n}</h1>"
        f"<p>The harbour cranes stopped on day number{n} as the dock strike spread along "
        f"the coast, and ferry crews joined the walkout before the evening tide.</p>"
        f"<p>Union leaders said the strike would continue until talks resumed.</p>"
        f"</article></body></html>"
    )


def test_build_index_extracts_many_pages_in_a_pool_in_file_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_module, "POOL_MIN_PAGES", 4)
    pools: list[object] = []
    real_pool = sync_module._extraction_pool
    monkeypatch.setattr(
        sync_module,
        "_extraction_pool",
        lambda files: pools.append(real_pool(files)) or pools[-1],
    )
    corpus = tmp_path / "pages"
    corpus.mkdir()
    count = 30
    for n in range(count):
        (corpus / f"page-{n:03d}.html").write_text(_page(n), encoding="utf-8")
    (corpus / "page-015b.html").write_text("   ", encoding="utf-8")  # fails: empty
    progress: list[tuple[int, int]] = []
    report = build_index(
        [corpus], tmp_path / "index", on_progress=lambda done, total: progress.append((done, total))
    )
    assert pools and pools[0] is not None
    assert (report.added, report.failed) == (count, 1)
    assert report.failures[0].path.endswith("page-015b.html")
    assert progress[-1] == (count + 1, count + 1)
    assert len(found(tmp_path / "index", "harbour")) == count
    assert multiprocessing.active_children() == []
    again = build_index([corpus], tmp_path / "index")
    assert (again.added, again.unchanged, again.failed) == (0, count, 0)
    assert [failure.path for failure in again.still_failing] == [report.failures[0].path]


def test_no_workers_unless_processes_are_forked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(multiprocessing, "get_start_method", lambda allow_none=False: "spawn")
    assert REAL_WORKER_COUNT() == 1
    monkeypatch.setattr(multiprocessing, "get_start_method", lambda allow_none=False: "fork")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert REAL_WORKER_COUNT() == 3


def test_a_parallel_commit_leaves_no_queue_thread_behind(tmp_path: Path) -> None:
    """A lingering feeder thread would make the next bulk write in this process run without
    workers (worker_count never forks while another thread runs)."""
    with Indexer(tmp_path) as indexer:
        indexer.add_many(articles(MANY))
    assert [t.name for t in threading.enumerate() if "QueueFeeder" in t.name] == []


def test_a_worker_whose_parent_died_before_it_started_exits(tmp_path: Path) -> None:
    """A worker forked just before its indexer is killed must not wait forever.

    Such a worker is adopted by another process before its start-up runs, so
    it must compare against the pid taken before the fork, not getppid().
    """
    import subprocess
    import sys

    code = (
        "import os, time\n"
        "from searchkit.engine.writer import follow_parent\n"
        "follow_parent(os.getppid() + 1_000_000)\n"  # a pid that is not the parent
        "time.sleep(60)\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", code], timeout=30, check=False, capture_output=True, text=True
    )
    assert child.stderr == ""  # left by itself, not through an error
    assert child.returncode == 1
