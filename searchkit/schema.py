"""The index's fields and schema version: the one place that knows how an Article is stored."""

from __future__ import annotations

from collections.abc import Sequence

from whoosh import columns, fields

from searchkit.analysis import NewsAnalyzer
from searchkit.synonyms import AliasGroup

# Bump when fields or analysis change in a way old indexes cannot serve.
SCHEMA_VERSION = 2

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
    )
