"""Articles from JSON (one record or a list) and JSON Lines (one record a line).

A record is an object with ``title`` and ``body`` (``text`` or ``content`` are
accepted for ``body``) and optionally ``id``, ``url``, ``source``,
``published`` and ``author``. A bad record becomes an ``IngestFailure`` naming
its line (JSONL) or position (JSON list) and the others still load, so one
broken line never hides a whole feed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from searchkit.characters import clean_token
from searchkit.ingest.dates import parse_date
from searchkit.ingest.decoding import strip_control_characters
from searchkit.ingest.identity import record_article_id
from searchkit.ingest.normalize import finish_article, join_paragraphs
from searchkit.models import Article, IngestFailure
from searchkit.safe_text import has_surrogate

BODY_KEYS = ("body", "text", "content")
_OPTIONAL_TEXT_KEYS = ("url", "source", "author")


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


def read_jsonl(text: str, resolved_path: str) -> Iterator[Article | IngestFailure]:
    """Articles from a ``.jsonl`` file; a failure carries the line number it came from."""
    found_any = False
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        found_any = True
        try:
            data = json.loads(line)
        except RecursionError:
            yield IngestFailure(resolved_path, "invalid JSON: nested too deeply", line=number)
            continue
        except ValueError as exc:
            yield IngestFailure(resolved_path, f"invalid JSON: {_describe(exc)}", line=number)
            continue
        article = _record_or_failure(data, resolved_path, number, where="")
        if isinstance(article, IngestFailure):
            article = IngestFailure(resolved_path, article.reason, line=number)
        yield article
    if not found_any:
        yield IngestFailure(resolved_path, "the file is empty")


def record_to_article(record: dict[str, Any], resolved_path: str, number: int) -> Article:
    """One record as an Article; raises ValueError saying which field is missing or wrong."""
    _check_id(record.get("id"))
    title = _required_text(record, ("title", "headline"), "title")
    body_value = _required_text(record, BODY_KEYS, "body (or text/content)")
    fields = {key: _optional_text(record, key) for key in _OPTIONAL_TEXT_KEYS}
    author = record.get("author")
    if isinstance(author, list) and all(isinstance(name, str) for name in author):
        fields["author"] = ", ".join(name.strip() for name in author if name.strip()) or None
    # Like the title and body, these lose what is not text (an id cannot: see _check_id).
    fields = {key: _clean_optional(value) for key, value in fields.items()}
    published = record.get("published", record.get("date"))
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
    if not article.title or not article.body:
        raise ValueError("record has no title" if not article.title else "record has no body")
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


def _required_text(record: dict[str, Any], keys: tuple[str, ...], label: str) -> str:
    for key in keys:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if value is not None and not isinstance(value, str):
            raise ValueError(f"field {key!r} must be a string, not {type(value).__name__}")
    raise ValueError(f"record has no {label}")


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
