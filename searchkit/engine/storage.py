"""The index directory: its metadata file, and opening or creating the Whoosh index in it.

Every way an index can be missing, foreign, outdated or damaged is turned into
one of searchkit's own errors here, with the command that fixes it.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import mmap
import os
import threading
import time
import warnings
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.index import FileIndex
from whoosh.util import random_name

from searchkit.engine import durable, unpickling
from searchkit.engine.schema import SCHEMA_VERSION, build_schema
from searchkit.errors import (
    IndexCorruptError,
    IndexDirectoryError,
    IndexIncompatibleError,
    IndexNotFoundError,
    IndexWriteError,
)
from searchkit.synonyms import AliasGroup, GroupLines, fingerprint, groups_to_lines

log = logging.getLogger("searchkit")

# Every index is opened or created through this module, so this is the one place that
# makes Whoosh unpickle index files through searchkit's allow-list (see unpickling.py).
unpickling.install()

READER_ATTEMPTS = 10
"""Times opening a reader is tried while concurrent commits delete the segments it lists."""

METADATA_FILE = "searchkit.json"
INDEX_NAME = "MAIN"
FIRST_TOC = f"_{INDEX_NAME}_0.toc"
OPEN_ATTEMPTS = 5
"""How often to try opening an index whose files a concurrent commit is replacing."""
OPEN_RETRY_SECONDS = 0.05


@dataclass(frozen=True)
class IndexMetadata:
    """What searchkit records beside the Whoosh files: schema version and alias groups."""

    schema_version: int
    synonyms: tuple[str, ...]
    synonyms_fingerprint: str
    created: datetime
    updated: datetime

    def groups(self, index_dir: str) -> GroupLines:
        """The alias groups the index was built with (each parsed when first needed)."""
        return GroupLines(self.synonyms, f"{index_dir}/{METADATA_FILE}")

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "synonyms": list(self.synonyms),
            "synonyms_fingerprint": self.synonyms_fingerprint,
            "created": self.created.isoformat(),
            "updated": self.updated.isoformat(),
        }


def new_metadata(groups: Sequence[AliasGroup], created: datetime | None = None) -> IndexMetadata:
    """Metadata for an index built now with ``groups``."""
    now = datetime.now(timezone.utc)
    return IndexMetadata(
        SCHEMA_VERSION, tuple(groups_to_lines(groups)), fingerprint(groups), created or now, now
    )


def has_index(index_dir: str | Path) -> bool:
    """True when the directory holds a searchkit index (or at least a Whoosh one).

    An empty first-generation Whoosh index without ``searchkit.json`` is what
    a first `searchkit index` killed half-way through creating the index
    leaves behind; it holds nothing, so it counts as no index and the next
    run simply creates it again instead of asking for ``--rebuild``.
    """
    directory = Path(index_dir)
    if (directory / METADATA_FILE).is_file():
        return True
    if not directory.is_dir():
        return False
    tocs = {p.name for p in directory.iterdir() if p.suffix == ".toc"}
    return bool(tocs) and tocs != {FIRST_TOC}


def read_metadata(index_dir: str | Path) -> IndexMetadata:
    """Read and validate ``searchkit.json``; raise the error that tells the user what to do."""
    directory = Path(index_dir)
    name = str(index_dir)
    if not directory.is_dir() or not has_index(directory):
        raise IndexNotFoundError(name)
    path = directory / METADATA_FILE
    if not path.is_file():
        raise IndexIncompatibleError(name, "was not created by searchkit (no searchkit.json)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        version = int(data["schema_version"])
    except PermissionError as exc:
        raise _unreadable(name, exc) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(name, f"unreadable {METADATA_FILE}: {exc}") from exc
    if version != SCHEMA_VERSION:
        raise IndexIncompatibleError(
            name, f"has schema version {version}, this searchkit needs {SCHEMA_VERSION}"
        )
    try:
        return IndexMetadata(
            version,
            tuple(str(line) for line in data["synonyms"]),
            str(data["synonyms_fingerprint"]),
            datetime.fromisoformat(data["created"]),
            datetime.fromisoformat(data["updated"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexCorruptError(name, f"unreadable {METADATA_FILE}: {exc}") from exc


def _unreadable(index_dir: str, error: PermissionError) -> IndexDirectoryError:
    """A permission problem is not damage: rebuilding would not help, so do not suggest it."""
    where = f" ({error.filename})" if error.filename else ""
    return IndexDirectoryError(
        index_dir,
        f"cannot read the index at {index_dir}: permission denied{where}; "
        f"run searchkit as a user who may read it",
    )


def new_file_mode() -> int:
    """The mode a plainly created file gets (0o666 less the umask), as Whoosh's files get.

    ``mkstemp`` creates 0o600 files, which would make an index built by one
    user (a cron job) unreadable to the others (a web server) although every
    Whoosh file in it is readable. The umask is read from /proc, because
    setting it to find it out is not thread-safe.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o644


def write_metadata(index_dir: str | Path, metadata: IndexMetadata) -> None:
    """Write the metadata durably (temp file, fsync, rename, fsync of the folder), so neither
    a crash nor a power cut ever leaves half a file."""
    data = json.dumps(metadata.to_json(), indent=2).encode("utf-8")
    try:
        durable.write_durably(Path(index_dir) / METADATA_FILE, data, new_file_mode())
    except OSError as exc:
        raise IndexWriteError(
            str(index_dir), f"cannot write {METADATA_FILE} in {index_dir}: {exc}"
        ) from exc


GROUPS_FILE = "searchkit-groups.json"
"""The index-time groupers' state after the last commit (see searchkit.grouping)."""


GROUPS_TAG_FILE = "searchkit-groups.tag"
"""Which commit the state file is valid for: "WRITTEN VALID", two generations.

A commit that changed no document only rewrites this small file, so an
unchanged sync run does not rewrite (or even read) the whole state.
"""


def groups_state_valid_for(index_dir: str | Path) -> tuple[int, int] | None:
    """(generation the state was written at, generation it is valid for), or None."""
    try:
        written, valid = (Path(index_dir) / GROUPS_TAG_FILE).read_text("ascii").split()
        return int(written), int(valid)
    except (OSError, ValueError):
        return None


def read_groups_state(index_dir: str | Path, generation: int) -> dict[str, Any] | None:
    """The grouping state saved for the commit of ``generation``, or None.

    None when there is none, it was saved for another commit, or it cannot be
    read. That is not damage: the state can always be recovered from the
    committed documents, which is what a caller does on None.
    """
    tag = groups_state_valid_for(index_dir)
    if tag is None or tag[1] != generation:
        return None
    try:
        data = json.loads((Path(index_dir) / GROUPS_FILE).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("generation") != tag[0]:
        return None
    return data


def write_groups_state(
    index_dir: str | Path, generation: int, state: dict[str, Any] | None
) -> None:
    """Record the grouping state for the commit of ``generation``, durably; raises OSError.

    ``state`` None means the commit changed no document: the state saved for
    the previous commit stays valid, and only the tag moves on (if there is no
    valid tag, nothing is written and the next writer recovers).
    """
    folder = Path(index_dir)
    if state is None:
        tag = groups_state_valid_for(folder)
        if tag is None or tag[1] != generation - 1:
            return
        written = tag[0]
    else:
        written = generation
        data = json.dumps({**state, "generation": generation}, separators=(",", ":"))
        durable.write_durably(folder / GROUPS_FILE, data.encode("utf-8"), new_file_mode())
    tag_text = f"{written} {generation}\n".encode("ascii")
    durable.write_durably(folder / GROUPS_TAG_FILE, tag_text, new_file_mode())


class _FixedSchemaIndex(FileIndex):  # type: ignore[misc]
    """A Whoosh index that always uses the schema searchkit built for it.

    Whoosh's ``FileIndex.schema`` re-reads the newest table of contents from
    disk at every access, which both wastes time and fails if a concurrent
    commit deletes that file in between; searchkit never uses the pickled
    schema anyway.
    """

    @property
    def schema(self) -> Any:
        return self._schema

    def writer(self, **kwargs: Any) -> Any:
        """Whoosh's single-process writer, with durable commits (see engine/durable.py)."""
        return durable.DurableSegmentWriter(self, **kwargs)

    def reader(self, reuse: Any = None) -> Any:
        """Open the current segments, retrying while a commit replaces them.

        Whoosh's own retry forgets the segment files it opened before the one
        a commit deleted; here they are closed before the next attempt.
        """
        storage = self.storage
        for attempt in range(READER_ATTEMPTS):
            with storage.recording_opened() as opened:
                try:
                    info = self._read_toc()
                    return self._reader(
                        storage, info.schema, info.segments, info.generation, reuse=reuse
                    )
                except OSError:
                    for handle in opened:
                        with contextlib.suppress(Exception):
                            handle.close()
                    if attempt == READER_ATTEMPTS - 1:
                        raise
            time.sleep(0.05)
        raise AssertionError("unreachable")


class TrackingFileStorage(durable.DurableRenames, FileStorage):  # type: ignore[misc]
    """Whoosh's file storage, remembering the files it creates, with durable renames.

    When a write fails part-way (a full disk), Whoosh's cleanup releases the
    lock but leaves the new segment's files open, some of them only reachable
    from its own stack frames; this storage can still close them.
    """

    def __init__(self, path: str) -> None:
        # Whoosh's own mmap path copies segments into memory: see ``_mapped``.
        super().__init__(path, supports_mmap=False)
        self._created: weakref.WeakSet[Any] = weakref.WeakSet()
        self._opening = threading.local()
        self._scratch: weakref.WeakSet[TrackingFileStorage] = weakref.WeakSet()

    def create_file(self, name: str, *args: Any, **kwargs: Any) -> Any:
        handle = super().create_file(name, *args, **kwargs)
        self._created.add(handle)
        return handle

    def open_file(self, name: str, *args: Any, **kwargs: Any) -> Any:
        handle = self._mapped(name, **kwargs) if name.endswith(".seg") else None
        if handle is None:
            handle = super().open_file(name, *args, **kwargs)
        opened: list[Any] | None = getattr(self._opening, "files", None)
        if opened is not None:
            opened.append(handle)
        return handle

    map_segments = True

    def _mapped(self, name: str, **kwargs: Any) -> Any:
        """A compound segment read through a memory map, or None where it cannot be mapped.

        Whoosh's own mmap path copies each part of the segment into a BytesIO
        when a reader opens: the whole index, per reader and per thread. Read
        through plain file handles, every small read is a system call. Reading
        the map as a file does neither (measured on Reuters in
        benchmarks/README.md: Whoosh's copy is fastest per query but opens
        slowest and holds the index in memory; plain files are slowest).
        """
        if not self.map_segments:
            return None
        try:
            with open(self._fpath(name), "rb") as raw:
                mapped = mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # an empty file cannot be mapped; let Whoosh report it
            return None
        return StructFile(mapped, name=name, **kwargs)

    @contextlib.contextmanager
    def recording_opened(self) -> Iterator[list[Any]]:
        """Collect the files this thread opens for reading inside the block."""
        opened: list[Any] = []
        self._opening.files = opened
        try:
            yield opened
        finally:
            self._opening.files = None

    def temp_storage(self, name: str | None = None) -> TrackingFileStorage:
        """Scratch storage inside the index folder, tracked like this one."""
        scratch = TrackingFileStorage(os.path.join(self.folder, name or f"{random_name()}.tmp"))
        self._scratch.add(scratch)
        return scratch.create()  # type: ignore[no-any-return]

    def forget_inherited_files(self) -> None:
        """Track only the files created from now on (in a forked indexing worker).

        The files a worker inherits are its parent's: closing them in the
        worker would flush the parent's buffers into them a second time.
        """
        self._created = weakref.WeakSet()
        self._scratch = weakref.WeakSet()

    def close_abandoned_files(self) -> None:
        """Close every file this storage created that is still open (after a failed write)."""
        for scratch in list(self._scratch):
            scratch.close_abandoned_files()
        for handle in list(self._created):
            if getattr(handle, "is_closed", False):
                continue
            try:
                handle.close()
            except Exception:  # best effort: the write has already failed
                log.debug("could not close an abandoned index file", exc_info=True)


def open_index(
    index_dir: str | Path, groups: Sequence[AliasGroup], *, query_aliases: bool = True
) -> FileIndex:
    """Open the Whoosh index with a schema built from ``groups`` (never the pickled one).

    A commit running in another process deletes the previous generation's
    files right after writing the new ones, so an open that loses that race
    finds a file gone; it is retried a few times before the index is
    reported as damaged.
    """
    name = str(index_dir)
    schema = build_schema(groups, query_aliases=query_aliases)
    failure = ""
    for attempt in range(OPEN_ATTEMPTS):
        if attempt:
            time.sleep(OPEN_RETRY_SECONDS)
        failure = ""
        # Whoosh leaves the file it was reading open when it fails on a damaged
        # index; the warnings filter hides the ResourceWarning while it is closed.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                ix = _FixedSchemaIndex(
                    TrackingFileStorage(name), schema=schema, indexname=INDEX_NAME
                )
                ix.doc_count_all()
            except whoosh_index.EmptyIndexError:
                failure = "no table of contents found"
            except FileNotFoundError as exc:
                failure = f"{type(exc).__name__}: {exc}"
                gc.collect()
                continue  # possibly a concurrent commit; try again
            except PermissionError as exc:
                gc.collect()
                raise _unreadable(name, exc) from exc
            except Exception as exc:  # Whoosh reports damage as many unrelated exception types.
                failure = f"{type(exc).__name__}: {exc}"
            if failure:
                gc.collect()
        break
    if failure:
        raise IndexCorruptError(name, failure)
    return ix


def create_index(index_dir: str | Path, groups: Sequence[AliasGroup]) -> FileIndex:
    """Create an empty index (removing any Whoosh files already there) with its metadata.

    The new folder's own name is flushed too, so a power cut cannot lose the
    index that a completed first run reported.
    """
    directory = Path(index_dir)
    try:
        new_folder = not directory.is_dir()
        directory.mkdir(parents=True, exist_ok=True)
        if new_folder:
            durable.fsync_directory(directory.absolute().parent)
        ix = _FixedSchemaIndex.create(
            TrackingFileStorage(str(directory)), build_schema(groups), INDEX_NAME
        )
    except OSError as exc:
        raise IndexWriteError(
            str(index_dir), f"cannot create an index in {index_dir}: {exc}"
        ) from exc
    write_metadata(directory, new_metadata(groups))
    return ix


def index_bytes(index_dir: str | Path) -> int:
    """Total size of the files in the index directory."""
    total = 0
    for entry in os.scandir(index_dir):
        try:
            if entry.is_file(follow_symlinks=False):
                total += entry.stat().st_size
        except FileNotFoundError:
            continue  # removed by a concurrent commit since the directory was listed
    return total
