"""Durable commits: after a power cut the index is at its last commit or the one before.

A file's bytes and its name in the folder reach the disk separately and in no
promised order unless they are flushed (``fsync``), and Whoosh flushes nothing.
A commit is a new table of contents (TOC) naming the segment files it needs,
renamed into place; the order that makes it safe is:

1. flush each new segment file, then the folder (so their names are on disk too);
2. write the TOC under a temporary name and flush it;
3. rename it into place and flush the folder.

Until step 3 reaches the disk the last commit's TOC and files are the ones
found (Whoosh deletes them only after the rename); once it has, everything the
new TOC names is already on disk. ``searchkit.json`` is replaced the same way
(temporary file, flush, rename, flush the folder). Where the file system
cannot flush a folder (some network and FUSE file systems refuse ``fsync`` on
a directory) that step is skipped: it is the best that file system allows.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from whoosh.writing import SegmentWriter

from searchkit.engine.arrays import ensure_arrays

_UNSUPPORTED = (errno.EINVAL, errno.ENOTSUP, errno.EBADF)
"""What fsync on a folder raises where the file system does not support it."""


def fsync_file(path: str | os.PathLike[str]) -> None:
    """Flush a closed file's bytes to the disk (any descriptor of the file flushes them all)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_directory(path: str | os.PathLike[str]) -> None:
    """Flush a folder's entries (files created, renamed or deleted in it) to the disk."""
    if os.name == "nt":
        return  # Windows cannot open a folder as a file; NTFS journals its entries itself
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _UNSUPPORTED:
            raise
    finally:
        os.close(fd)


def replace_durably(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Rename a file over another, so that after a power cut exactly one of the two is there.

    The source is flushed first, so the name never points at bytes still in memory.
    """
    fsync_file(source)
    os.replace(source, target)
    fsync_directory(Path(target).parent)


def write_durably(path: Path, data: bytes, mode: int) -> None:
    """Write a whole file by temporary file, flush and rename: a crash leaves the old or the new.

    ``mode`` is the permission the file gets (a temporary file is created 0600).
    Raises OSError; a temporary file left by a failed write is removed.
    """
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.stem}-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            if hasattr(os, "fchmod"):
                os.fchmod(stream.fileno(), mode)
            stream.write(data)
        replace_durably(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)  # a full disk should not also collect half-written files
        raise


class DurableRenames:
    """Storage mixin: a rename in the index folder (how a TOC appears) is made durable."""

    folder: str

    def rename_file(self, oldname: str, newname: str, safe: bool = False) -> None:
        """Flush the file, rename it as Whoosh does, then flush the folder."""
        fsync_file(os.path.join(self.folder, oldname))
        super().rename_file(oldname, newname, safe=safe)  # type: ignore[misc]
        fsync_directory(self.folder)


class DurableCommits:
    """Writer mixin: flush the new segments' files before Whoosh writes the TOC naming them.

    The storage's ``rename_file`` (``DurableRenames``) then flushes the TOC and the
    folder; Whoosh deletes the old generation's files only after that.
    """

    segments: list[Any]
    storage: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Whoosh appends the new segments to this very list as it commits.
        self._committed = frozenset(segment.segment_id() for segment in self.segments)

    def _commit_toc(self, segments: Sequence[Any]) -> None:
        added = [segment for segment in segments if segment.segment_id() not in self._committed]
        ensure_arrays(self.storage, self.schema, added)  # type: ignore[attr-defined]
        new_files = sorted(
            name
            for segment in segments
            if segment.segment_id() not in self._committed
            for name in segment.list_files(self.storage)
        )
        for name in new_files:
            fsync_file(os.path.join(self.storage.folder, name))
        if new_files:
            fsync_directory(self.storage.folder)
        super()._commit_toc(segments)  # type: ignore[misc]


class DurableSegmentWriter(DurableCommits, SegmentWriter):  # type: ignore[misc]
    """Whoosh's single-process writer with durable commits (and the scorer's arrays)."""
