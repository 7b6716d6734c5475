"""Find the files to ingest under the paths a user names, and nothing outside them.

Directories are walked recursively without recursion in Python. Symbolic
links are followed only when their target lies under one of the paths named
(or with ``follow_links=True``), so a link to ``/etc`` never brings its files
into an index. Devices, FIFOs, sockets and the kernel's ``/proc`` and ``/sys``
are never walked or read, even with ``follow_links``, and a folder holding a
searchkit index (its own, or any other) is never taken for articles. Each of
these is listed in ``passed_over`` with its reason.

Files are reported by the absolute path they were reached by (through any
links), sorted; two routes to one file index it once, under the route that
sorts first. Files and folders matching an exclusion glob (by default
README*, LICENSE*, PROVENANCE* and names starting with ".", see
``searchkit.ingest.exclusion``) are listed in ``excluded`` with the glob;
other files with unsupported suffixes are listed in ``skipped`` with why.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from searchkit.errors import IngestError
from searchkit.ingest.exclusion import DEFAULT_GLOBS, excluding_glob, skip_reason
from searchkit.ingest.formats import kind_of
from searchkit.ingest.special import special_reason
from searchkit.models import IngestFailure, SkippedPath

INDEX_MARKERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"_MAIN_\d+\.toc"), "the table of contents every searchkit index has"),
    (re.compile(r"MAIN_WRITELOCK"), "the write lock of an index that was ever written"),
)
"""File names that make a folder a searchkit index (searchkit.engine.storage names them so)."""

INDEX_FOLDER = "a searchkit index, never read as articles"
LINK_OUTSIDE = "symbolic link to {target}, outside the paths named; --follow-links follows it"


@dataclass(frozen=True)
class CorpusScan:
    """What a scan found: files to read, files skipped by type (with why), paths that
    could not be read, links, special files and index folders passed over (with why),
    and files and folders excluded by a glob (the reason is the glob)."""

    files: tuple[Path, ...] = ()
    skipped: tuple[SkippedPath, ...] = ()
    failures: tuple[IngestFailure, ...] = ()
    passed_over: tuple[SkippedPath, ...] = ()
    excluded: tuple[SkippedPath, ...] = ()


@dataclass
class _Walk:
    named: tuple[Path, ...]
    follow_links: bool
    index_folders: set[tuple[int, int]]
    globs: tuple[str, ...] = ()
    user_globs: tuple[str, ...] = ()
    files: dict[Path, Path] = field(default_factory=dict)  # resolved -> first route in order
    skipped: dict[Path, str] = field(default_factory=dict)
    excluded: list[SkippedPath] = field(default_factory=list)
    failures: list[IngestFailure] = field(default_factory=list)
    passed_over: list[SkippedPath] = field(default_factory=list)
    visited_dirs: set[tuple[int, int]] = field(default_factory=set)

    def pass_over(self, path: Path, reason: str) -> None:
        self.passed_over.append(SkippedPath(str(path), reason))


def scan(
    paths: Iterable[str | os.PathLike[str]],
    *,
    follow_links: bool = False,
    exclude: Iterable[str | os.PathLike[str]] = (),
    exclude_globs: Sequence[str] = (),
    default_excludes: bool = True,
) -> CorpusScan:
    """List the supported files under ``paths`` (files or directories, walked recursively).

    A path that does not exist raises IngestError, since it is almost
    certainly a typo the user wants to hear about; unreadable directories,
    broken links and symbolic-link loops inside a walk become failures so one
    bad corner does not stop a whole corpus. Folders in ``exclude`` (the
    index being written, say) are passed over like any other index folder.

    Inside a named folder, a file or folder whose path relative to that folder,
    or whose base name, matches one of ``exclude_globs`` or (with
    ``default_excludes``) of ``DEFAULT_GLOBS`` is not read, and is listed in
    ``excluded``. A file named in ``paths`` itself is never excluded by a
    default glob (naming it says it is wanted), only by ``exclude_globs``
    matching its base name; a named folder is always walked.
    """
    given = list(paths)
    named = [Path(os.path.abspath(raw)) for raw in given]
    for raw, path in zip(given, named, strict=True):
        if not path.exists() and not path.is_symlink():
            raise IngestError(str(raw), "no such file or directory")
    walk = _Walk(
        named=tuple(_resolved(path) or path for path in named),
        follow_links=follow_links,
        index_folders=_identities(exclude),
        globs=tuple(exclude_globs) + (DEFAULT_GLOBS if default_excludes else ()),
        user_globs=tuple(exclude_globs),
    )
    for path in named:
        glob = None if path.is_dir() else excluding_glob(path.name, walk.user_globs)
        if glob is not None:
            walk.excluded.append(SkippedPath(str(path), glob))
            continue
        _visit(path, walk, named_here=True)
    order = sorted(walk.files.values())
    return CorpusScan(
        files=tuple(order),
        skipped=tuple(SkippedPath(str(p), why) for p, why in sorted(walk.skipped.items())),
        failures=tuple(walk.failures),
        passed_over=tuple(walk.passed_over),
        excluded=tuple(sorted(walk.excluded, key=lambda item: item.path)),
    )


def _visit(path: Path, walk: _Walk, *, named_here: bool = False) -> None:
    """Walk ``path`` and everything below it (depth first, in name order).

    Exclusion globs are matched against each path relative to ``path``.
    """
    pending = [(path, named_here)]
    while pending:
        current, named_now = pending.pop()
        if not named_now:
            glob = excluding_glob(current.relative_to(path).as_posix(), walk.globs)
            if glob is not None:
                walk.excluded.append(SkippedPath(str(current), glob))
                continue
        status = _status(current, walk, named_now)
        if status is None:
            continue
        if not stat.S_ISDIR(status.st_mode):
            _add_file(current, walk)
            continue
        children = _enter(current, status, walk)
        for child in reversed(children):
            pending.append((child, False))


def _status(path: Path, walk: _Walk, named: bool) -> os.stat_result | None:
    """The status of what ``path`` leads to, or None when it is not to be read (noted why)."""
    if path.is_symlink():
        target = _resolved(path)
        if target is None:
            reason = "symbolic link loop" if _loops(path) else "broken symbolic link"
            walk.failures.append(IngestFailure(str(path), reason))
            return None
        if not (named or walk.follow_links or _within(target, walk.named)):
            walk.pass_over(path, LINK_OUTSIDE.format(target=target))
            return None
    try:
        status = path.stat()
    except OSError as exc:
        walk.failures.append(IngestFailure(str(path), _os_reason(exc)))
        return None
    special = special_reason(status)
    if special is not None:
        walk.pass_over(path, special)
        return None
    return status


def _enter(directory: Path, status: os.stat_result, walk: _Walk) -> list[Path]:
    """The children of a folder to walk next (none for a loop, an index or an unreadable one)."""
    identity = (status.st_dev, status.st_ino)
    if identity in walk.visited_dirs:
        if _is_loop(directory):
            walk.failures.append(
                IngestFailure(str(directory), "symbolic link loop (points to a parent folder)")
            )
        return []
    walk.visited_dirs.add(identity)
    if identity in walk.index_folders:
        walk.pass_over(directory, INDEX_FOLDER)
        return []
    try:
        with os.scandir(directory) as entries:
            names = sorted(entry.name for entry in entries)
    except OSError as exc:
        walk.failures.append(IngestFailure(str(directory), _os_reason(exc)))
        return []
    if is_index_folder(names):
        walk.pass_over(directory, INDEX_FOLDER)
        return []
    return [directory / name for name in names]


def is_index_folder(names: Iterable[str]) -> bool:
    """Whether a folder holding files with these names is a searchkit index."""
    return any(pattern.fullmatch(name) for name in names for pattern, _why in INDEX_MARKERS)


def _add_file(path: Path, walk: _Walk) -> None:
    if kind_of(path) is None:
        walk.skipped[path] = skip_reason(path)
        return
    resolved = _resolved(path) or path
    first = walk.files.get(resolved)
    if first is None or path < first:
        walk.files[resolved] = path


def _resolved(path: Path) -> Path | None:
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None


def _loops(path: Path) -> bool:
    try:
        path.resolve(strict=True)
    except RuntimeError:
        return True
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _within(target: Path, roots: Iterable[Path]) -> bool:
    return any(target == root or root in target.parents for root in roots)


def _identities(paths: Iterable[str | os.PathLike[str]]) -> set[tuple[int, int]]:
    identities = set()
    for path in paths:
        try:
            status = os.stat(path)
        except OSError:
            continue  # not created yet: nothing there to pass over
        identities.add((status.st_dev, status.st_ino))
    return identities


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
