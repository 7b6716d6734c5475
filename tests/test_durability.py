"""A power cut at any moment of a commit leaves the index at the old commit or the new one.

The operating system keeps written bytes and new names in memory until they
are flushed (``fsync``); a power cut loses whatever was not. These tests record
every write, flush, rename and delete a commit makes in the index folder (in
this process and in worker processes), check that they come in the order that
makes a commit durable, and then, for every point of that sequence, rebuild the
folder as a power cut there could leave it (names as of the last flush of the
folder, or every change so far; unflushed files missing, or empty) and open it:
it must hold exactly the old commit or the new one, and once ``commit()`` has
returned, the new one.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from test_reliability_support import check_index_usable, index_snapshot

import searchkit.indexer as indexer_module
from searchkit import Article, Indexer
from searchkit.engine import durable
from searchkit.engine.storage import METADATA_FILE, TrackingFileStorage

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="reading which file a descriptor is needs /proc"
)

FOLDER = "."
"""How events name the index folder itself."""


@dataclass(frozen=True)
class Event:
    """One step a commit takes on the disk."""

    pid: int
    op: str  # "wrote" (a file written through the storage was closed), "fsync", "rename", "delete"
    name: str
    target: str = ""


@dataclass(frozen=True)
class CrashState:
    """What the disk holds in a power cut right after one event.

    ``everything`` is every name as the folder is now; ``flushed`` the names as of
    the folder's last flush; ``deleted`` the names deleted since then (a file
    system may write a deletion before an earlier rename). ``content`` holds the
    bytes of each file that were flushed (or were there, flushed, before the
    commit), by file identity.
    """

    after: str
    everything: dict[str, int]
    flushed: dict[str, int]
    deleted: frozenset[str]
    content: dict[int, bytes]

    def names(self, which: str) -> dict[str, int]:
        """The names in the folder in one of the ways a power cut can leave them."""
        if which == "everything":
            return self.everything
        if which == "flushed":
            return self.flushed
        return {name: i for name, i in self.flushed.items() if name not in self.deleted}


@dataclass
class DiskRecorder:
    """Watches the index folder through os.fsync / rename / replace / remove / unlink
    and the storage's file creation, logging events from every process to one file
    and, in this process, keeping the model of what a power cut would leave."""

    folder: Path
    log: Path
    pid: int = field(default_factory=os.getpid)
    states: list[CrashState] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.folder = self.folder.resolve()
        self._ids = itertools.count()
        self._names: dict[str, tuple[int, int]] = {}  # name -> (identity, inode)
        self._refresh()
        self._content = {
            identity: (self.folder / name).read_bytes()
            for name, (identity, _inode) in self._names.items()
        }
        self._flushed = self._bound()
        self._deleted: set[str] = set()

    # -- the model ----------------------------------------------------------------

    def _bound(self) -> dict[str, int]:
        return {name: identity for name, (identity, _inode) in self._names.items()}

    def _refresh(self) -> None:
        """Re-list the folder; a name with a new inode is a new file."""
        current: dict[str, tuple[int, int]] = {}
        for entry in os.scandir(self.folder):
            if not entry.is_file(follow_symlinks=False):
                continue  # Whoosh's scratch folders hold nothing a commit needs
            known = self._names.get(entry.name)
            inode = entry.inode()
            current[entry.name] = known if known and known[1] == inode else (next(self._ids), inode)
        self._names = current

    def _snapshot(self, after: str) -> None:
        self.states.append(
            CrashState(
                after,
                self._bound(),
                dict(self._flushed),
                frozenset(self._deleted),
                dict(self._content),
            )
        )

    def _name(self, path: str | os.PathLike[str]) -> str | None:
        resolved = Path(os.path.abspath(path))
        if resolved == self.folder:
            return FOLDER
        if resolved.parent == self.folder:
            return resolved.name
        return None

    def _note(self, op: str, name: str, target: str = "") -> None:
        with self.log.open("a", encoding="utf-8") as out:
            out.write(json.dumps([os.getpid(), op, name, target]) + "\n")

    # -- the hooks ----------------------------------------------------------------

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_fsync, real_rename, real_replace = os.fsync, os.rename, os.replace
        real_remove, real_unlink = os.remove, os.unlink
        real_create = TrackingFileStorage.create_file

        def fsync(fd: int) -> None:
            real_fsync(fd)
            name = self._name(os.readlink(f"/proc/self/fd/{fd}"))
            if name is None:
                return
            self._note("fsync", name)
            if os.getpid() != self.pid:
                return
            self._refresh()
            if name == FOLDER:
                self._flushed = self._bound()
                self._deleted = set()
            elif name in self._names:
                self._content[self._names[name][0]] = (self.folder / name).read_bytes()
            self._snapshot(f"fsync {name}")

        def moving(real: Callable[..., None]) -> Callable[..., None]:
            def move(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
                real(source, target, *args, **kwargs)
                old, new = self._name(source), self._name(target)
                if old is None or new is None:
                    return
                self._note("rename", old, new)
                if os.getpid() == self.pid:
                    if old in self._names:
                        self._names[new] = self._names.pop(old)
                    self._refresh()
                    self._snapshot(f"rename {old} -> {new}")

            return move

        def deleting(real: Callable[..., None]) -> Callable[..., None]:
            def delete(path: Any, *args: Any, **kwargs: Any) -> None:
                real(path, *args, **kwargs)
                name = self._name(path)
                if name is None:
                    return
                self._note("delete", name)
                if os.getpid() == self.pid:
                    self._deleted.add(name)
                    self._refresh()
                    self._snapshot(f"delete {name}")

            return delete

        def create_file(storage: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            handle = real_create(storage, name, *args, **kwargs)
            where = self._name(os.path.join(storage.folder, name))
            if where is not None:
                close = handle.close

                def closed() -> None:
                    close()
                    self._note("wrote", where)

                handle.close = closed
            return handle

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "rename", moving(real_rename))
        monkeypatch.setattr(os, "replace", moving(real_replace))
        monkeypatch.setattr(os, "remove", deleting(real_remove))
        monkeypatch.setattr(os, "unlink", deleting(real_unlink))
        monkeypatch.setattr(TrackingFileStorage, "create_file", create_file)

    def events(self) -> list[Event]:
        if not self.log.exists():
            return []
        return [Event(*json.loads(line)) for line in self.log.read_text("utf-8").splitlines()]


# --------------------------------------------------------------------------- scenarios


def articles(count: int, prefix: str, word: str = "harbour") -> list[Article]:
    return [
        Article(f"{prefix}-{n}", f"{word.title()} story {n}", f"The {word} crane strike, day {n}.")
        for n in range(count)
    ]


def committed_index(folder: Path, commits: int = 3) -> Path:
    """An index of a few commits (a few segments, one deletion) to commit on top of."""
    index = folder / "index"
    for commit in range(commits):
        with Indexer(index) as indexer:
            for article in articles(4, f"c{commit}"):
                indexer.add(article)
            if commit:
                indexer.delete(f"c{commit - 1}-0")
    return index


def add_and_delete(indexer: Indexer) -> None:
    for article in articles(3, "new", "ferry"):
        indexer.add(article)
    indexer.delete("c0-1")
    indexer.add(Article("c1-2", "Ferry story replaced", "The ferry timetable changed."))


def bulk_load(indexer: Indexer) -> None:
    indexer.add_many(articles(indexer_module.WORKER_BATCH * 2 + 5, "bulk", "ferry"))


SCENARIOS: dict[str, tuple[dict[str, Any], Callable[[Indexer], None]]] = {
    "add and delete": ({}, add_and_delete),
    "bulk load in worker processes": ({}, bulk_load),
    "rebuild": ({"rebuild": True}, lambda indexer: indexer.add_many(articles(6, "re", "ferry"))),
}


@dataclass
class Recorded:
    """One commit as the disk saw it: its events, and the documents before and after."""

    index: Path
    recorder: DiskRecorder
    before: dict[str, str]
    after: dict[str, str]
    old_files: set[str]


def record(index: Path, log: Path, commit: Callable[[], None]) -> Recorded:
    """Run ``commit`` (which writes to ``index``) with every disk event recorded."""
    before = index_snapshot(index)
    old_files = {p.name for p in index.iterdir() if p.is_file()}
    recorder = DiskRecorder(index, log)
    with pytest.MonkeyPatch.context() as patches:
        recorder.install(patches)
        commit()
    return Recorded(index, recorder, before, index_snapshot(index), old_files)


def record_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: str) -> Recorded:
    options, transaction = SCENARIOS[scenario]
    index = committed_index(tmp_path)
    monkeypatch.setattr(indexer_module, "worker_count", lambda: 2)

    def commit() -> None:
        with Indexer(index, **options) as indexer:
            transaction(indexer)

    recorded = record(index, tmp_path / "events.log", commit)
    assert recorded.after != recorded.before
    return recorded


# --------------------------------------------------------------------------- the order


def first(events: list[Event], match: Callable[[Event], bool], start: int = 0) -> int:
    for position in range(start, len(events)):
        if match(events[position]):
            return position
    raise AssertionError(f"no such event after {start}: {events[start:]}")


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_a_commit_flushes_segments_then_the_toc_then_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: str
) -> None:
    recorded = record_commit(tmp_path, monkeypatch, scenario)
    events = recorded.recorder.events()
    toc = max(recorded.index.glob("_MAIN_*.toc")).name
    rename = first(events, lambda e: e.op == "rename" and e.target == toc)
    temp_toc = events[rename].name
    new_segment_files = {
        p.name for p in recorded.index.glob("MAIN_*") if p.name not in recorded.old_files
    }
    assert new_segment_files, sorted(p.name for p in recorded.index.iterdir())
    last_segment_flush = 0
    for name in sorted(new_segment_files):
        wrote = max(i for i, e in enumerate(events) if e.op == "wrote" and e.name == name)
        flushed = first(events, lambda e, n=name: e.op == "fsync" and e.name == n, wrote)
        last_segment_flush = max(last_segment_flush, flushed)
    names_flushed = first(
        events, lambda e: e.op == "fsync" and e.name == FOLDER, last_segment_flush
    )
    toc_written = first(events, lambda e: e.op == "wrote" and e.name == temp_toc)
    toc_flushed = first(events, lambda e: e.op == "fsync" and e.name == temp_toc, toc_written)
    assert last_segment_flush < names_flushed < toc_flushed < rename
    toc_durable = first(events, lambda e: e.op == "fsync" and e.name == FOLDER, rename)
    old_deleted = [
        i for i, e in enumerate(events) if e.op == "delete" and e.name in recorded.old_files
    ]
    assert all(i > toc_durable for i in old_deleted), events
    # Then searchkit.json: a flushed temporary file, renamed into place, and the folder flushed.
    metadata = first(events, lambda e: e.op == "rename" and e.target == METADATA_FILE, rename)
    temp_metadata = events[metadata].name
    assert any(e.op == "fsync" and e.name == temp_metadata for e in events[toc_durable:metadata]), (
        events
    )
    first(events, lambda e: e.op == "fsync" and e.name == FOLDER, metadata)


# --------------------------------------------------------------------------- power cuts


NAMINGS = ("flushed", "flushed and later deletions", "everything")


def rebuild_folder(state: CrashState, names: str, unflushed: str, target: Path) -> None:
    """The folder a power cut in ``state`` could leave, in one of the ways it could."""
    target.mkdir(parents=True)
    for name, identity in state.names(names).items():
        data = state.content.get(identity)
        if data is None:
            if unflushed == "missing":
                continue
            data = b""
        (target / name).write_bytes(data)


def outcomes(recorded: Recorded, work: Path) -> Iterator[tuple[str, str]]:
    """(where the power was cut, which commit the folder opened at) for every way."""
    seen: set[str] = set()
    for number, state in enumerate(recorded.recorder.states):
        for names, unflushed in itertools.product(NAMINGS, ("missing", "empty")):
            where = f"after #{number} {state.after} ({names} names, unflushed files {unflushed})"
            copy = work / f"cut-{number}-{names}-{unflushed}"
            rebuild_folder(state, names, unflushed, copy)
            fingerprint = hashlib.sha1(
                repr(sorted((p.name, p.read_bytes()) for p in copy.iterdir())).encode()
            ).hexdigest()
            if fingerprint in seen:
                shutil.rmtree(copy)
                continue
            seen.add(fingerprint)
            yield where, opened_at(recorded, copy)
            shutil.rmtree(copy)


def opened_at(recorded: Recorded, copy: Path) -> str:
    try:
        check_index_usable(copy)
        documents = index_snapshot(copy)
    except Exception as exc:  # any failure to open is what the test reports
        return f"error: {type(exc).__name__}: {exc}"
    if documents == recorded.before:
        return "old"
    if documents == recorded.after:
        return "new"
    return f"a mix of {len(documents)} documents"


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_a_power_cut_anywhere_in_a_commit_leaves_the_old_or_the_new_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: str
) -> None:
    recorded = record_commit(tmp_path, monkeypatch, scenario)
    assert recorded.recorder.states, "the commit touched nothing in the folder"
    results = list(outcomes(recorded, tmp_path / "cuts"))
    wrong = [f"{where}: {result}" for where, result in results if result not in ("old", "new")]
    assert not wrong, "\n".join(wrong)
    assert {result for _where, result in results} == {"old", "new"}
    final = recorded.recorder.states[-1]
    rebuild_folder(final, "flushed", "missing", tmp_path / "after-commit")
    assert opened_at(recorded, tmp_path / "after-commit") == "new", "the commit is not durable"


# --------------------------------------------------------------------------- the helpers


def test_write_durably_replaces_the_whole_file_and_leaves_no_temporary_file(
    tmp_path: Path,
) -> None:
    target = tmp_path / "searchkit.json"
    target.write_text("old", encoding="utf-8")
    durable.write_durably(target, b"new", 0o640)
    assert target.read_bytes() == b"new"
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)
    assert [p.name for p in tmp_path.iterdir()] == ["searchkit.json"]


def test_a_failed_durable_write_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "searchkit.json"
    target.write_text("old", encoding="utf-8")

    def full_disk(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        durable.write_durably(target, b"new", 0o644)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["searchkit.json"]


@pytest.mark.parametrize(("code", "raises"), [(errno.EINVAL, False), (errno.EIO, True)])
def test_a_folder_flush_the_file_system_refuses_is_skipped_but_a_disk_error_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, raises: bool
) -> None:
    def refuse(_fd: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "fsync", refuse)
    if raises:
        with pytest.raises(OSError):
            durable.fsync_directory(tmp_path)
    else:
        durable.fsync_directory(tmp_path)
