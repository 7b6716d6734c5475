"""The headline inside a page title, without the site and section text around it.

Page titles wrap the headline in site furniture at either end:
"icScotland - Ryan dismayed by Gloucester", "Chelsea hoping to sign Anelka -
Soccer - Sport - Belfast Telegraph", "The Hindu : Business : BSNL offers ...",
"Kenya talks resume_English_Xinhua". The title is cut into segments at the
separators of ``rules.TITLE_SEPARATORS``; segments at either end are dropped
while they name the site (its outlet name or its host) or match a
``rules.SITE_SEGMENT_RULES`` rule (sections, slogans, "Latest News"); the rest,
joined as written, is the headline. A title made only of such segments has
no headline (None), so the caller falls back to the page's heading.
Pure: text in, text out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from searchkit.ingest.normalize import collapse_whitespace
from searchkit.ingest.rules import (
    SITE_SEGMENT_RULES,
    TITLE_SEPARATORS,
    WEAK_TITLE_SEPARATOR,
    first_match,
)

MAX_SITE_SEGMENT_WORDS = 6
"""A trailing segment this short, after a longer headline, is taken as the site name."""
MIN_NAME_CHARS = 4
"""Shortest squashed site name or host label compared by prefix (shorter: exact only)."""
_NOT_WORD = re.compile(r"[\W_]+")
_GENERIC_HOST_LABELS = frozenset(
    {"www", "www2", "news", "com", "co", "org", "net", "gov", "ac", "edu", "info", "online",
     "uk", "au", "ca", "nz", "za", "in", "de", "fr", "ch", "ie", "us", "tv", "go", "story",
     "blog", "blogs", "sport", "sports", "english", "edition", "origin", "international"}
)  # fmt: skip
"""Host labels that do not name the site ("news" of news.bbc.co.uk, "co" and "uk")."""


@dataclass(frozen=True)
class SplitTitle:
    """A page title cut into its headline and the site name found beside it."""

    headline: str | None
    site: str | None


def squash(text: str) -> str:
    """Letters and digits only, case folded: "SFGate", "sfgate.com" -> "sfgate", "sfgatecom"."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


def site_keys(names: Iterable[str | None], host: str | None) -> frozenset[str]:
    """What a segment naming the site squashes to: the outlet names and the host's labels."""
    keys = {squash(name) for name in names if name}
    if host:
        labels = [label for label in host.lower().split(".") if label not in _GENERIC_HOST_LABELS]
        keys.update(squash(label) for label in labels)
        keys.add(squash(host))
    keys.update({key[3:] for key in keys if key.startswith("the") and len(key) > 6})
    return frozenset(key for key in keys if key)


def names_site(segment: str, keys: frozenset[str]) -> bool:
    """True when ``segment`` is the site's name, its host, or one glued to a section."""
    text = squash(segment)
    if not text:
        return True
    forms = {text, text[3:]} if text.startswith("the") and len(text) > 6 else {text}
    for key in keys:
        for form in forms:
            if form == key:
                return True
            if min(len(form), len(key)) >= MIN_NAME_CHARS and (
                form.startswith(key) or key.startswith(form)
            ):
                return True
    return False


def split_title(title: str | None, keys: frozenset[str] = frozenset()) -> SplitTitle:
    """Cut site and section segments off both ends of ``title`` (see the module docstring)."""
    if not title:
        return SplitTitle(None, None)
    text = collapse_whitespace(title)
    parts = TITLE_SEPARATORS.split(text)
    segments, separators = parts[0::2], parts[1::2]
    site: str | None = None
    start, end = 0, len(segments)
    while end - start > 1:
        last, before_last = segments[end - 1].strip(), separators[end - 2]
        first, after_first = segments[start].strip(), separators[start]
        if _is_site_segment(last, keys, before_last, head=segments[start : end - 1]):
            site = site or _site_name(last, keys)
            end -= 1
        elif _is_site_segment(first, keys, after_first, head=None):
            site = site or _site_name(first, keys)
            start += 1
        else:
            break
    if end - start == 1 and _is_site_segment(segments[start].strip(), keys, " | ", head=None):
        return SplitTitle(None, site or _site_name(segments[start].strip(), keys))
    joined = segments[start]
    for index in range(start + 1, end):
        joined += separators[index - 1] + segments[index]
    headline = joined.strip(" -|:\u2013\u2014")
    return SplitTitle(headline or None, site)


def _is_site_segment(
    segment: str, keys: frozenset[str], separator: str, head: list[str] | None
) -> bool:
    """A segment that names the site or a section; a short tail after a long head counts too.

    At a weak separator (a bare colon) only a segment naming the site counts.
    """
    if not segment or names_site(segment, keys):
        return True
    if WEAK_TITLE_SEPARATOR.match(separator):
        return False
    if first_match(SITE_SEGMENT_RULES, segment):
        return True
    if head is None:
        return False
    words = len(segment.split())
    return words <= MAX_SITE_SEGMENT_WORDS and len(" ".join(head).split()) > words


def _site_name(segment: str, keys: frozenset[str]) -> str | None:
    """The segment as a site name, unless it is a section or a slogan."""
    if first_match(SITE_SEGMENT_RULES, segment) and not names_site(segment, keys):
        return None
    return segment.strip() or None
