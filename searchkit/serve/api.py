"""The JSON endpoints: each parses its input, makes one Searcher call and serialises the value.

Handlers are plain functions, so Starlette runs them in its thread pool (the
Searcher is thread-safe and searching is blocking work). Nothing here ranks,
filters or formats text: that is the library's job.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote_to_bytes

from starlette.requests import Request
from starlette.responses import Response

from searchkit.errors import DocumentNotFoundError, IndexDirectoryError, QueryError
from searchkit.searcher import Searcher
from searchkit.serve.errors import error_body
from searchkit.serve.holder import SearcherHolder
from searchkit.serve.models import (
    MAX_ID_CHARS,
    ErrorBody,
    ErrorDetail,
    Health,
    parse_search,
    to_json,
)

_T = TypeVar("_T")


def json_response(value: Any, status: int = 200) -> Response:
    """``value`` (a response dataclass) as a JSON response."""
    data = to_json(value)
    try:
        body = json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from an old index: escape it instead
        body = json.dumps(data, allow_nan=False).encode("ascii")
    return Response(body, status_code=status, media_type="application/json")


def error_response(error: BaseException) -> Response:
    """The JSON error response for ``error`` (see searchkit.serve.errors)."""
    status, body = error_body(error)
    return json_response(body, status)


def not_found(message: str, status: int = 404, kind: str = "NotFound") -> Response:
    """An error for a path or method the API does not have."""
    return json_response(ErrorBody(ErrorDetail(kind, message)), status)


def call(holder: SearcherHolder, work: Callable[[Searcher], _T]) -> _T:
    """Run ``work`` on the current Searcher; a damaged index makes the holder reopen it."""
    searcher = holder.current()
    try:
        return work(searcher)
    except IndexDirectoryError as error:
        holder.damaged(searcher, error)
        raise


def path_id(request: Request, prefix: str) -> tuple[str, list[str]]:
    """The id in the path after ``prefix``, percent-decoded, and any segments after it.

    Read from the raw path, so an id holding "/" (sent as %2F) stays one id
    and ``/articles/{id}/similar`` can be told from an id. The id is only
    ever looked up in the index, never joined to a file path.
    """
    raw: bytes = request.scope.get("raw_path") or request.scope["path"].encode("utf-8")
    rest = raw.split(b"?", 1)[0][len(prefix) :]
    segments = rest.split(b"/")
    try:
        decoded = [unquote_to_bytes(part).decode("utf-8") for part in segments]
    except UnicodeDecodeError:
        raise QueryError("the id in the path is not UTF-8") from None
    if len(decoded[0]) > MAX_ID_CHARS:
        raise QueryError(f"an article id is at most {MAX_ID_CHARS} characters")
    return decoded[0], decoded[1:]


def make_handlers(holder: SearcherHolder) -> dict[str, Callable[[Request], Any]]:
    """The endpoint functions, bound to ``holder``, by name."""

    async def search(request: Request) -> Response:
        try:
            if request.method == "POST":
                values = await _json_object(request)
                wanted = parse_search(values, from_text=False)
            else:
                wanted = parse_search(_query_values(request), from_text=True)
        except QueryError as error:
            return error_response(error)
        return await _threaded(
            request,
            lambda: call(holder, lambda s: s.search(wanted.q, **wanted.search_kwargs())),
        )

    async def article(request: Request) -> Response:
        try:
            doc_id, extra = path_id(request, "/articles/")
        except QueryError as error:
            return error_response(error)
        if extra:
            return not_found("no such endpoint")
        if not doc_id:
            return error_response(DocumentNotFoundError(doc_id))
        return await _threaded(request, lambda: call(holder, lambda s: s.get(doc_id)))

    async def stats(request: Request) -> Response:
        return await _threaded(request, lambda: call(holder, lambda s: s.stats()))

    async def healthz(request: Request) -> Response:
        return json_response(Health())

    return {"search": search, "article": article, "stats": stats, "healthz": healthz}


async def _threaded(request: Request, work: Callable[[], Any]) -> Response:
    from starlette.concurrency import run_in_threadpool

    try:
        value = await run_in_threadpool(work)
    except Exception as error:
        return error_response(error)
    return json_response(value)


def _query_values(request: Request) -> dict[str, str]:
    """The query string as one value per name; a name given twice is refused."""
    values: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name in values:
            raise QueryError(f"{name} is given more than once")
        values[name] = value
    return values


async def _json_object(request: Request) -> dict[str, Any]:
    """POST /search's body: one JSON object, or QueryError."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise QueryError("send the search as JSON (Content-Type: application/json)")
    raw = await request.body()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise QueryError(f"the body is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise QueryError("the body must be a JSON object")
    return data
