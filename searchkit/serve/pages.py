"""The search page at ``/`` and the article view, rendered on the server (no script needed).

Every piece of article text reaches the HTML through Jinja2 with autoescaping
on, highlights included (a snippet is split into plain and marked pieces here
and the template escapes each); a link to an article's original is made only
for http(s) URLs, so a ``javascript:`` URL is shown as text and never followed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from searchkit.errors import QueryError
from searchkit.models import Hit
from searchkit.serve.api import call, path_id
from searchkit.serve.errors import error_body
from searchkit.serve.holder import SearcherHolder
from searchkit.serve.models import MAX_PAGE, parse_search

PAGE_SIZE = 10
"""Hits per page on the search page."""

PAGE_PARAMETERS = ("q", "source", "since", "until", "sort", "page")
"""What the page's links and form carry; anything else in a page's query string is ignored."""

_ENVIRONMENT = Environment(
    loader=PackageLoader("searchkit.serve", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def pieces(text: str, spans: tuple[tuple[int, int], ...]) -> list[tuple[str, bool]]:
    """``text`` cut at its highlight spans: (piece, highlighted) pairs, for the template.

    Spans out of order, overlapping or out of range are clamped rather than
    trusted, so a piece is never repeated or lost.
    """
    out: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted(spans):
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        if start > at:
            out.append((text[at:start], False))
        out.append((text[start:end], True))
        at = end
    if at < len(text):
        out.append((text[at:], False))
    return out


def safe_link(url: str | None) -> str | None:
    """``url`` when it is an http(s) address, else None (the page shows it as text only)."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def _page_values(query: list[tuple[str, str]]) -> dict[str, str]:
    """The page's own parameters from a query string (first value each, blanks dropped)."""
    values: dict[str, str] = {}
    for name, value in query:
        if name in PAGE_PARAMETERS and name not in values and value.strip():
            values[name] = value
    return values


def _href(values: dict[str, str], **changes: str | None) -> str:
    merged = {**values, **changes}
    kept = {name: merged[name] for name in PAGE_PARAMETERS if merged.get(name)}
    return "/?" + urlencode(kept) if kept else "/"


def _date(hit_date: Any) -> str:
    return hit_date.strftime("%Y-%m-%d") if hit_date is not None else "undated"


def _render(name: str, status: int = 200, **context: Any) -> Response:
    html = _ENVIRONMENT.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status)


def _error_page(error: BaseException, values: dict[str, str]) -> Response:
    status, body = error_body(error)
    return _render("error.html", status, error=body.error, values=values, code=status)


def make_pages(holder: SearcherHolder) -> dict[str, Callable[[Request], Any]]:
    """The page endpoints, bound to ``holder``, by name."""

    async def search_page(request: Request) -> Response:
        values = _page_values(request.query_params.multi_items())
        if "q" not in values:
            return _render("search.html", values=values, results=None, href=_href)
        try:
            wanted = parse_search(
                {**values, "limit": str(PAGE_SIZE), "facets": "true"}, from_text=True
            )
            results = await run_in_threadpool(
                lambda: call(holder, lambda s: s.search(wanted.q, **wanted.search_kwargs()))
            )
        except Exception as error:
            return _error_page(error, values)
        last_page = min(MAX_PAGE, max(1, -(-results.total // PAGE_SIZE)))
        return _render(
            "search.html",
            values=values,
            results=results,
            hits=[_hit_view(hit, values) for hit in results.hits],
            facets=sorted(results.facets.items(), key=lambda item: (-item[1], item[0])),
            first=(results.page - 1) * PAGE_SIZE + 1,
            previous=_href(values, page=str(results.page - 1)) if results.page > 1 else None,
            next=_href(values, page=str(results.page + 1)) if results.page < last_page else None,
            href=_href,
        )

    async def article_page(request: Request) -> Response:
        back = _page_values(parse_qsl(request.query_params.get("back", "")))
        try:
            doc_id, extra = path_id(request, "/view/")
            if extra or not doc_id:
                raise QueryError("this address names no article")
            article = await run_in_threadpool(lambda: call(holder, lambda s: s.get(doc_id)))
        except Exception as error:
            return _error_page(error, back)
        paragraphs = [part.strip() for part in article.body.split("\n\n") if part.strip()]
        return _render(
            "article.html",
            article=article,
            published=_date(article.published),
            paragraphs=paragraphs,
            link=safe_link(article.url),
            back=_href(back) if back else "/",
            values=back,
            href=_href,
        )

    return {"search_page": search_page, "article_page": article_page}


def _hit_view(hit: Hit, values: dict[str, str]) -> dict[str, Any]:
    """What the template shows of one hit (all of it escaped by the template)."""
    back = urlencode({name: values[name] for name in PAGE_PARAMETERS if name in values})
    return {
        "hit": hit,
        "published": _date(hit.published),
        "snippet": pieces(hit.snippet, hit.highlights),
        "view": f"/view/{quote(hit.id, safe='')}?" + urlencode({"back": back}),
        "outlet": _href(values, source=hit.source, page=None) if hit.source else None,
    }
