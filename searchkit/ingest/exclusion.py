"""Which files in a corpus folder are not articles: exclusion globs and skip reasons.

A news collection often ships its documentation beside its pages (README.TXT,
PROVENANCE.txt, LICENSE); read as articles they rank first for words like
"dataset". Those names are excluded by default, as are hidden files and
folders (``.git``, editor swap files). Users add their own globs with
``--exclude``. Files that are neither excluded nor of a supported type are
skipped with a reason, so nothing is left out without a word.
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase
from pathlib import Path

DEFAULT_EXCLUDES: tuple[tuple[str, str], ...] = (
    (".*", "hidden files and folders (.git, editor swap files) are not articles"),
    ("README*", "a collection's read-me describes the data; it is not an article"),
    ("LICENSE*", "a licence text is not an article"),
    ("PROVENANCE*", "a collection's provenance note describes the data; it is not an article"),
)
"""Globs excluded unless a path is named on the command line itself, with why."""

DEFAULT_GLOBS: tuple[str, ...] = tuple(glob for glob, _why in DEFAULT_EXCLUDES)

COMPRESSED_SUFFIXES: tuple[tuple[str, str], ...] = (
    (".gz", "gzip"),
    (".bz2", "bzip2"),
    (".xz", "xz"),
    (".zst", "zstandard"),
    (".zip", "zip"),
)
"""Compressed files the scan names as such, so their pages are not silently missing."""


def excluding_glob(relative: str, globs: Sequence[str]) -> str | None:
    """The first of ``globs`` that excludes the path ``relative`` (to its named folder), or None.

    A glob matches the whole relative path (with ``/`` between folders, and
    ``*`` matching ``/`` too) or the base name alone, ignoring case, so
    ``README*`` excludes ``docs/ReadMe.md`` and ``drafts/*`` everything
    under ``drafts``.
    """
    path = relative.replace("\\", "/").casefold()
    name = path.rsplit("/", 1)[-1]
    for glob in globs:
        wanted = glob.casefold()
        if fnmatchcase(name, wanted) or fnmatchcase(path, wanted):
            return glob
    return None


def skip_reason(path: Path) -> str:
    """Why a file of an unsupported type is skipped (compressed files say so)."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    for suffix, kind in COMPRESSED_SUFFIXES:
        if suffixes and suffixes[-1] == suffix:
            inner = "".join(suffixes[:-1]) or "file"
            return f"{kind}-compressed {inner} (not read)"
    if path.suffix:
        return f"unsupported file type {path.suffix.lower()}"
    return "unsupported file type (no suffix)"
