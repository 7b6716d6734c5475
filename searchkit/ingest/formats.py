"""Which files the ingester reads, how, and how big they may be."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

FileKind = Literal["html", "text", "json", "jsonl", "warc", "feed"]

SUFFIX_KINDS: dict[str, FileKind] = {
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
    ".text": "text",
    ".json": "json",
    ".jsonl": "jsonl",
    ".warc": "warc",
    ".arc": "warc",
    ".rss": "feed",
    ".atom": "feed",
    ".rdf": "feed",
    ".xml": "feed",
}

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(SUFFIX_KINDS)
"""File name endings the ingester reads (case-insensitive), each also gzipped (``+ .gz``);
other files are skipped."""

GZIP_SUFFIX = ".gz"
"""A file ending in a supported suffix plus this one is read through gzip."""

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Files larger than this are refused before reading: no news article is 20 MB of text,
and reading one would stall a whole indexing run. A gzipped file may not unpack to more
than this either (a gzip bomb of a few KB can unpack to gigabytes)."""


def kind_of(path: str | Path) -> FileKind | None:
    """The reader for ``path`` by its suffix (looking behind a ``.gz``), or None when the
    file type is not supported."""
    suffixes = [suffix.lower() for suffix in Path(path).suffixes]
    if suffixes and suffixes[-1] == GZIP_SUFFIX:
        suffixes.pop()
    return SUFFIX_KINDS.get(suffixes[-1]) if suffixes else None


def is_gzipped(path: str | Path) -> bool:
    """True when the file name says the content is gzipped (``page.html.gz``)."""
    return Path(path).suffix.lower() == GZIP_SUFFIX


def name_stem(path: str | Path) -> str:
    """The file name without its format suffixes ("x.html.gz" -> "x"), for readable ids."""
    name = Path(path).name
    if is_gzipped(name):
        name = name[: -len(GZIP_SUFFIX)]
    known = Path(name).suffix.lower()
    return name[: -len(known)] if known in SUFFIX_KINDS and len(name) > len(known) else name
