"""The public surface is a promise: adding or removing a name must be a deliberate change here."""

from __future__ import annotations

from pathlib import Path

import searchkit

PUBLIC_NAMES = [
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


def test_all_is_sorted() -> None:
    assert list(searchkit.__all__) == sorted(searchkit.__all__)


def test_all_is_exactly_the_pinned_list() -> None:
    assert list(searchkit.__all__) == PUBLIC_NAMES


def test_every_public_name_resolves() -> None:
    for name in searchkit.__all__:
        assert getattr(searchkit, name) is not None, name


def test_every_error_is_a_searchkit_error() -> None:
    for name in searchkit.__all__:
        value = getattr(searchkit, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, searchkit.SearchkitError), name


def test_package_is_marked_typed() -> None:
    assert (Path(searchkit.__file__).parent / "py.typed").is_file()


def test_version_is_a_string() -> None:
    assert isinstance(searchkit.__version__, str) and searchkit.__version__
