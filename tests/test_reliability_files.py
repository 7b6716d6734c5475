"""Files that fight back: unreadable, vanishing, looping, read-only, and a disk that fills up.

The tests run as root, whom file modes do not stop. Commands that must obey
modes run as root *without* the capabilities that override them
(CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, dropped from the child's bounding set
before it starts), so a file with mode 000 is as unreadable to them as to
any user. A full disk is simulated by making Whoosh's file writes raise
ENOSPC after a byte budget (Whoosh is a dependency, not our code).
"""

from __future__ import annotations

import ctypes
import errno
import gc
import os
import stat
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from test_reliability_support import (
    CLI_TIMEOUT,
    WorkingCorpus,
    assert_no_crash,
    check_index_usable,
    index_snapshot,
    run_cli,
    searchkit_command,
    start_python,
    user_environment,
)

import searchkit
import searchkit.engine.writer as writer_module
import searchkit.indexer as indexer_module
from searchkit.ingest import scan

PR_CAPBSET_DROP = 24
PERMISSION_OVERRIDES = (1, 2)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH


def obey_file_modes() -> None:
    """preexec_fn: drop the capabilities that let root ignore file modes (kept across exec: no)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in PERMISSION_OVERRIDES:
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def run_restricted(args: list[str | os.PathLike[str]]) -> Any:
    """Run `searchkit ARGS` as a process that file modes stop (see the module docstring)."""
    import subprocess

    result = subprocess.run(
        [*searchkit_command(), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=180,
        env=user_environment(),
        check=False,
        preexec_fn=obey_file_modes,
    )
    assert_no_crash(result.stderr)
    return result


@pytest.fixture(scope="module", autouse=True)
def _modes_can_be_enforced(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Skip (saying why) where dropping the override capabilities does not make modes bite."""
    probe = tmp_path_factory.mktemp("probe") / "secret.txt"
    probe.write_text("x")
    probe.chmod(0)
    try:
        import subprocess

        result = subprocess.run(
            ["cat", str(probe)], capture_output=True, preexec_fn=obey_file_modes, check=False
        )
    except OSError as exc:
        pytest.skip(f"cannot drop capabilities here ({exc}); file-mode cases need it")
    if result.returncode == 0:
        pytest.skip("file modes do not stop this process even without CAP_DAC_OVERRIDE")


def tree_state(folder: Path) -> dict[str, tuple[int, int, int]]:
    """(mode, size, mtime) of everything under ``folder``, to prove nothing was written there."""
    state = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        state[str(path.relative_to(folder))] = (info.st_mode, info.st_size, info.st_mtime_ns)
    return state


# --------------------------------------------------------------------------- unreadable, vanishing


def test_unreadable_file_is_reported_and_the_rest_indexed(tmp_path: Path) -> None:
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=6, spare=0, seed=21)
    locked = corpus.folder / corpus.present[2]
    locked.chmod(0)
    index = tmp_path / "index"
    result = run_restricted(["index", corpus.folder, "--index", index, "-q"])
    assert result.returncode == 1
    assert locked.name in result.stderr and "ermission denied" in result.stderr
    assert check_index_usable(index) == 5
    locked.chmod(0o644)
    assert run_restricted(["index", corpus.folder, "--index", index, "-q"]).returncode == 0
    assert check_index_usable(index) == 6


def vanish_next(files: list[Path]) -> Any:
    """An on_progress callback that deletes the file the indexer is about to read next."""
    victims: list[Path] = []

    def on_progress(done: int, total: int) -> None:
        if done == 2 and done < total:
            files[done].unlink()
            victims.append(files[done])

    on_progress.victims = victims  # type: ignore[attr-defined]
    return on_progress


def test_file_vanishing_between_listing_and_reading(tmp_path: Path) -> None:
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=6, spare=0, seed=22)
    index = tmp_path / "index"
    first = searchkit.build_index([corpus.folder], index)
    assert first.added == 6
    before = index_snapshot(index)

    callback = vanish_next(list(scan([corpus.folder]).files))
    report = searchkit.build_index([corpus.folder], index, on_progress=callback)
    (victim,) = callback.victims
    assert report.failed == 1 and str(victim) in str(report.failures[0])
    # The vanished file's document stays until a run sees the file is really gone.
    assert index_snapshot(index) == before
    assert searchkit.build_index([corpus.folder], index).removed == 1
    assert check_index_usable(index) == 5


def test_file_vanishing_during_the_first_run(tmp_path: Path) -> None:
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=6, spare=0, seed=23)
    index = tmp_path / "index"
    callback = vanish_next(list(scan([corpus.folder]).files))
    report = searchkit.build_index([corpus.folder], index, on_progress=callback)
    assert report.failed == 1 and report.added == 5
    assert check_index_usable(index) == 5


def test_symbolic_link_loops_end_and_are_reported(tmp_path: Path) -> None:
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=4, spare=0, seed=24)
    folder = corpus.folder
    (folder / "again").symlink_to(folder, target_is_directory=True)
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to("..", target_is_directory=True)
    (folder / "ping.txt").symlink_to("pong.txt")
    (folder / "pong.txt").symlink_to("ping.txt")
    (folder / "self.html").symlink_to("self.html")
    index = tmp_path / "index"
    result = run_cli(["index", folder, "--index", index, "-q"])
    assert result.returncode == 1  # the broken links are listed as failures
    assert "ping.txt" in result.stderr and "self.html" in result.stderr
    assert check_index_usable(index) == 4


# --------------------------------------------------------------------------- read-only places


def test_read_only_corpus_is_indexed_and_left_untouched(tmp_path: Path) -> None:
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=6, spare=0, seed=25)
    for path in corpus.folder.iterdir():
        path.chmod(0o444)
    corpus.folder.chmod(0o555)
    before = tree_state(corpus.folder)
    index = tmp_path / "index"
    result = run_restricted(["index", corpus.folder, "--index", index, "-q"])
    assert result.returncode == 0, result.stderr
    assert tree_state(corpus.folder) == before
    assert check_index_usable(index) == 6
    corpus.folder.chmod(0o755)


@contextmanager
def read_only_tree(folder: Path) -> Iterator[None]:
    modes = {path: stat.S_IMODE(path.stat().st_mode) for path in [folder, *folder.iterdir()]}
    try:
        for path in modes:
            path.chmod(0o555 if path.is_dir() else 0o444)
        yield
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def test_read_only_index_refuses_writes_and_still_answers(tmp_path: Path) -> None:
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=6, spare=3, seed=26)
    index = tmp_path / "index"
    assert run_cli(["index", corpus.folder, "--index", index, "-q"]).returncode == 0
    before = index_snapshot(index)
    corpus.mutate(adds=3, edits=1, deletes=1)
    with read_only_tree(index):
        result = run_restricted(["index", corpus.folder, "--index", index, "-q"])
        assert result.returncode == 1
        assert str(index) in result.stderr
        assert "ermission denied" in result.stderr
        query = run_restricted(["query", "the", "--index", index])
        assert query.returncode == 0, query.stderr
        stats = run_restricted(["stats", "--index", index])
        assert stats.returncode == 0, stats.stderr
        assert index_snapshot(index) == before
    assert run_cli(["index", corpus.folder, "--index", index, "-q"]).returncode == 0
    assert check_index_usable(index) == 8


def test_index_in_a_read_only_folder_is_refused_clearly(tmp_path: Path) -> None:
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=2, spare=0, seed=27)
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    index = parent / "index"
    result = run_restricted(["index", corpus.folder, "--index", index, "-q"])
    assert result.returncode == 1
    assert str(index) in result.stderr and "ermission denied" in result.stderr
    parent.chmod(0o755)


def test_index_owned_by_someone_else_is_not_called_damaged(tmp_path: Path) -> None:
    """An index another user built and can read: its metadata must be readable by others too."""
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=2, spare=0, seed=28)
    index = tmp_path / "index"
    assert run_cli(["index", corpus.folder, "--index", index, "-q"]).returncode == 0
    for path in [index, *index.iterdir()]:
        os.chown(path, 65534, 65534)  # as if user "nobody" had built it
    result = run_restricted(["query", "the", "--index", index])
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- a full disk


class FullDisk:
    """Whoosh's files accept ``budget`` bytes in total, then every write fails with ENOSPC.

    A forked indexing worker inherits the budget left at the fork and spends
    its own copy. With ``workers_only`` the process that installed it writes
    freely and only its worker processes meet the full disk.
    """

    def __init__(self, budget: int, *, workers_only: bool = False) -> None:
        self.remaining = budget
        self.tripped = False
        self.exempt = os.getpid() if workers_only else None

    def wrap(self, fileobj: Any) -> Any:
        disk = self
        original_write = fileobj.write

        def write(data: Any) -> int:
            if os.getpid() == disk.exempt:
                return int(original_write(data))
            size = len(data)
            if size > disk.remaining:
                disk.tripped = True
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            disk.remaining -= size
            return int(original_write(data))

        fileobj.write = write
        return fileobj


def index_files(index: Path) -> set[str]:
    """The names of the files in an index folder, less the lock file (which stays, unlocked)."""
    return {path.name for path in index.iterdir() if not path.name.endswith("WRITELOCK")}


@pytest.fixture()
def full_disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Install a FullDisk with a given budget on Whoosh's FileStorage; returns the installer."""
    from whoosh.filedb import filestore

    original = filestore.FileStorage.create_file

    def install(budget: int, *, workers_only: bool = False) -> FullDisk:
        disk = FullDisk(budget, workers_only=workers_only)

        def create_file(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            handle = original(self, name, *args, **kwargs)
            handle.file = disk.wrap(handle.file)
            return handle

        monkeypatch.setattr(filestore.FileStorage, "create_file", create_file)
        return disk

    yield install
    # Collect what a failed write left for the garbage collector now, so its
    # ResourceWarnings surface here (filtered) and not in some later test.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


# Whoosh leaves files open after a failed write: pinned by test_a_failed_write_closes_its_files.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("budget", [0, 200, 2_000, 20_000])
def test_full_disk_during_indexing_keeps_the_last_commit(
    tmp_path: Path, full_disk: Any, monkeypatch: pytest.MonkeyPatch, budget: int
) -> None:
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=30, spare=20, seed=29)
    index = tmp_path / "index"
    searchkit.build_index([corpus.folder], index)
    before, files_before = index_snapshot(index), index_files(index)
    corpus.mutate(adds=20, edits=5, deletes=3)

    disk = full_disk(budget)
    try:
        searchkit.build_index([corpus.folder], index)
    except searchkit.IndexWriteError as error:
        assert str(index) in str(error)
        assert "No space left on device" in str(error)
    monkeypatch.undo()
    assert disk.tripped, "the simulated disk never filled up: the case proved nothing"

    assert index_snapshot(index) == before
    assert index_files(index) == files_before, "the failed write left partial files"
    assert check_index_usable(index) == len(before)
    report = searchkit.build_index([corpus.folder], index, lock_timeout=0)
    assert report.ok
    assert check_index_usable(index) == len(corpus.present)
    assert not list(index.glob(".searchkit-*")), "a temporary metadata file was left behind"


FULL_WHILE_ADDING = 2_000
"""With 150 new stories Whoosh writes while documents are added, so this budget runs out there."""


# Whoosh leaves files open after a failed write: pinned by test_a_failed_write_closes_its_files.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_full_disk_while_adding_documents_keeps_the_last_commit(
    tmp_path: Path, full_disk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=20, spare=150, seed=32)
    index = tmp_path / "index"
    searchkit.build_index([corpus.folder], index)
    before = index_snapshot(index)
    corpus.mutate(adds=150, edits=0, deletes=0)
    disk = full_disk(FULL_WHILE_ADDING)
    with pytest.raises((searchkit.IndexWriteError, OSError)):
        searchkit.build_index([corpus.folder], index)
    monkeypatch.undo()
    assert disk.tripped
    assert index_snapshot(index) == before
    assert searchkit.build_index([corpus.folder], index, lock_timeout=0).ok
    assert check_index_usable(index) == 170


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_full_disk_while_adding_documents_raises_index_write_error(
    tmp_path: Path, full_disk: Any
) -> None:
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=20, spare=150, seed=32)
    index = tmp_path / "index"
    searchkit.build_index([corpus.folder], index)
    corpus.mutate(adds=150, edits=0, deletes=0)
    full_disk(FULL_WHILE_ADDING)
    with pytest.raises(searchkit.IndexWriteError, match="No space left"):
        searchkit.build_index([corpus.folder], index)


def test_full_disk_while_writing_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=10, spare=5, seed=30)
    index = tmp_path / "index"
    searchkit.build_index([corpus.folder], index)
    corpus.mutate(adds=5, edits=0, deletes=0)

    def no_space(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(searchkit.IndexWriteError, match="No space left"):
        searchkit.build_index([corpus.folder], index)
    monkeypatch.undo()
    # The documents were committed before the metadata write failed; either way the index works.
    assert check_index_usable(index) in (10, 15)
    assert not list(index.glob(".searchkit-*")), "a temporary metadata file was left behind"
    assert searchkit.build_index([corpus.folder], index, lock_timeout=0).ok
    assert check_index_usable(index) == 15


def test_a_failed_write_closes_its_files(tmp_path: Path, full_disk: Any) -> None:
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=10, spare=10, seed=31)
    index = tmp_path / "index"
    searchkit.build_index([corpus.folder], index)
    corpus.mutate(adds=10, edits=0, deletes=0)
    full_disk(2_000)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with suppress(searchkit.IndexWriteError):
            searchkit.build_index([corpus.folder], index)
        gc.collect()
    leaked = [
        str(w.message)
        for w in caught
        if issubclass(w.category, ResourceWarning) and str(tmp_path) in str(w.message)
    ]
    assert leaked == []


# ------------------------------------------------------------- a full disk and indexing workers

WORKER_STORIES = indexer_module.WORKER_BATCH * 4
"""New stories for a run big enough to be indexed by worker processes."""


def count_worker_starts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Force two indexing workers and count the worker processes started."""
    started: list[int] = []
    original_start = writer_module._WorkerTask.start

    def start(self: Any) -> None:
        started.append(1)
        original_start(self)

    monkeypatch.setattr(indexer_module, "worker_count", lambda: 2)
    monkeypatch.setattr(writer_module._WorkerTask, "start", start)
    return started


# Whoosh leaves files open after a failed write: pinned by test_a_failed_write_closes_its_files.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize(
    ("where", "budget"),
    [("workers", 0), ("workers", 20_000), ("everywhere", 0.5), ("everywhere", 0.9)],
    ids=["workers-at-once", "workers-later", "everywhere-early", "everywhere-late"],
)
def test_full_disk_in_indexing_workers_says_so_once_and_leaves_no_partial_files(
    tmp_path: Path,
    full_disk: Any,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    where: str,
    budget: float,
) -> None:
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=20, spare=WORKER_STORIES, seed=33)
    index = tmp_path / "index"
    searchkit.build_index([corpus.folder], index)
    before, files_before = index_snapshot(index), index_files(index)
    corpus_bytes = sum(path.stat().st_size for path in corpus.folder.iterdir())
    corpus.mutate(adds=WORKER_STORIES, edits=0, deletes=0)
    started = count_worker_starts(monkeypatch)
    if where == "workers":
        full_disk(int(budget), workers_only=True)
    else:
        # A share of the new stories' size: the indexer's own job files for the
        # workers (about that size in all) fill it after the first worker has
        # started, unless a worker fills its copy of what is left first.
        added = sum(path.stat().st_size for path in corpus.folder.iterdir()) - corpus_bytes
        full_disk(int(added * budget))
    capfd.readouterr()

    with pytest.raises(searchkit.IndexWriteError, match="No space left on device"):
        searchkit.build_index([corpus.folder], index)
    printed = capfd.readouterr().err
    monkeypatch.undo()
    assert started, "no worker process was started: the case proved nothing"
    assert "Traceback" not in printed, printed
    assert index_files(index) == files_before, "the failed write left partial files"
    assert index_snapshot(index) == before
    assert searchkit.build_index([corpus.folder], index, lock_timeout=0).ok
    assert check_index_usable(index) == len(corpus.present)


FULL_DISK_IN_WORKERS = """
import errno, os, sys
from whoosh.filedb import filestore
import searchkit.indexer
from searchkit.cli import main

searchkit.indexer.worker_count = lambda: 2  # workers even on a one-core machine
parent = os.getpid()
original = filestore.FileStorage.create_file

def create_file(self, name, *args, **kwargs):
    handle = original(self, name, *args, **kwargs)
    if os.getpid() != parent:  # only the indexing workers find the disk full
        def write(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        handle.file.write = write
    return handle

filestore.FileStorage.create_file = create_file
main(sys.argv[1:], prog_name="searchkit")
"""


def test_cli_full_disk_in_indexing_workers_prints_one_clean_error(tmp_path: Path) -> None:
    corpus = WorkingCorpus.create(tmp_path / "corpus", initial=20, spare=WORKER_STORIES, seed=34)
    index = tmp_path / "index"
    assert run_cli(["index", corpus.folder, "--index", index, "-q"]).returncode == 0
    before, files_before = index_snapshot(index), index_files(index)
    corpus.mutate(adds=WORKER_STORIES, edits=0, deletes=0)

    child = start_python(FULL_DISK_IN_WORKERS, "index", str(corpus.folder), "--index", str(index))
    output, errors = child.communicate(timeout=CLI_TIMEOUT)
    assert child.returncode == 1, errors
    assert output == "", output
    assert_no_crash(errors)
    lines = errors.strip().splitlines()
    assert len(lines) == 1, errors
    assert lines[0].startswith("Error: ") and "No space left on device" in lines[0], errors
    assert str(index) in lines[0]
    assert index_files(index) == files_before, "the failed write left partial files"
    assert index_snapshot(index) == before
