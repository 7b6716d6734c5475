"""Articles from RSS 0.9x/2.0, Atom and RDF feeds, read with feedparser.

Each entry becomes an article: its title, link, publication date and
author, the feed's title as outlet, and as body its full content when the
feed carries it, else its summary, HTML turned into paragraphs
(``fragments.py``). feedparser reads ill-formed feeds as far as it can; a
file it finds no entry in is one failure saying why (not XML, not a feed,
or a feed without entries), and an entry without text is a failure of its
own while the others load.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from searchkit.ingest.fragments import fragment_line, fragment_text
from searchkit.ingest.identity import record_article_id
from searchkit.ingest.normalize import finish_article
from searchkit.models import Article, IngestFailure

_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")
_DATE_KEYS = ("published_parsed", "updated_parsed", "created_parsed")
"""Entry dates in order of preference: publication, then last update, then creation."""


def read_feed(data: bytes, resolved_path: str) -> Iterator[Article | IngestFailure]:
    """Every entry of the feed in ``data`` as an Article, or failures saying why not."""
    import feedparser  # heavy and only needed for feeds

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=False)
    entries = parsed.get("entries") or []
    if not entries:
        yield IngestFailure(resolved_path, _why_no_entries(parsed))
        return
    outlet = _plain(parsed.get("feed", {}).get("title_detail")) or None
    for number, entry in enumerate(entries, start=1):
        yield _entry_article(entry, number, outlet, resolved_path)


def _why_no_entries(parsed: Any) -> str:
    if parsed.get("bozo") and not parsed.get("version"):
        problem = parsed.get("bozo_exception")
        detail = f" ({type(problem).__name__}: {problem})" if problem is not None else ""
        return f"not an RSS, Atom or RDF feed{detail}"
    return "the feed holds no entries"


def _entry_article(
    entry: Any, number: int, outlet: str | None, resolved_path: str
) -> Article | IngestFailure:
    link = entry.get("link") or None
    body = _entry_body(entry)
    if not body:
        where = f" ({link})" if link else ""
        return IngestFailure(
            resolved_path, f"entry {number}{where} has no text (neither content nor summary)"
        )
    author = _author_of(entry)
    article = finish_article(
        Article(
            id=record_article_id(None, url=link, resolved_path=resolved_path, record_number=number),
            title=_plain(entry.get("title_detail")),
            body=body,
            url=link,
            source=outlet,
            published=_entry_date(entry),
            author=author,
            path=resolved_path,
        )
    )
    if not article.body:
        return IngestFailure(resolved_path, f"entry {number} has no text once cleaned")
    return article


_EMAIL_THEN_NAME = re.compile(r"^\S+@\S+\s*\((?P<name>[^()]+)\)$")
_NAME_THEN_EMAIL = re.compile(r"^(?P<name>[^<>]+?)\s*<\S+@\S+>$")
_BARE_EMAIL = re.compile(r"^\S+@\S+$")


def _author_of(entry: Any) -> str | None:
    """The entry's author's name: RSS writes "email (Name)", Atom a name element.

    Read from the raw text rather than feedparser's split, which cuts names
    beside some e-mail addresses; an address alone is no name.
    """
    raw = " ".join(str(entry.get("author") or "").split())
    for pattern in (_EMAIL_THEN_NAME, _NAME_THEN_EMAIL):
        match = pattern.match(raw)
        if match:
            return match.group("name").strip() or None
    if raw and not _BARE_EMAIL.match(raw):
        return raw
    detail = entry.get("author_detail") or {}
    name = str(detail.get("name") or "").strip()
    return name if name and not _BARE_EMAIL.match(name) and "@" not in name else None


def _entry_body(entry: Any) -> str:
    """The longest full content the entry carries, else its summary, as paragraphs."""
    contents = [item for item in entry.get("content") or [] if item.get("value")]
    if contents:
        best = max(contents, key=lambda item: len(item.get("value", "")))
        text = _text_of(best)
        if text:
            return text
    summary = entry.get("summary_detail")
    return _text_of(summary) if summary else ""


def _text_of(detail: Any) -> str:
    value = str(detail.get("value") or "")
    if str(detail.get("type") or "").lower() in _HTML_TYPES:
        return fragment_text(value)
    return value.strip()


def _plain(detail: Any) -> str:
    """A one-line text construct (a title), with any markup removed."""
    if not detail:
        return ""
    value = str(detail.get("value") or "")
    if str(detail.get("type") or "").lower() in _HTML_TYPES:
        return fragment_line(value)
    return " ".join(value.split())


def _entry_date(entry: Any) -> datetime | None:
    for key in _DATE_KEYS:
        parsed = entry.get(key)
        if isinstance(parsed, time.struct_time):
            try:
                return datetime(*parsed[:6], tzinfo=timezone.utc)
            except (ValueError, OverflowError):
                continue
    return None
