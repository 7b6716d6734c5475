"""The dates ``--since`` and ``--until`` accept: a year, a month or a day (or an ISO time).

People filter news by period: "2008", "2008-05" or "2008-05-31". A bound
names the whole period: ``--since`` starts at its first instant and
``--until`` ends at its last, so ``--since 2008-05 --until 2008-05`` is the
month of May 2008.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from searchkit.errors import QueryError

DateLike = date | datetime | str | None

DATE_FORMS = "YYYY, YYYY-MM or YYYY-MM-DD"
"""How the accepted forms are named in messages."""

_YEAR_OR_MONTH = re.compile(r"(?P<year>\d{4})(?:-(?P<month>\d{2}))?")
_ONE_MICROSECOND = timedelta(microseconds=1)


def parse_date_bound(value: DateLike, *, end_of_day: bool, name: str) -> datetime | None:
    """Turn a --since/--until value into a naive UTC datetime bound (inclusive).

    ``value`` is a date, a datetime, or text: ``YYYY``, ``YYYY-MM``,
    ``YYYY-MM-DD`` or an ISO 8601 date and time. With ``end_of_day`` a year,
    month or day gives the last instant of that period (for ``until``),
    otherwise its first (for ``since``); a time of day is taken as it is.
    Raises QueryError naming ``name`` and the accepted forms for anything else.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return _parse_text(value.strip(), end_of_day=end_of_day, name=name)
    if isinstance(value, datetime):
        return _naive_utc(value)
    return _period(datetime.combine(value, time.min), timedelta(days=1), end_of_day)


def _parse_text(text: str, *, end_of_day: bool, name: str) -> datetime:
    """A text bound: a year or month here, a day or time through ``fromisoformat``."""
    problem = f"{name} must be a date written {DATE_FORMS} (e.g. 2024-05-31), not {text!r}"
    partial = _YEAR_OR_MONTH.fullmatch(text)
    if partial is not None:
        year = int(partial["year"])
        month = partial["month"]
        try:
            if month is None:
                start = datetime(year, 1, 1)
                following = _first_of(year + 1, 1)
            else:
                start = datetime(year, int(month), 1)
                following = _first_of(year + int(month) // 12, int(month) % 12 + 1)
        except ValueError:
            raise QueryError(problem) from None
        if not end_of_day:
            return start
        return following - _ONE_MICROSECOND if following is not None else datetime.max
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise QueryError(problem) from None
    if len(text) == 10:  # a day: the whole day
        return _period(parsed, timedelta(days=1), end_of_day)
    return _naive_utc(parsed)


def _first_of(year: int, month: int) -> datetime | None:
    """The first instant of a month, or None past the last year a datetime can hold."""
    return datetime(year, month, 1) if year <= datetime.max.year else None


def _period(start: datetime, length: timedelta, end_of_day: bool) -> datetime:
    if not end_of_day:
        return start
    try:
        return start + length - _ONE_MICROSECOND
    except OverflowError:
        return datetime.max


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value
