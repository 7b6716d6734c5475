"""Turn the many ways pages and feeds write a date into a timezone-aware datetime.

News pages write dates as ISO 8601 (JSON-LD, ``<time datetime>``), RFC 2822
(feeds), or prose ("May 10, 2024", "10 May 2024"). The index filters and sorts
on ``published``, so every value must be comparable: naive values are taken as
UTC, and anything we cannot read becomes None instead of a guess.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

_EARLIEST_YEAR = 1800
_LATEST_YEAR = 2200

_ISO = re.compile(
    r"^\s*(?P<year>\d{4})[-/](?P<month>\d{1,2})[-/](?P<day>\d{1,2})"
    r"(?:[T\s]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?"
    r"\s*(?P<zone>Z|UTC|GMT|[+-]\d{2}:?\d{2}|[+-]\d{2})?)?\s*$",
    re.IGNORECASE,
)

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_MONTH_DAY_YEAR = re.compile(
    rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b", re.IGNORECASE
)
_DAY_MONTH_YEAR = re.compile(
    rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th|\.)?\s+{_MONTH},?\s+(?P<year>\d{{4}})\b",
    re.IGNORECASE,
)
_URL_DATE = re.compile(
    r"(?:^|/)(?P<year>(?:19|20)\d{2})([/-])(?P<month>0?[1-9]|1[0-2]|[a-z]{3,9})\2"
    r"(?P<day>0?[1-9]|[12]\d|3[01])(?=[/_.-]|$)",
    re.IGNORECASE,
)
_ISO_INSIDE_TEXT = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?")
_DATELINE_WORDS = re.compile(
    rf"{_MONTH}|\b(?:published|updated|posted|last|modified|on|at|am|pm|a\.m\.?|p\.m\.?|"
    r"[a-z]{1,3}t|utc|gmt|(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?)\b",
    re.IGNORECASE,
)


def parse_date(value: object) -> datetime | None:
    """Read a date from a string (ISO 8601, RFC 2822, "May 10, 2024") or a Unix timestamp.

    Returns a timezone-aware datetime (naive input is taken as UTC, the only
    assumption that keeps dates from different sources comparable), or None
    when the value is missing, unreadable or outside years 1800-2200.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _from_timestamp(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 200:
        return None
    parsed = _parse_iso(text) or _parse_rfc2822(text) or _parse_prose(text)
    if parsed is None or not _EARLIEST_YEAR <= parsed.year <= _LATEST_YEAR:
        return None
    return parsed


def find_date_in_text(text: str) -> datetime | None:
    """Find a date written anywhere inside a short line ("Published May 10, 2024 3:05 PM")."""
    if len(text) > 300:
        return None
    for pattern in (_MONTH_DAY_YEAR, _DAY_MONTH_YEAR):
        match = pattern.search(text)
        if match:
            return _date_from_parts(match["year"], _MONTHS[match["month"].lower()], match["day"])
    match = _ISO_INSIDE_TEXT.search(text)
    parsed = _parse_iso(match.group(0)) if match else None
    return parsed if parsed is not None and _EARLIEST_YEAR <= parsed.year <= _LATEST_YEAR else None


def date_from_url(url: str | None) -> datetime | None:
    """The date a news URL's path spells out ("/2019/11/18/", "/2019/nov/18/", "/2019-11-18-")."""
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    match = _URL_DATE.search(path)
    if not match:
        return None
    month_text = match["month"].lower()
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text[:3])
    if month is None:
        return None
    return _date_from_parts(match["year"], month, match["day"])


def is_dateline(text: str) -> bool:
    """True for a short line that is a date and little else ("Updated 3:05 PM ET, May 10, 2024").

    Such lines are page furniture: the date is metadata, not article text.
    """
    if len(text) > 120 or find_date_in_text(text) is None:
        return False
    leftover = _DATELINE_WORDS.sub(" ", text)
    return len(re.findall(r"[^\W\d_]{2,}", leftover)) <= 3


def _from_timestamp(seconds: float) -> datetime | None:
    if seconds > 1e11:  # milliseconds, as JavaScript writes them
        seconds /= 1000
    try:
        parsed = datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return parsed if _EARLIEST_YEAR <= parsed.year <= _LATEST_YEAR else None


def _parse_iso(text: str) -> datetime | None:
    match = _ISO.match(text)
    if not match:
        return None
    fraction = (match["fraction"] or "0")[:6].ljust(6, "0")
    try:
        parsed = datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"] or 0),
            int(match["minute"] or 0),
            int(match["second"] or 0),
            int(fraction),
        )
    except ValueError:
        return None
    return parsed.replace(tzinfo=_zone(match["zone"]))


def _zone(zone: str | None) -> timezone:
    if zone is None or zone.upper() in ("Z", "UTC", "GMT"):
        return timezone.utc
    digits = zone[1:].replace(":", "").ljust(4, "0")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4]))
    if offset >= timedelta(hours=24):
        return timezone.utc
    return timezone(-offset if zone.startswith("-") else offset)


def _parse_rfc2822(text: str) -> datetime | None:
    if not re.match(r"^(?:[a-z]{3},\s*)?\d{1,2}\s+[a-z]{3}\s+\d{4}\s+\d", text, re.IGNORECASE):
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _parse_prose(text: str) -> datetime | None:
    return find_date_in_text(text) if len(text) <= 80 else None


def _date_from_parts(year: str, month: int, day: str) -> datetime | None:
    try:
        parsed = datetime(int(year), month, int(day), tzinfo=timezone.utc)
    except ValueError:
        return None
    return parsed if _EARLIEST_YEAR <= parsed.year <= _LATEST_YEAR else None
