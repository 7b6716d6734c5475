"""Crash safety: an indexer killed with SIGKILL at a random moment never leaves a broken index.

After every kill the index must open, answer `stats`, a query and a lookup,
and hold exactly the documents of the last completed commit or of the one
that was in flight, never a mixture, never nothing. Running the indexer
again must then finish the job. The long version (30+ kills over the full
BBC collection) is `python benchmarks/reliability.py`.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from test_reliability_support import (
    WorkingCorpus,
    check_groups_agree,
    check_index_usable,
    index_snapshot,
    run_cli,
    start_cli,
    start_python,
)

import searchkit

CLI_KILLS = 3
CHILD_KILLS = 2

CHILD_INDEXER = """
import sys
import searchkit

index, batch, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
TEXTS = [
    "Dock workers met the council about the night shift and the new cranes at the port.",
    "Ferry services were cancelled after storms flooded the quay and closed the main road.",
    "A cargo ship ran aground near the lighthouse and tugs spent the day towing it free.",
    "Fishermen protested against quotas outside the town hall with banners and loud horns.",
    "The harbour master announced dredging work that will deepen the channel next spring.",
    "Customs officers seized counterfeit watches hidden in a container of frozen shrimp.",
    "Local schools visited the maritime museum to see the restored dock shift clock tower.",
]
with searchkit.Indexer(index) as indexer:
    for number in range(total):
        indexer.add(
            searchkit.Article(
                f"doc-{number:06d}",
                f"Harbour report {number}",
                # Every seventh body is the same text: duplicate groups and stories to keep.
                TEXTS[number % 7],
            )
        )
        if (number + 1) % batch == 0:
            indexer.commit()
            print(number + 1, flush=True)
"""


def kill_after(process: subprocess.Popen[str], seconds: float) -> bool:
    """SIGKILL a child after ``seconds`` and reap it; False if it had already finished."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    running = process.poll() is None
    if running:
        process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    return running


def test_cli_indexer_killed_at_random_moments(tmp_path: Path) -> None:
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=120, spare=60, seed=11)
    index = tmp_path / "index"
    started = time.monotonic()
    first = run_cli(["index", corpus.folder, "--index", index, "-q"])
    assert first.returncode == 0, first.stderr
    run_seconds = time.monotonic() - started
    rng = random.Random(5)
    interrupted = []
    for trial in range(CLI_KILLS):
        corpus.mutate(adds=15, edits=10, deletes=8)
        before = index_snapshot(index)
        rebuild = ["--rebuild"] if trial == 1 else []
        process = start_cli(["index", corpus.folder, "--index", index, "-q", *rebuild])
        interrupted.append(kill_after(process, rng.uniform(0.1, 1.1) * run_seconds))

        documents = check_index_usable(index)
        killed = index_snapshot(index)
        assert documents == len(killed)
        check_groups_agree(index)

        started = time.monotonic()
        rerun = run_cli(["index", corpus.folder, "--index", index, "-q"])
        run_seconds = time.monotonic() - started
        assert rerun.returncode == 0, rerun.stderr
        after = index_snapshot(index)
        assert killed in (before, after), "the killed run left a mixture of two commits"
        assert len(after) == len(corpus.present)
    assert any(interrupted), "every run finished before its kill: the test proved nothing"


def test_python_indexer_killed_between_and_during_commits(tmp_path: Path) -> None:
    index = tmp_path / "index"
    batch, total = 20, 400
    rng = random.Random(3)
    for _ in range(CHILD_KILLS):
        child = start_python(CHILD_INDEXER, str(index), str(batch), str(total))
        assert child.stdout is not None
        committed = 0
        # Wait for some commits to land, then kill at a random point of the next ones.
        for _ in range(rng.randint(1, 4)):
            line = child.stdout.readline()
            if not line:
                break
            committed = int(line)
        kill_after(child, rng.uniform(0.0, 0.5))
        documents = check_index_usable(index, query="harbour")
        snapshot = index_snapshot(index)
        assert documents == len(snapshot)
        # Documents are added in order, so a whole commit means a prefix of the numbering.
        assert sorted(snapshot) == [f"doc-{n:06d}" for n in range(documents)]
        assert documents % batch == 0 and documents >= committed
        check_groups_agree(index)
        if documents:
            with searchkit.Searcher(index) as searcher:
                hits = searcher.search("harbour", limit=50, collapse=False).hits
                groups: dict[str, set[str]] = {}
                for hit in hits:  # copies of one text always share a group
                    text = searcher.get(hit.id).body
                    groups.setdefault(text, set()).add(hit.id)
                    assert set(hit.copies) | {hit.id} >= groups[text]
    finisher = start_python(CHILD_INDEXER, str(index), str(batch), str(total))
    _out, err = finisher.communicate(timeout=300)
    assert finisher.returncode == 0, err
    assert check_index_usable(index, query="harbour") == total
    check_groups_agree(index)
    with searchkit.Searcher(index) as searcher:
        assert searcher.search("harbour", limit=20).groups == 7  # seven texts


@pytest.mark.slow
def test_many_kills_of_a_rebuild(tmp_path: Path) -> None:
    """The soak version of the CLI test: 12 kills of full rebuilds."""
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=400, spare=0, seed=2)
    index = tmp_path / "index"
    assert run_cli(["index", corpus.folder, "--index", index, "-q"]).returncode == 0
    expected = index_snapshot(index)
    rng = random.Random(8)
    for _ in range(12):
        process = start_cli(["index", corpus.folder, "--index", index, "-q", "--rebuild"])
        kill_after(process, rng.uniform(0.2, 4.0))
        assert check_index_usable(index) == len(expected)
        assert index_snapshot(index) == expected


def test_first_run_killed_while_creating_the_index(tmp_path: Path) -> None:
    """A kill between Whoosh creating its files and searchkit writing searchkit.json.

    The window is a few microseconds, too short to hit with a timed kill, so
    the test lays out exactly what such a kill leaves: an empty
    generation-0 Whoosh index and no searchkit.json.
    """
    from whoosh import fields
    from whoosh import index as whoosh_index

    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=5, spare=0, seed=4)
    index = tmp_path / "index"
    index.mkdir()
    whoosh_index.create_in(str(index), fields.Schema(id=fields.ID(stored=True)))

    query = run_cli(["query", "the", "--index", index])
    assert query.returncode == 1
    assert f"no index at {index}" in query.stderr
    assert run_cli(["index", corpus.folder, "--index", index, "-q"]).returncode == 0
    assert check_index_usable(index) == 5
