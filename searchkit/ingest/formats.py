"""Which files the ingester reads, how, and how big they may be."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

FileKind = Literal["html", "text", "json", "jsonl"]

SUFFIX_KINDS: dict[str, FileKind] = {
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
    ".text": "text",
    ".json": "json",
    ".jsonl": "jsonl",
}

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(SUFFIX_KINDS)
"""File name endings the ingester reads (case-insensitive); other files are skipped."""

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Files larger than this are refused before reading: no news article is 20 MB of text,
and reading one would stall a whole indexing run."""


def kind_of(path: str | Path) -> FileKind | None:
    """The reader for ``path`` by its suffix, or None when the file type is not supported."""
    return SUFFIX_KINDS.get(Path(path).suffix.lower())
