"""Turn what a page says about its authors into a list of person names.

Bylines come as "By Jane Doe and John Roe, Reuters", "Analysis by Chris
Cillizza, CNN Editor-at-large", "Finian Cunningham. Sputnik International",
"By DANICA KIRKA and JILL LAWLESS Associated Press" or "3 Minute Read". The
rules of ``rules.NOT_AUTHOR_RULES`` say what is not a person (desks, job
titles, reading times, links, dates); the outlet's own name is not an author
either. Pure: text in, names out.
"""

from __future__ import annotations

import re

from searchkit.ingest.normalize import collapse_whitespace
from searchkit.ingest.rules import BYLINE_PREFIX, NEWS_AGENCIES, NOT_AUTHOR_RULES, first_match

MAX_NAME_WORDS = 5
MAX_AUTHORS = 10
MAX_BYLINE_CHARS = 200
_MAX_OUTLET_WORDS = 4
_NAME_CONNECTORS = frozenset(
    {"de", "van", "von", "der", "den", "la", "le", "del", "da", "di", "dos", "bin", "al", "el",
     "ibn", "ter", "du"}
)  # fmt: skip
_BYLINE_END = re.compile(
    r"\s+[|•·]\s+|\s*\n|\s+-\s+|\s+[\u2013\u2014]\s+|,?\s+(?:updated|published|posted|on)\b"
    r"|,?\s+(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|,?\s+(?:jan|feb|mar|apr|may|jun|jul|aug"
    r"|sep|oct|nov|dec)[a-z]*\.?\s+\d",
    re.IGNORECASE,
)
"""Where the names of a byline end: a separator, or the date or time that follows them."""
_LEADING_MARKS = " .,;:-\u2013\u2014|\u00b7\u2022'\""
"""Punctuation around a byline or a name ("| By Melissa Jenkins", "\u2022 Jane Doe")."""
_NAME_SEPARATOR = re.compile(r"\s*(?:,|;|&|\band\b)\s*", re.IGNORECASE)
_TRAILING_AGENCY = re.compile(
    rf"[\s,.]+(?:(?:{NEWS_AGENCIES})(?:\s+(?:staff|senior|chief|special|political|foreign))?"
    r"(?:\s+(?:writer|correspondent|reporter|editor)s?)?|(?:staff|senior|chief|special)\s+"
    r"(?:writer|correspondent|reporter|editor)s?)\s*$",
    re.IGNORECASE,
)


def parse_authors(byline: str | None, *, outlet: str | None = None) -> list[str]:
    """The person names in ``byline`` (an empty list when it names nobody).

    Every name must look like one (capitalised words, "van"/"de" allowed):
    a byline with any other part is prose that happens to start with "By",
    and yields nothing. All-capitals names are title-cased ("JILL LAWLESS"
    -> "Jill Lawless"); one-word acronyms such as a wire service ("PTI") stay.
    """
    if not byline:
        return []
    text = collapse_whitespace(byline)
    if len(text) > MAX_BYLINE_CHARS or not text:
        return []
    text = BYLINE_PREFIX.sub("", text.lstrip(_LEADING_MARKS))
    text = _BYLINE_END.split(text, maxsplit=1)[0]
    text = _strip_outlet(text, outlet)
    names: list[str] = []
    for part in _NAME_SEPARATOR.split(text):
        name = BYLINE_PREFIX.sub("", part.strip(_LEADING_MARKS)).strip(_LEADING_MARKS)
        if not name or _is_outlet(name, outlet) or first_match(NOT_AUTHOR_RULES, name):
            continue
        if not _looks_like_name(name):
            return []
        names.append(_fix_capitals(name))
    return list(dict.fromkeys(names))[:MAX_AUTHORS]


def clean_author(byline: str | None, *, outlet: str | None = None) -> str | None:
    """The names of ``byline`` joined by ", " (the form ``Article.author`` holds), or None."""
    names = parse_authors(byline, outlet=outlet)
    return ", ".join(names) if names else None


def _strip_outlet(text: str, outlet: str | None) -> str:
    """Drop a trailing wire service, desk title or the outlet's name ("Jane Doe, Reuters").

    The outlet may be written differently in the byline and in the metadata
    ("Kevin McCoy USA TODAY" on a site named "usatoday"), so the last words
    are compared with spaces and punctuation ignored. A byline that is only
    a wire service ("The Associated Press") is left as it is.
    """
    stripped = _TRAILING_AGENCY.sub("", text)
    if outlet:
        squashed = _outlet_forms(outlet)
        words = stripped.split()
        for count in range(min(_MAX_OUTLET_WORDS, len(words) - 1), 0, -1):
            if _squash(" ".join(words[-count:])) in squashed:
                stripped = " ".join(words[:-count])
                break
    stripped = stripped.rstrip(" ,.;:-")
    return stripped if _squash(stripped) not in ("", "the") else text


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _outlet_forms(outlet: str) -> frozenset[str]:
    """The outlet squashed, with and without a leading "the" ("The Press-Enterprise")."""
    squashed = _squash(outlet)
    return frozenset({squashed, squashed.removeprefix("the")} - {""})


def _is_outlet(name: str, outlet: str | None) -> bool:
    """The outlet's own name, however written ("CBSNews" on a page of "CBS News")."""
    return outlet is not None and bool(_outlet_forms(name) & _outlet_forms(outlet))


def _looks_like_name(name: str) -> bool:
    words = name.split()
    if len(words) > MAX_NAME_WORDS:
        return False
    return all(word[:1].isupper() or word.lower() in _NAME_CONNECTORS for word in words)


_SHOUTED_MC = re.compile(r"^Ma?c[A-Z]{2,}$")
"""A word in capitals, also "McMURRAY": bylines shout names the page should have cased."""


def _fix_capitals(name: str) -> str:
    """Title-case an all-capitals name of two words or more ("JEFFREY McMURRAY")."""
    words = name.split()
    if len(words) > 1 and all(word.isupper() or _SHOUTED_MC.match(word) for word in words):
        return " ".join(_case_word(word) for word in words)
    return name


def _case_word(word: str) -> str:
    for prefix in ("Mac", "Mc"):
        if word.startswith(prefix) and len(word) > len(prefix) + 1 and word[len(prefix)].isupper():
            return prefix + word[len(prefix) :].capitalize()
    return word.capitalize()
