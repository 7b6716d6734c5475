"""Find the files to ingest under the paths a user names.

Directories are walked recursively (following symbolic links, with loop
detection) without recursion in Python. Files are reported as absolute,
resolved paths, sorted and de-duplicated, so two routes to one file index it
once and the order (hence the index) does not depend on the file system.
Names starting with "." (``.git``, editor swap files) are ignored entirely;
other files with unsupported suffixes are listed in ``skipped``.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from searchkit.errors import IngestError
from searchkit.ingest.formats import kind_of
from searchkit.models import IngestFailure


@dataclass(frozen=True)
class CorpusScan:
    """What a scan found: files to read, files skipped by type, and paths that could not be read."""

    files: tuple[Path, ...] = ()
    skipped: tuple[Path, ...] = ()
    failures: tuple[IngestFailure, ...] = ()


@dataclass
class _Found:
    files: set[Path] = field(default_factory=set)
    skipped: set[Path] = field(default_factory=set)
    failures: list[IngestFailure] = field(default_factory=list)
    visited_dirs: set[tuple[int, int]] = field(default_factory=set)


def scan(paths: Iterable[str | os.PathLike[str]]) -> CorpusScan:
    """List the supported files under ``paths`` (files or directories, walked recursively).

    A path that does not exist raises IngestError, since it is almost
    certainly a typo the user wants to hear about; unreadable directories,
    broken links and symbolic-link loops inside a walk become failures so one
    bad corner does not stop a whole corpus.
    """
    found = _Found()
    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            raise IngestError(str(raw), "no such file or directory")
        if path.is_dir():
            _walk(path, found)
        else:
            _add_file(path, found)
    return CorpusScan(
        files=tuple(sorted(found.files)),
        skipped=tuple(sorted(found.skipped)),
        failures=tuple(found.failures),
    )


def _add_file(path: Path, found: _Found) -> None:
    if path.is_symlink() and not path.exists():
        found.failures.append(IngestFailure(str(path), "broken symbolic link"))
    elif not path.is_file() or kind_of(path) is None:
        found.skipped.add(path.absolute())
    else:
        found.files.add(path.resolve())


def _walk(top: Path, found: _Found) -> None:
    pending = [top]
    while pending:
        directory = pending.pop()
        try:
            status = directory.stat()
        except OSError as exc:
            found.failures.append(IngestFailure(str(directory), _os_reason(exc)))
            continue
        identity = (status.st_dev, status.st_ino)
        if identity in found.visited_dirs:
            if _is_loop(directory):
                found.failures.append(
                    IngestFailure(str(directory), "symbolic link loop (points to a parent folder)")
                )
            continue
        found.visited_dirs.add(identity)
        try:
            with os.scandir(directory) as entries:
                children = sorted(entries, key=lambda entry: entry.name)
        except OSError as exc:
            found.failures.append(IngestFailure(str(directory), _os_reason(exc)))
            continue
        for entry in reversed(children):
            if entry.name.startswith("."):
                continue
            child = Path(entry.path)
            try:
                is_dir = entry.is_dir()
            except OSError as exc:
                found.failures.append(IngestFailure(str(child), _os_reason(exc)))
                continue
            if is_dir:
                pending.append(child)
            else:
                _add_file(child, found)


def _is_loop(directory: Path) -> bool:
    try:
        target = directory.resolve()
        parent = directory.parent.resolve()
    except (OSError, RuntimeError):
        return True
    return target == parent or target in parent.parents


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    return f"cannot read ({exc.strerror or type(exc).__name__})"
