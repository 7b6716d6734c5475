"""The index's fields and schema version: the one place that knows how an Article is stored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from whoosh import columns, fields

from searchkit.engine.analysis import NewsAnalyzer
from searchkit.models import Article
from searchkit.safe_text import path_text
from searchkit.synonyms import AliasGroup

# Bump when fields or analysis change in a way old indexes cannot serve.
SCHEMA_VERSION = 4
"""3: every segment has a scorer arrays file (engine/arrays.py); older indexes must be rebuilt.
4: every document has a ``duplicate_group`` and a ``story_id`` (0: none), also in the arrays."""

GROUP_FIELDS = ("duplicate_group", "story_id")
"""Per-document group numbers assigned at index time (searchkit.grouping); 0 means none."""

# How much a title match outweighs a body match (BM25F field weight).
TITLE_BOOST = 2.0

TEXT_FIELDS = ("title", "body")


def build_schema(groups: Sequence[AliasGroup], *, query_aliases: bool = True) -> fields.Schema:
    """Build the Whoosh schema; the alias groups live in the text analyzer.

    The schema is always rebuilt from searchkit's own metadata rather than
    unpickled from the index, so an index never depends on pickled classes.
    """
    analyzer = NewsAnalyzer(groups, query_aliases=query_aliases)
    published = fields.DATETIME(stored=True)
    # Undated documents get the smallest column value, so "newest first" puts them last.
    published.set_sortable(columns.NumericColumn(published.sortable_typecode, default=0))
    numbers: dict[str, fields.NUMERIC] = {}
    for name in GROUP_FIELDS:
        # Unsigned, so the column value is the number itself (0, the default, is "none").
        # shift_step=0: one index term per document, not a trie of 16 (range queries
        # over group numbers are never asked for).
        number = fields.NUMERIC(int, 64, signed=False, stored=True, shift_step=0)
        number.set_sortable(columns.NumericColumn(number.sortable_typecode, default=0))
        numbers[name] = number
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        title=fields.TEXT(analyzer=analyzer, stored=True, field_boost=TITLE_BOOST),
        body=fields.TEXT(analyzer=analyzer, stored=True),
        author=fields.TEXT(analyzer=NewsAnalyzer(), stored=True),
        source=fields.ID(stored=True, sortable=True),
        url=fields.ID(stored=True),
        published=published,
        path=fields.ID(stored=True, sortable=True),
        content_hash=fields.ID(stored=True, sortable=True),
        file_hash=fields.ID(stored=True, sortable=True),
        # "1" when the title was derived from the text; absent otherwise, and in indexes
        # written before it existed. An ID (not STORED) field: the index's pickled schema
        # may only name the field classes searchkit.engine.unpickling allows.
        title_derived=fields.ID(stored=True),
        **numbers,
    )


DERIVED_MARK = "1"
"""The stored value of ``title_derived`` for an article whose title was made from its text."""

_OPTIONAL_TEXT = ("url", "source", "author")


def article_to_document(article: Article, file_hash: str = "") -> dict[str, Any]:
    """The Whoosh document for an article: the one place an Article becomes stored fields.

    Dates are stored as naive UTC, as Whoosh needs; empty optional fields are
    left out rather than stored empty; ``file_hash`` lets the folder sync skip
    unchanged files without reading them.
    """
    if not article.content_hash:
        article = article.with_content_hash()
    doc: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "content_hash": article.content_hash,
        "file_hash": file_hash,
    }
    for name in _OPTIONAL_TEXT:
        value = getattr(article, name)
        if value:
            doc[name] = value
    if article.title_derived:
        doc["title_derived"] = DERIVED_MARK
    if article.path:
        doc["path"] = path_text(article.path)
    if article.published is not None:
        published = article.published
        if published.tzinfo is not None:
            published = published.astimezone(timezone.utc).replace(tzinfo=None)
        doc["published"] = published
    return doc


def stored_date(value: Any) -> datetime | None:
    """A stored date as the aware UTC datetime the public values carry (None if absent)."""
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def document_to_article(stored: Mapping[str, Any]) -> Article:
    """The Article a document's stored fields hold: ``article_to_document`` read back."""
    return Article(
        id=stored["id"],
        title=stored.get("title", ""),
        body=stored.get("body", ""),
        url=stored.get("url"),
        source=stored.get("source"),
        published=stored_date(stored.get("published")),
        author=stored.get("author"),
        path=stored.get("path"),
        content_hash=stored.get("content_hash", ""),
        title_derived=stored.get("title_derived") == DERIVED_MARK,
    )
