"""Where an article was published: the URL rules beyond what a page declares.

The order of trust, first usable wins: the page's own ``<link rel=canonical>``
or ``og:url`` (``metadata.py``); the "saved from url=" comment browsers write
at the top of a saved page; the URL of the WARC record the page came in; and
last the user's ``--url-map`` (``url_map.py``). Only absolute http(s) URLs
count. Pure functions.
"""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import urlsplit

from searchkit.models import Article

_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d{1,5}\)\s*(\S+?)\s*-->", re.IGNORECASE)
_SAVED_FROM_BYTES = 8192
"""Browsers write the comment before ``<html>``; looking further would find quoted ones."""


def saved_from_url(markup: str) -> str | None:
    """The URL in a ``<!-- saved from url=(0042)http://... -->`` comment near the top, if any."""
    match = _SAVED_FROM.search(markup[:_SAVED_FROM_BYTES])
    if match is None or not is_web_address(match.group(1)):
        return None
    return match.group(1)


def is_web_address(url: str | None) -> bool:
    """True for an absolute http(s) URL with a host."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def host_name(url: str | None) -> str | None:
    """The URL's host without "www." (the outlet of last resort), or None."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def with_fallback_url(article: Article, url: str | None) -> Article:
    """``article`` with ``url`` filled in when it has none (its outlet too, from the host,
    when it has none); unchanged otherwise. The content hash is recomputed."""
    if article.url or not is_web_address(url):
        return article
    return replace(article, url=url, source=article.source or host_name(url)).with_content_hash()
