"""Readers during writes: searching while another process adds, updates, deletes and commits.

Four threads sharing one Searcher and two separate reader processes (one
re-opening its Searcher every few queries, as the CLI does) query
continuously while a writer process commits round after round. No reader may
see an exception, a hit whose stored fields do not belong to it, or a lookup
failure for a document that was never deleted; every reader must eventually
see the writer's last document.
"""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from test_reliability_support import start_python

import searchkit

STABLE_DOCS = 100
WRITER_ROUNDS = 30
READER_THREADS = 4
READER_PROCESSES = 2
DEADLINE_SECONDS = 180.0
"""A reader that has not seen the final document by then has hung or gone stale."""

WRITER = """
import json
import random
import sys

import searchkit

index, rounds = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
live, added, deleted = [], [], []
serial = 0


def story(doc_id, version):
    return searchkit.Article(
        doc_id, f"{doc_id} version {version}", f"common harbour news, edition {version}."
    )


for round_number in range(rounds):
    with searchkit.Indexer(index) as indexer:
        for _ in range(10):
            doc_id = f"vol-{serial:05d}"
            serial += 1
            indexer.add(story(doc_id, 1))
            live.append(doc_id)
            added.append(doc_id)
        for doc_id in rng.sample(live, min(5, len(live))):
            indexer.add(story(doc_id, round_number + 2))
        for doc_id in rng.sample(live, min(5, len(live))):
            assert indexer.delete(doc_id)
            live.remove(doc_id)
            deleted.append(doc_id)
with searchkit.Indexer(index) as indexer:
    indexer.add(searchkit.Article("final-marker", "final-marker done", "common finalmarker"))
print(json.dumps({"added": added, "deleted": deleted, "live": live}))
"""

READER_PROCESS = """
import json
import sys

sys.path.insert(0, sys.argv[1])
from test_reliability_concurrency import read_until_final

print(json.dumps(read_until_final(sys.argv[2], None, reopen_every=5, seed=int(sys.argv[3]))))
"""


def read_until_final(
    index: str, searcher: searchkit.Searcher | None, *, reopen_every: int = 0, seed: int = 0
) -> dict[str, Any]:
    """Query until the writer's final document shows up; report everything that went wrong.

    With ``searcher`` None the reader opens its own, re-opening it every
    ``reopen_every`` queries (0: never).
    """
    rng = random.Random(seed)
    report: dict[str, Any] = {
        "queries": 0,
        "errors": [],
        "bad_hits": [],
        "not_found": [],
        "saw_final": False,
        "final_total": None,
        "totals_seen": [],
    }
    own = searcher is None
    deadline = time.monotonic() + DEADLINE_SECONDS
    current = searcher
    try:
        while time.monotonic() < deadline and not report["saw_final"]:
            try:
                if own and (
                    current is None or (reopen_every and report["queries"] % reopen_every == 0)
                ):
                    if current is not None:
                        current.close()
                    current = searchkit.Searcher(index)
                assert current is not None
                report["queries"] += 1
                results = current.search("common", limit=rng.randint(1, 40), page=rng.randint(1, 3))
                if results.total not in report["totals_seen"]:
                    report["totals_seen"].append(results.total)
                for hit in results:
                    if not hit.title.startswith(hit.id + " "):
                        report["bad_hits"].append(f"{hit.id}: {hit.title!r}")
                    try:
                        if current.get(hit.id).id != hit.id:
                            report["bad_hits"].append(f"get({hit.id}) returned another id")
                    except searchkit.DocumentNotFoundError:
                        report["not_found"].append(hit.id)
                if report["queries"] % 7 == 0 and current.stats().documents < STABLE_DOCS:
                    report["errors"].append("stats counted fewer than the stable documents")
                if current.search("finalmarker").total:
                    report["saw_final"] = True
                    report["final_total"] = current.search("common", limit=1).total
            except Exception as exc:
                report["errors"].append(f"{type(exc).__name__}: {exc}")
    finally:
        if own and current is not None:
            current.close()
    return report


@pytest.fixture()
def index(tmp_path: Path) -> Path:
    folder = tmp_path / "index"
    with searchkit.Indexer(folder) as indexer:
        for number in range(STABLE_DOCS):
            doc_id = f"stable-{number:03d}"
            indexer.add(searchkit.Article(doc_id, f"{doc_id} kept", "common harbour archive."))
    return folder


def test_readers_never_fail_while_a_writer_commits(index: Path) -> None:
    tests_dir = str(Path(__file__).resolve().parent)
    processes = [
        start_python(READER_PROCESS, tests_dir, str(index), str(seed))
        for seed in range(READER_PROCESSES)
    ]
    reports: list[dict[str, Any]] = []
    with searchkit.Searcher(index) as shared:
        threads = [
            threading.Thread(
                target=lambda seed=seed: reports.append(
                    read_until_final(str(index), shared, seed=seed)
                )
            )
            for seed in range(10, 10 + READER_THREADS)
        ]
        for thread in threads:
            thread.start()
        writer = start_python(WRITER, str(index), str(WRITER_ROUNDS))
        written, writer_errors = writer.communicate(timeout=DEADLINE_SECONDS)
        assert writer.returncode == 0, writer_errors
        for thread in threads:
            thread.join(timeout=DEADLINE_SECONDS)
    for process in processes:
        output, errors = process.communicate(timeout=DEADLINE_SECONDS)
        assert process.returncode == 0, errors
        reports.append(json.loads(output))

    log = json.loads(written)
    expected_total = STABLE_DOCS + len(log["live"]) + 1
    deleted = set(log["deleted"])
    assert len(reports) == READER_THREADS + READER_PROCESSES
    for report in reports:
        assert report["errors"] == [], report["errors"][:5]
        assert report["bad_hits"] == [], report["bad_hits"][:5]
        assert set(report["not_found"]) <= deleted, "a lookup failed for a document never deleted"
        assert report["saw_final"], "a reader never saw the writer's last commit"
        assert report["final_total"] == expected_total
        assert len(report["totals_seen"]) >= 2, "a reader never ran while the writer committed"
    with searchkit.Searcher(index) as searcher:
        assert searcher.stats().documents == expected_total
