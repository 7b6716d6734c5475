"""searchkit: full-text search for news archives.

The public surface is exactly ``__all__``; heavy modules (Whoosh, BeautifulSoup)
load lazily on first use so ``import searchkit`` stays cheap and the query path
never pulls in the HTML parser.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from searchkit.errors import (
    DocumentNotFoundError,
    IndexCorruptError,
    IndexDirectoryError,
    IndexIncompatibleError,
    IndexLockedError,
    IndexNotFoundError,
    IndexWriteError,
    IngestError,
    QueryError,
    SearchkitError,
    StoryNotFoundError,
    SynonymError,
)
from searchkit.models import (
    Article,
    Hit,
    IndexReport,
    IndexStats,
    IngestFailure,
    RankingSettings,
    SearchResults,
    Story,
    StoryArticle,
    StorySummary,
)

if TYPE_CHECKING:
    from searchkit.indexer import Indexer
    from searchkit.ingest import extract, read_articles
    from searchkit.searcher import Searcher
    from searchkit.sync import build_index

__version__ = "0.1.0"

_LAZY = {
    "Indexer": "searchkit.indexer",
    "build_index": "searchkit.sync",
    "Searcher": "searchkit.searcher",
    "extract": "searchkit.ingest",
    "read_articles": "searchkit.ingest",
}

__all__ = [
    "Article",
    "DocumentNotFoundError",
    "Hit",
    "IndexCorruptError",
    "IndexDirectoryError",
    "IndexIncompatibleError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexReport",
    "IndexStats",
    "IndexWriteError",
    "Indexer",
    "IngestError",
    "IngestFailure",
    "QueryError",
    "RankingSettings",
    "SearchResults",
    "Searcher",
    "SearchkitError",
    "Story",
    "StoryArticle",
    "StoryNotFoundError",
    "StorySummary",
    "SynonymError",
    "__version__",
    "build_index",
    "extract",
    "read_articles",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'searchkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
