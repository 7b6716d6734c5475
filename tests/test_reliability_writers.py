"""Two writers: the second waits for the lock, then fails clearly; a killed writer blocks no one.

Whoever holds the index lock is a real process: a Python child inside an
``Indexer`` transaction that waits for a line on stdin before committing, or
a second `searchkit index` run. Nothing either writer committed may be lost.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from test_reliability_support import (
    WorkingCorpus,
    assert_no_crash,
    check_index_usable,
    index_snapshot,
    run_cli,
    start_cli,
    start_python,
)

import searchkit

LOCK_HOLDER = """
import sys
import searchkit

with searchkit.Indexer(sys.argv[1]) as indexer:
    indexer.add(searchkit.Article("held-doc", "held-doc title", "harbour lock holder"))
    print("locked", flush=True)
    sys.stdin.readline()
print("committed", flush=True)
"""


def hold_lock(index: Path) -> subprocess.Popen[str]:
    """Start a child that holds the write lock (with one uncommitted document) until told."""
    holder = start_python(LOCK_HOLDER, str(index))
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_second_writer_waits_then_names_the_holder(tmp_path: Path) -> None:
    first = WorkingCorpus.create(tmp_path / "first", initial=10, spare=0, seed=1)
    second = WorkingCorpus.create(tmp_path / "second", initial=8, spare=0, seed=2)
    index = tmp_path / "index"
    assert run_cli(["index", first.folder, "--index", index, "-q"]).returncode == 0
    before = index_snapshot(index)

    holder = hold_lock(index)
    started = time.monotonic()
    blocked = run_cli(["index", second.folder, "--index", index, "-q", "--lock-timeout", "1.5"])
    waited = time.monotonic() - started
    assert blocked.returncode == 1
    assert f"another indexer is writing to {index} (pid {holder.pid})" in blocked.stderr
    assert waited >= 1.5, "the second writer gave up before its lock timeout"
    assert index_snapshot(index) == before, "the refused writer changed the index"
    assert check_index_usable(index) == len(before)

    output, errors = holder.communicate("go\n", timeout=60)
    assert holder.returncode == 0, errors
    assert "committed" in output
    assert run_cli(["index", second.folder, "--index", index, "-q"]).returncode == 0
    after = index_snapshot(index)
    assert set(before) | {"held-doc"} < set(after)
    assert len(after) == len(before) + 1 + len(second.present)


def test_killed_writer_leaves_no_blocking_lock(tmp_path: Path) -> None:
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=10, spare=5, seed=3)
    index = tmp_path / "index"
    assert run_cli(["index", corpus.folder, "--index", index, "-q"]).returncode == 0
    before = index_snapshot(index)

    holder = hold_lock(index)
    holder.send_signal(signal.SIGKILL)
    holder.communicate(timeout=60)
    assert check_index_usable(index) == len(before)
    assert "held-doc" not in index_snapshot(index)

    corpus.mutate(adds=5, edits=0, deletes=0)
    result = run_cli(["index", corpus.folder, "--index", index, "-q", "--lock-timeout", "0"])
    assert result.returncode == 0, result.stderr
    assert len(index_snapshot(index)) == len(before) + 5


def test_two_indexers_started_together_both_land(tmp_path: Path) -> None:
    first = WorkingCorpus.create(tmp_path / "first", initial=60, spare=0, seed=4)
    second = WorkingCorpus.create(tmp_path / "second", initial=40, spare=0, seed=5)
    for name in second.present:  # distinct file names, so distinct documents
        (second.folder / name).rename(second.folder / f"second-{name}")
    index = tmp_path / "index"
    assert run_cli(["index", first.folder, "--index", index, "-q"]).returncode == 0
    first.mutate(adds=0, edits=20, deletes=0)
    runs = [
        start_cli(["index", folder, "--index", index, "-q", "--lock-timeout", "120"])
        for folder in (first.folder, second.folder)
    ]
    for run in runs:
        _output, errors = run.communicate(timeout=300)
        assert run.returncode == 0, errors
        assert_no_crash(errors)
    assert check_index_usable(index) == 100
    assert len(index_snapshot(index)) == 100


def test_rebuilding_an_unreadable_index_is_refused_while_another_writer_holds_the_lock(
    tmp_path: Path,
) -> None:
    """`--rebuild` replaces an unreadable index only when no writer holds its lock."""
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=5, spare=0, seed=4)
    index = tmp_path / "index"
    assert run_cli(["index", corpus.folder, "--index", index, "-q"]).returncode == 0
    holder = hold_lock(index)
    try:
        (index / "searchkit.json").write_text("{not json", encoding="utf-8")
        with pytest.raises(searchkit.IndexLockedError):
            searchkit.Indexer(index, rebuild=True, lock_timeout=0.5)
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.communicate(timeout=60)
    assert holder.returncode == 0
