"""Schemathesis hooks for tests/test_serve_schemathesis.py (loaded via SCHEMATHESIS_HOOKS).

They state the one rule of a search that JSON Schema cannot: since must not be
later than until (the server refuses that with a 400 although each bound alone
is valid). Generated searches that break it are dropped where schemathesis
filters (fuzzing), and have their two dates swapped just before the call where
it does not (the coverage phase builds its cases without filters).
"""

from __future__ import annotations

from typing import Any

import schemathesis

from searchkit.date_bounds import parse_date_bound
from searchkit.errors import QueryError


def _bound(value: Any, end_of_day: bool) -> Any:
    if not isinstance(value, str):
        return None
    try:
        return parse_date_bound(value, end_of_day=end_of_day, name="date")
    except QueryError:
        return None


def _reversed(values: Any) -> bool:
    if not isinstance(values, dict):
        return False
    start = _bound(values.get("since"), False)
    end = _bound(values.get("until"), True)
    return start is not None and end is not None and start > end


@schemathesis.hook
def filter_query(ctx: Any, query: Any) -> bool:
    """Keep query strings whose dates are in order."""
    return not _reversed(query)


@schemathesis.hook
def filter_body(ctx: Any, body: Any) -> bool:
    """Keep JSON bodies whose dates are in order."""
    return not _reversed(body)


def _in_order(values: Any) -> None:
    if _reversed(values):
        values["since"], values["until"] = values["until"], values["since"]


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    """Swap reversed dates in the cases the filters above did not see."""
    _in_order(case.query)
    _in_order(case.body)
