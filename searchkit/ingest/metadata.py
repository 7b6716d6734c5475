"""Title, date, author, outlet and URL of a news page, from what the page declares.

Publishers state metadata in several overlapping places of varying
reliability; we read them all once and pick, per field, the most trustworthy:
JSON-LD (schema.org NewsArticle) first, then OpenGraph / ``article:*``, then
``<meta name=...>``, ``<link rel=canonical>``, ``<time datetime>``, and last the
visible page (``<h1>``, ``<title>`` without its " | Site" suffix, the byline).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag

from searchkit.ingest.authors import MAX_AUTHORS, clean_author, parse_authors
from searchkit.ingest.dates import date_from_url, parse_date
from searchkit.ingest.normalize import collapse_whitespace, comparison_key
from searchkit.ingest.outlets import builtin_outlets, is_junk_outlet, resolve_outlet
from searchkit.ingest.titles import site_keys, split_title
from searchkit.ingest.urls import host_name

_ARTICLE_TYPES = re.compile(r"article|posting|report|newsarticle|webpage|creativework", re.I)
_MAX_JSON_LD_NODES = 5000
_HEADINGS_CHECKED = 3
TITLE_AGREEMENT = 0.6
"""Share of words an ``<h1>`` and a declared title must have in common to be the same title."""

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
)


@dataclass(frozen=True)
class PageMetadata:
    """The metadata fields of one page; each is None when the page does not say."""

    title: str | None = None
    published: datetime | None = None
    author: str | None = None
    source: str | None = None
    url: str | None = None


def read_metadata(
    soup: BeautifulSoup, *, page_url: str | None = None, fallback_url: str | None = None
) -> PageMetadata:
    """Collect the page's metadata; call before scripts are stripped (JSON-LD lives in them).

    ``page_url`` (where the page was fetched from, when the caller knows) wins
    over the URL the page declares; a declared URL is used only when absolute.
    ``fallback_url`` (a "saved from" comment, a WARC record, the user's URL
    map) is used only when the page declares none.
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
    url = page_url or (declared_url if _is_web_address(declared_url) else None) or fallback_url
    source = _first(
        *(_outlet_name(meta.get(name)) for name in _SOURCE_META_NAMES[:1]),
        _outlet_name(_name_of(linked.get("publisher"))),
        *(_outlet_name(meta.get(name)) for name in _SOURCE_META_NAMES[1:]),
    )
    host = host_name(url)
    keys = site_keys([source, builtin_outlets().for_host(host)], host)
    page_title = split_title(_first(title_tag), keys)
    declared_titles = [
        _first(_as_text(linked.get("headline"))),
        _first(split_title(_first(meta.get("og:title")), keys).headline),
        _first(split_title(_first(meta.get("twitter:title")), keys).headline),
        _first(page_title.headline),
    ]
    title = _choose_title(_first_heading(tags["h1"], keys), declared_titles)
    published = _first_date(
        linked.get("datePublished"), *(meta.get(name) for name in _DATE_META_NAMES)
    ) or _first_date(
        _time_element_date(tags["time"]),
        linked.get("dateCreated"),
        date_from_url(url),
        linked.get("dateModified"),
    )
    source = resolve_outlet(source, url, guessed=page_title.site)
    author = (
        _author_from(linked.get("author"), source)
        or _first(*(clean_author(meta.get(name), outlet=source) for name in _AUTHOR_META_NAMES))
        or _byline_from_page([tag for key in _BYLINE_KEYS for tag in tags[key]], source)
    )
    return PageMetadata(title=title, published=published, author=author, source=source, url=url)


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


def _first(*values: str | None) -> str | None:
    """The first non-blank value, entity-decoded and with its whitespace collapsed."""
    for value in values:
        if value:
            cleaned = collapse_whitespace(html.unescape(value))
            if cleaned:
                return cleaned
    return None


def _outlet_name(value: str | None) -> str | None:
    """A declared site name without its tagline ("Site | Tagline"), unless it is a social
    handle, an address ("@site", "https://site.com") or junk ("6.0", "Article")."""
    if not value or value.strip().startswith("@") or "/" in value:
        return None
    name = collapse_whitespace(html.unescape(value.split(" | ")[0]))
    return None if is_junk_outlet(name) else name


def _choose_title(heading: str | None, declared: list[str | None]) -> str | None:
    """The visible ``<h1>`` when it agrees with a declared title, else the first declared one.

    Declared titles are often shortened or rewritten for search and social
    sites; the ``<h1>`` is what readers see, but on some pages it is the site
    logo. Agreement (most words shared) tells the two apart.
    """
    candidates = [title for title in declared if title]
    if heading and any(_agree(heading, title) for title in candidates):
        return heading
    if candidates:
        return candidates[0]
    return heading


def _agree(first: str, second: str) -> bool:
    one, two = set(comparison_key(first).split()), set(comparison_key(second).split())
    return bool(one and two) and len(one & two) >= TITLE_AGREEMENT * max(len(one), len(two))


def _first_date(*values: object) -> datetime | None:
    for value in values:
        parsed = value if isinstance(value, datetime) else parse_date(value)
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


def _author_from(value: object, outlet: str | None) -> str | None:
    """JSON-LD ``author``: the people in it (organisations are publishers, not authors)."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items[:MAX_AUTHORS]:
        if isinstance(item, dict) and "organization" in str(item.get("@type", "")).lower():
            continue
        names.extend(parse_authors(_first(_name_of(item)), outlet=outlet))
    return ", ".join(dict.fromkeys(names)) if names else None


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


def _first_heading(headings: list[Tag], keys: frozenset[str]) -> str | None:
    """The first ``<h1>`` that is not the site's logo or a section name ("NEWS")."""
    for heading in headings[:_HEADINGS_CHECKED]:
        text = collapse_whitespace(heading.get_text(" "))
        if text and split_title(text, keys).headline == text:
            return text
    return None


def _byline_from_page(candidates: list[Tag], outlet: str | None) -> str | None:
    for element in candidates:
        name_holder = element.find(True, attrs={"itemprop": "name"})
        text = (name_holder or element).get_text(" ")
        author = clean_author(text, outlet=outlet)
        if author is not None:
            return author
    return None


def _classes(tag: Tag) -> list[str]:
    value = tag.get("class")
    if isinstance(value, list):
        return [str(v) for v in value]
    return [value] if isinstance(value, str) else []


def _is_web_address(url: str | None) -> bool:
    try:
        return url is not None and urlsplit(url).scheme in ("http", "https")
    except ValueError:
        return False
