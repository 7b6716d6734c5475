"""The option values a search accepts, shared by ``Searcher.search`` and the CLI's option types.

Kept in a module that imports nothing heavy, so ``searchkit query`` can reject
a bad value as a usage error (exit 2) before Whoosh is even loaded, while the
library checks the very same bounds for Python callers.
"""

from __future__ import annotations

SORT_ORDERS = ("relevance", "date")
"""Best match first, or newest first."""

MAX_LIMIT = 1000
"""Hits per page at most: each hit on a page costs a stored-document read and a snippet."""

FACET_FIELDS = ("source", "author")
"""What ``search(facet=...)`` and ``searchkit query --facet`` can count matches by."""

HISTOGRAM_INTERVALS = ("day", "week", "month", "year")
"""The buckets of ``search(histogram=...)`` and ``searchkit query --histogram`` (UTC dates)."""
