"""Articles from JSON (one record or a list) and JSON Lines (one record a line).

A record is an object with a body and optionally a title, ``id``, ``url``,
outlet, date and author, under searchkit's own field names or those that
news-please, newspaper4k and trafilatura write (``RECORD_FIELDS``). A record
without a title gets one from its first sentence (``searchkit.titles``). A
bad record becomes an ``IngestFailure`` naming its line (JSONL) or position
(JSON list) and the others still load, so one broken line never hides a
whole feed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import IO, Any
from urllib.parse import urlsplit

from searchkit.characters import clean_token
from searchkit.ingest.dates import parse_date
from searchkit.ingest.decoding import strip_control_characters
from searchkit.ingest.formats import MAX_FILE_BYTES
from searchkit.ingest.identity import content_article_id, record_article_id
from searchkit.ingest.normalize import finish_article, join_paragraphs
from searchkit.models import Article, IngestFailure
from searchkit.safe_text import has_surrogate

RECORD_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("title", "title", "searchkit, news-please, newspaper4k and trafilatura all say title"),
    ("title", "headline", "schema.org's name for it, as some exporters keep"),
    ("body", "body", "searchkit's own name"),
    ("body", "text", "newspaper4k and trafilatura put the cleaned article text here"),
    ("body", "content", "a common name in hand-made feeds"),
    ("body", "maintext", "news-please's cleaned article text"),
    ("body", "raw_text", "trafilatura's text without its paragraph breaks, when text is absent"),
    ("body", "description", "news-please's lede: better an article of its lede than none"),
    ("body", "summary", "newspaper4k's summary, the same last resort"),
    ("url", "url", "every one of them"),
    ("url", "canonical_link", "newspaper4k's canonical URL, when url is missing"),
    ("url", "link", "a feed entry's address"),
    ("url", "source", "trafilatura writes the page URL as source (used only if it is a URL)"),
    ("source", "source", "searchkit's outlet (unless it is a URL, see above)"),
    ("source", "sitename", "trafilatura's site name"),
    ("source", "source-hostname", "trafilatura's site name in its JSON output"),
    ("source", "meta_site_name", "newspaper4k's og:site_name"),
    ("source", "source_domain", "news-please's host name (www.-less), the outlet's address"),
    ("source", "hostname", "trafilatura's host name, the outlet's address"),
    ("published", "published", "searchkit's own name"),
    ("published", "date_publish", "news-please's publication date"),
    ("published", "publish_date", "newspaper4k's publication date"),
    ("published", "date", "trafilatura's publication date (and a common name)"),
    ("author", "author", "searchkit and trafilatura (trafilatura joins names with '; ')"),
    ("author", "authors", "news-please and newspaper4k: a list of names"),
)
"""Which record keys fill which Article field, tried in this order (first usable wins),
each with why it is there. Dates that tell when a page was fetched or changed
(``date_download``, ``date_modify``, ``filedate``) are deliberately absent."""

BODY_KEYS = tuple(key for field, key, _why in RECORD_FIELDS if field == "body")
_TITLE_KEYS = tuple(key for field, key, _why in RECORD_FIELDS if field == "title")
_TEXT_LABEL = "body (or " + "/".join(BODY_KEYS[1:3]) + ")"


def read_json(text: str, resolved_path: str) -> Iterator[Article | IngestFailure]:
    """Articles from a ``.json`` file holding one record or a list of records."""
    try:
        data = json.loads(text)
    except RecursionError:
        yield IngestFailure(resolved_path, "invalid JSON: nested too deeply")
        return
    except ValueError as exc:
        yield IngestFailure(resolved_path, f"invalid JSON: {_describe(exc)}")
        return
    if isinstance(data, dict):
        yield _record_or_failure(data, resolved_path, 1, where="")
    elif isinstance(data, list):
        if not data:
            yield IngestFailure(resolved_path, "the JSON list holds no records")
        for number, item in enumerate(data, start=1):
            yield _record_or_failure(item, resolved_path, number, where=f"record {number}: ")
    else:
        yield IngestFailure(
            resolved_path, "JSON must hold an object or a list of objects with title and body"
        )


def _json_line(text: str, source: str, number: int) -> tuple[Any, Article | IngestFailure]:
    """One JSON Lines line as (its parsed value, its Article or the failure naming the line).

    Shared by ``.jsonl`` files and standard input, so both report a bad
    line the same way.
    """
    try:
        data = json.loads(text)
    except RecursionError:
        return None, IngestFailure(source, "invalid JSON: nested too deeply", line=number)
    except ValueError as exc:
        return None, IngestFailure(source, f"invalid JSON: {_describe(exc)}", line=number)
    item = _record_or_failure(data, source, number, where="")
    if isinstance(item, IngestFailure):
        item = IngestFailure(source, item.reason, line=number)
    return data, item


def read_jsonl(text: str, resolved_path: str) -> Iterator[Article | IngestFailure]:
    """Articles from a ``.jsonl`` file; a failure carries the line number it came from."""
    found_any = False
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        found_any = True
        yield _json_line(line, resolved_path, number)[1]
    if not found_any:
        yield IngestFailure(resolved_path, "the file is empty")


def record_to_article(record: dict[str, Any], resolved_path: str, number: int) -> Article:
    """One record as an Article; raises ValueError saying which field is missing or wrong.

    A record without a title is kept, under a title derived from its text.
    """
    _check_id(record.get("id"))
    title = _first_text(record, _TITLE_KEYS) or ""
    body_value = _first_text(record, BODY_KEYS)
    if body_value is None:
        raise ValueError(f"record has no {_TEXT_LABEL}")
    fields = {name: _field_text(record, name) for name in ("url", "source", "author")}
    # Like the title and body, these lose what is not text (an id cannot: see _check_id).
    fields = {key: _clean_optional(value) for key, value in fields.items()}
    published = next(
        (record[key] for field, key, _why in RECORD_FIELDS
         if field == "published" and record.get(key) not in (None, "")),
        None,
    )  # fmt: skip
    article = finish_article(
        Article(
            id=record_article_id(
                record.get("id"),
                url=clean_token(fields["url"]) if fields["url"] else None,
                resolved_path=resolved_path,
                record_number=number,
            ),
            title=strip_control_characters(title),
            body=normalize_body(strip_control_characters(body_value)),
            url=fields["url"],
            source=fields["source"],
            published=parse_date(published),
            author=fields["author"],
            path=resolved_path,
        )
    )
    if not article.body:
        raise ValueError(f"record has no {_TEXT_LABEL}")
    return article


def normalize_body(text: str) -> str:
    """Record bodies to the article format: paragraphs separated by exactly one blank line.

    Text with blank lines keeps its paragraphs (lines inside one stay as
    they are); text without any treats each line as a paragraph.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.strip() for line in text.strip().split("\n")]
    if "" not in lines:
        return join_paragraphs(lines)
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return join_paragraphs(paragraphs)


def _record_or_failure(
    item: object, resolved_path: str, number: int, *, where: str
) -> Article | IngestFailure:
    if not isinstance(item, dict):
        return IngestFailure(resolved_path, f"{where}a record must be a JSON object")
    try:
        return record_to_article(item, resolved_path, number)
    except ValueError as exc:
        return IngestFailure(resolved_path, f"{where}{exc}")


def _check_id(own_id: object) -> None:
    """Refuse an id that is not text: the index stores ids exactly, so it cannot be repaired."""
    if isinstance(own_id, str) and has_surrogate(own_id):
        raise ValueError(
            f"field 'id' holds {own_id!r}: a lone surrogate (half a UTF-16 pair) is not text"
        )


def _first_text(record: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """The first of ``keys`` holding non-blank text; ValueError for a key holding a non-string."""
    for key in keys:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if value is not None and not isinstance(value, str):
            raise ValueError(f"field {key!r} must be a string, not {type(value).__name__}")
    return None


def _field_text(record: dict[str, Any], name: str) -> str | None:
    """The ``url``, ``source`` or ``author`` of a record, by ``RECORD_FIELDS``.

    A ``source`` that is a web address is the page's URL (trafilatura), not
    its outlet; an outlet given only as a host name loses its "www.".
    Lists of author names are joined with commas, as are "; "-joined ones.
    """
    for field, key, _why in RECORD_FIELDS:
        if field != name:
            continue
        value = record.get(key)
        if name == "author" and isinstance(value, list):
            names = [item.strip() for item in value if isinstance(item, str) and item.strip()]
            if names:
                return ", ".join(names)
            continue
        text = _optional_text(record, key)
        if text is None:
            continue
        if key == "source" and _is_web_address(text) != (name == "url"):
            continue  # a URL under "source" is a URL; an outlet under it is an outlet
        if name == "source" and key in _HOST_KEYS:
            text = text.removeprefix("www.")
        if name == "author":
            text = ", ".join(part.strip() for part in text.split(";") if part.strip())
        return text
    return None


_HOST_KEYS = ("source_domain", "hostname")


def _is_web_address(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _clean_optional(value: str | None) -> str | None:
    return (strip_control_characters(value).strip() or None) if value else None


def _optional_text(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _describe(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return str(exc)


STREAM_NAME = "<stdin>"
"""What failures of a standard-input stream name as their file."""


def read_jsonl_stream(
    stream: IO[bytes], name: str = STREAM_NAME, *, max_line_bytes: int = MAX_FILE_BYTES
) -> Iterator[Article | IngestFailure]:
    """Articles from a stream of JSON Lines (``searchkit index -``), one line at a time.

    Memory stays bounded whatever the stream's length: each line is read
    with a cap (a longer one is one failure and is skipped). A stream has
    no path, so its articles have none, and a record without ``id`` or
    ``url`` gets its id from its title and text: sending the same records
    again replaces them instead of adding copies, whatever their order.
    """
    number = 0
    while True:
        line = stream.readline(max_line_bytes + 1)
        if not line:
            return
        number += 1
        if len(line) > max_line_bytes and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = stream.readline(max_line_bytes + 1)
            limit_mb = max_line_bytes // (1024 * 1024)
            yield IngestFailure(name, f"line longer than {limit_mb} MB; skipped", line=number)
            continue
        text = strip_control_characters(line.decode("utf-8", errors="replace"))
        if not text.strip():
            continue
        data, item = _json_line(text, name, number)
        if isinstance(item, IngestFailure):
            yield item
            continue
        if data.get("id") is None and not item.url:
            item = replace(item, id=content_article_id(item.title, item.body))
        yield replace(item, path=None)
