"""Title, date, author, outlet and URL of a news page, from what the page declares.

Publishers state metadata in several overlapping places of varying
reliability; we read them all once and pick, per field, the most trustworthy:
JSON-LD (schema.org NewsArticle) first, then OpenGraph / ``article:*``, then
``<meta name=...>``, ``<link rel=canonical>``, ``<time datetime>``, and last the
visible page (``<h1>``, ``<title>`` without its " | Site" suffix, the byline).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag

from searchkit.ingest.dates import parse_date
from searchkit.ingest.normalize import collapse_whitespace
from searchkit.ingest.rules import (
    BYLINE_PREFIX,
    NOT_AUTHOR_RULES,
    TITLE_SUFFIX_SEPARATORS,
    first_match,
)

_ARTICLE_TYPES = re.compile(r"article|posting|report|newsarticle|webpage|creativework", re.I)
_MAX_JSON_LD_NODES = 5000
_MAX_AUTHOR_WORDS = 8
_MAX_TITLE_SUFFIX_WORDS = 6
_NAME_CONNECTORS = frozenset(
    {"and", "de", "van", "von", "der", "den", "la", "le", "del", "da", "di", "dos", "bin", "al",
     "el", "y", "ibn", "ter", "du"}
)  # fmt: skip

_METADATA_TAGS = ("meta", "link", "script", "time", "title", "h1")
_BYLINE_KEYS = ("rel", "itemprop", "class")
_MAX_BYLINE_CANDIDATES = 10
_AUTHOR_ATTRIBUTE = re.compile(r"byline|author", re.IGNORECASE)
_DATE_META_NAMES = (
    "article:published_time",
    "datepublished",
    "og:published_time",
    "published_time",
    "article.published",
    "publish-date",
    "publishdate",
    "pubdate",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.date",
    "dcterms.created",
    "sailthru.date",
    "parsely-pub-date",
    "article:modified_time",
    "datecreated",
)
_AUTHOR_META_NAMES = (
    "author",
    "article:author",
    "dc.creator",
    "sailthru.author",
    "parsely-author",
    "byl",
)
_SOURCE_META_NAMES = (
    "og:site_name",
    "application-name",
    "publisher",
    "dc.publisher",
    "twitter:site",
)


@dataclass(frozen=True)
class PageMetadata:
    """The metadata fields of one page; each is None when the page does not say."""

    title: str | None = None
    published: datetime | None = None
    author: str | None = None
    source: str | None = None
    url: str | None = None


def read_metadata(soup: BeautifulSoup, *, page_url: str | None = None) -> PageMetadata:
    """Collect the page's metadata; call before scripts are stripped (JSON-LD lives in them).

    ``page_url`` (where the page was fetched from, when the caller knows) wins
    over the URL the page declares; a declared URL is used only when absolute.
    Sources are consulted lazily, in order of trust, so the costly ones (a
    search of the whole page for a byline) only run when the cheap ones fail.
    """
    tags = _tags_by_name(soup)
    linked = _json_ld_article(tags["script"])
    meta = _meta_values(tags["meta"])
    title_tag = tags["title"][0].get_text() if tags["title"] else None
    declared_url = _first(
        _canonical_url(tags["link"]), meta.get("og:url"), _as_text(linked.get("url"))
    )
    url = page_url or (declared_url if _is_web_address(declared_url) else None)
    source = _first(
        _name_of(linked.get("publisher")),
        *(meta.get(name) for name in _SOURCE_META_NAMES if not name.startswith("twitter")),
    )
    title = (
        _first(_as_text(linked.get("headline")))
        or _first(_strip_site_suffix(meta.get("og:title"), source))
        or _first(_strip_site_suffix(meta.get("twitter:title"), source))
        or _first_heading(tags["h1"], min_words=2)
        or _first(_strip_site_suffix(title_tag, source))
        or _first_heading(tags["h1"], min_words=1)
    )
    published = _first_date(
        linked.get("datePublished"), *(meta.get(name) for name in _DATE_META_NAMES)
    ) or _first_date(
        _time_element_date(tags["time"]), linked.get("dateCreated"), linked.get("dateModified")
    )
    author = (
        _author_from(linked.get("author"))
        or _first(*(clean_author(meta.get(name)) for name in _AUTHOR_META_NAMES))
        or _byline_from_page([tag for key in _BYLINE_KEYS for tag in tags[key]])
    )
    return PageMetadata(
        title=title,
        published=published,
        author=author,
        source=source or _site_from_title(title_tag) or _domain_of(url),
        url=url,
    )


def _tags_by_name(soup: BeautifulSoup) -> dict[str, list[Tag]]:
    """The metadata-bearing elements, gathered in one walk over the page.

    Besides the tags in ``_METADATA_TAGS`` it collects byline candidates
    under the keys of ``_BYLINE_KEYS``: ``rel=author`` elements, then
    ``itemprop=author`` ones, then elements whose class names a byline or
    an author. An explicit stack, never ``find_all``: one visit per element.
    """
    found: dict[str, list[Tag]] = {name: [] for name in (*_METADATA_TAGS, *_BYLINE_KEYS)}
    stack: list[Tag] = [soup]
    while stack:
        element = stack.pop()
        bucket = found.get(element.name)
        if bucket is not None:
            bucket.append(element)
        if element.attrs:
            key = _author_key(element.attrs)
            if key is not None and len(found[key]) < _MAX_BYLINE_CANDIDATES:
                found[key].append(element)
        stack.extend(child for child in reversed(element.contents) if isinstance(child, Tag))
    return found


def _author_key(attributes: dict[str, Any]) -> str | None:
    """Which ``_BYLINE_KEYS`` list an element with these attributes belongs to, if any."""
    for key in _BYLINE_KEYS:
        value = attributes.get(key)
        if isinstance(value, list):
            value = " ".join(str(part) for part in value)
        if not isinstance(value, str) or not _AUTHOR_ATTRIBUTE.search(value):
            continue
        if key == "class" or "author" in value.lower().split():
            return key
    return None


def clean_author(text: str | None) -> str | None:
    """Turn a byline into a name: "By Jane Doe, Reuters" -> "Jane Doe"; None if it is no name.

    Rejects what bylines often hold instead of a person ("By", "Staff",
    "3 Minute Read", links, dates) according to ``NOT_AUTHOR_RULES``.
    """
    if not text:
        return None
    name = collapse_whitespace(text)
    name = BYLINE_PREFIX.sub("", name)
    name = re.split(
        r"\s+[|•·]\s+|\s*\n|\s+-\s+|\s+—\s+|,\s*(?:updated|published)\b",
        name,
        maxsplit=1,
        flags=re.IGNORECASE,
    )[0]
    name = re.sub(
        r",\s*(reuters|associated press|ap|afp|bloomberg|cnn|bbc)\s*$",
        "",
        name,
        flags=re.IGNORECASE,
    )
    name = name.strip(" ,;:-—|·•")
    if not name or len(name.split()) > _MAX_AUTHOR_WORDS or len(name) > 120:
        return None
    if first_match(NOT_AUTHOR_RULES, name) is not None or not _looks_like_names(name):
        return None
    return name


def _looks_like_names(text: str) -> bool:
    """Every word of a list of names is capitalised, or a connector ("and", "van", "de")."""
    words = re.findall(r"[^\s,&]+", text)
    return bool(words) and all(
        word[:1].isupper() or word.lower() in _NAME_CONNECTORS for word in words
    )


def _first(*values: str | None) -> str | None:
    for value in values:
        if value:
            cleaned = collapse_whitespace(value)
            if cleaned:
                return cleaned
    return None


def _first_date(*values: object) -> datetime | None:
    for value in values:
        parsed = parse_date(value)
        if parsed is not None:
            return parsed
    return None


def _as_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _as_text(value.get("@id") or value.get("url"))
    if isinstance(value, list) and value:
        return _as_text(value[0])
    return None


def _name_of(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _as_text(value.get("name"))
    if isinstance(value, list) and value:
        return _name_of(value[0])
    return None


def _author_from(value: object) -> str | None:
    items = value if isinstance(value, list) else [value]
    names = [clean_author(_name_of(item)) for item in items[:10]]
    kept = [name for name in names if name]
    return ", ".join(dict.fromkeys(kept)) if kept else None


def _json_ld_article(scripts: list[Tag]) -> dict[str, Any]:
    """The first schema.org Article-like object in the page's JSON-LD, or {}."""
    fallback: dict[str, Any] = {}
    for script in scripts:
        if "ld+json" not in str(script.get("type") or "").lower():
            continue
        try:
            data = json.loads(script.get_text())
        except (ValueError, RecursionError):
            continue
        for node in _walk_json(data):
            kinds = node.get("@type")
            kind_text = " ".join(kinds) if isinstance(kinds, list) else str(kinds or "")
            if "headline" in node and _ARTICLE_TYPES.search(kind_text):
                if re.search(r"article|posting|report", kind_text, re.I):
                    return node
                fallback = fallback or node
    return fallback


def _walk_json(data: object) -> Iterator[dict[str, Any]]:
    """Every dict inside ``data``, breadth first, without recursion and with a node budget."""
    queue: list[object] = [data]
    seen = 0
    while queue and seen < _MAX_JSON_LD_NODES:
        item = queue.pop(0)
        seen += 1
        if isinstance(item, dict):
            yield item
            queue.extend(
                v for k, v in item.items() if k in ("@graph", "mainEntity", "itemListElement")
            )
        elif isinstance(item, list):
            queue.extend(item)


def _meta_values(metas: list[Tag]) -> dict[str, str]:
    """``<meta name|property|itemprop=... content=...>`` as {lower-case key: first value}."""
    values: dict[str, str] = {}
    for tag in metas:
        content = tag.get("content")
        if not isinstance(content, str) or not content.strip():
            continue
        for attribute in ("property", "name", "itemprop"):
            key = tag.get(attribute)
            if isinstance(key, str) and key.strip():
                values.setdefault(key.strip().lower(), content.strip())
    return values


def _canonical_url(links: list[Tag]) -> str | None:
    for link in links:
        rel = link.get("rel")
        rels = rel if isinstance(rel, list) else str(rel).split()
        href = link.get("href")
        if "canonical" in (r.lower() for r in rels) and isinstance(href, str) and href.strip():
            return href.strip()
    return None


def _time_element_date(elements: list[Tag]) -> str | None:
    times = [element for element in elements[:50] if element.has_attr("datetime")]
    preferred = [
        t
        for t in times
        if t.get("itemprop") == "datePublished"
        or t.has_attr("pubdate")
        or "publish" in " ".join(_classes(t)).lower()
    ]
    for element in preferred + times:
        value = element.get("datetime")
        if isinstance(value, str) and parse_date(value) is not None:
            return value
    return None


def _first_heading(headings: list[Tag], *, min_words: int) -> str | None:
    if not headings:
        return None
    text = collapse_whitespace(headings[0].get_text(" "))
    return text if len(text.split()) >= min_words else None


def _strip_site_suffix(title: str | None, source: str | None) -> str | None:
    """Drop a trailing " | Site" / " - Site" from a page title, keeping the headline."""
    return _split_site_suffix(title, source)[0]


def _site_from_title(title: str | None) -> str | None:
    """The site name a page title ends with ("Headline | Harbour Daily" -> "Harbour Daily")."""
    return _split_site_suffix(title, None)[1]


def _split_site_suffix(title: str | None, source: str | None) -> tuple[str | None, str | None]:
    """Split "Headline | Section | Site" into the headline and the site name.

    A tail is cut when it names the known site, or when it is short next to
    the headline (site names are a few words; headlines are longer).
    """
    if not title:
        return None, None
    title = collapse_whitespace(title)
    site: str | None = None
    for _ in range(2):  # "Headline | Section | Site"
        cut = max((title.rfind(sep), sep) for sep in TITLE_SUFFIX_SEPARATORS)
        position, separator = cut
        if position <= 0:
            break
        head, tail = title[:position].strip(), title[position + len(separator) :].strip()
        names_site = source is not None and tail.lower() in source.lower()
        short_tail = len(tail.split()) <= _MAX_TITLE_SUFFIX_WORDS and len(head) > len(tail)
        if not head or not (names_site or short_tail):
            break
        title, site = head, site or tail
    return title, site


def _byline_from_page(candidates: list[Tag]) -> str | None:
    for element in candidates:
        name_holder = element.find(True, attrs={"itemprop": "name"})
        text = (name_holder or element).get_text(" ")
        author = clean_author(text)
        if author is not None:
            return author
    return None


def _classes(tag: Tag) -> list[str]:
    value = tag.get("class")
    if isinstance(value, list):
        return [str(v) for v in value]
    return [value] if isinstance(value, str) else []


def _domain_of(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def _is_web_address(url: str | None) -> bool:
    try:
        return url is not None and urlsplit(url).scheme in ("http", "https")
    except ValueError:
        return False
