"""Article ids that stay the same however and wherever the ingester is run.

The index replaces a document by id, so an id must depend only on what the
article *is*, never on the working directory or the order files were found:

* a file holding one article (HTML, text capture, single JSON record without
  ``id``): ``<slug of the file stem>-<first 8 hex of sha1(resolved absolute path)>``,
  e.g. ``border-talks-3f2a9c1d`` (the stem drops ``.gz`` too: ``x.html.gz`` -> ``x``);
* a page from a WARC or ARC file: ``<slug of the url's last path segment>-<8 hex of
  sha1(url + " " + capture date)>``;
* a JSON/JSONL record with its own ``id``: that id as a string, without the
  control and invisible characters nobody could type (``searchkit.characters``);
* a record without ``id`` but with a ``url``: ``<slug of the url's last path
  segment>-<8 hex of sha1(url)>``, so the record keeps its id if the file moves;
* any other record: ``<slug of the file stem>-<record number>-<8 hex of
  sha1(resolved path + "#" + record number)>`` (record number = JSONL line
  number, or 1-based position in a JSON list).
* HTML given in memory without a path: as for a record, from the page URL when
  known, else from the article's title and text.

A file name that is not UTF-8 (Python keeps its odd bytes as lone surrogates)
still gets such an id, ASCII by construction; ``path_text`` gives its path a
form that can be stored and printed, the same on every run
(``searchkit.safe_text``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import urlsplit

from searchkit.characters import clean_token
from searchkit.ingest.formats import name_stem

_MAX_SLUG_CHARS = 60


def slugify(text: str, fallback: str = "article") -> str:
    """Lower-case ASCII words joined by hyphens, for readable ids ("Café Talks" -> "cafe-talks")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:_MAX_SLUG_CHARS].rstrip("-")
    return slug or fallback


def short_hash(text: str) -> str:
    """The first 8 hex digits of sha1(text): enough to keep ids of one corpus apart."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def file_article_id(resolved_path: str) -> str:
    """Id of the single article a file holds, from its resolved absolute path."""
    return f"{slugify(name_stem(resolved_path))}-{short_hash(resolved_path)}"


def record_article_id(
    own_id: object, *, url: str | None, resolved_path: str, record_number: int
) -> str:
    """Id of one JSON/JSONL record: its own id if it has one, else from its URL or position."""
    if own_id is not None and not isinstance(own_id, bool):
        visible = clean_token(str(own_id))
        if visible:
            return visible
    if url:
        return url_article_id(url)
    position = f"{resolved_path}#{record_number}"
    return f"{slugify(name_stem(resolved_path))}-{record_number}-{short_hash(position)}"


def url_article_id(url: str) -> str:
    """Id of an article known only by its URL (the last path segment makes it readable)."""
    try:
        segments = [part for part in urlsplit(url).path.split("/") if part]
    except ValueError:
        segments = []
    readable = segments[-1].rsplit(".", 1)[0] if segments else ""
    return f"{slugify(readable)}-{short_hash(url)}"


def content_article_id(title: str, body: str) -> str:
    """Id of an in-memory article with neither path nor URL: from what it says."""
    return f"{slugify(title)}-{short_hash(title + chr(0x1F) + body)}"


def capture_article_id(url: str, captured: str) -> str:
    """Id of a page captured from ``url`` at ``captured`` (a WARC record's date): the
    same capture keeps its id wherever its archive moves, and two captures of one page
    are two articles."""
    try:
        parts = urlsplit(url)
        segments = [part for part in parts.path.split("/") if part]
        readable = segments[-1].rsplit(".", 1)[0] if segments else (parts.hostname or "")
    except ValueError:
        readable = ""
    return f"{slugify(readable)}-{short_hash(url + ' ' + captured)}"
