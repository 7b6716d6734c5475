"""The application factory: routes, the security layer and CORS put together.

``create_app(config)`` builds one ASGI application over one index directory.
``create_app_from_environment`` is what each uvicorn worker process imports
when ``--workers`` is above 1 (workers cannot be handed a Python object, so
the configuration travels in the environment).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from searchkit.serve.api import json_response, make_handlers, not_found
from searchkit.serve.holder import SearcherHolder
from searchkit.serve.openapi import openapi_document
from searchkit.serve.pages import make_pages
from searchkit.serve.security import MAX_BODY_BYTES, SecurityMiddleware

CONFIG_ENVVAR = "SEARCHKIT_SERVE_CONFIG"
"""Where `searchkit serve --workers N` leaves the configuration for its worker processes."""

TOKEN_ENVVAR = "SEARCHKIT_TOKEN"
"""The bearer token, when not given as --token (and how workers receive it)."""


@dataclass(frozen=True)
class ServeConfig:
    """What one server serves and how it guards it."""

    index_dir: str
    token: str | None = None
    cors_origin: str | None = None
    max_body_bytes: int = MAX_BODY_BYTES
    allowed_hosts: tuple[str, ...] | None = None
    """Host header names answered (None: any); `searchkit serve` on loopback sets LOOPBACK_NAMES."""


def create_app(config: ServeConfig) -> Starlette:
    """The ASGI application serving ``config.index_dir``: the JSON API and the page.

    The index is opened on the first request that needs it, so a server
    started before its index exists answers 503 until it does.
    """
    holder = SearcherHolder(config.index_dir)
    api = make_handlers(holder)
    pages = make_pages(holder)
    document = openapi_document()
    static = StaticFiles(packages=[("searchkit.serve", "static")])

    async def openapi(request: Request) -> Response:
        return json_response(document)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        holder.close()

    async def missing(request: Request, exc: Exception) -> Response:
        return not_found(f"no such endpoint: {request.method} {request.url.path}")

    async def not_allowed(request: Request, exc: Exception) -> Response:
        response = not_found(f"{request.method} is not allowed here", 405, "MethodNotAllowed")
        allow = (getattr(exc, "headers", None) or {}).get("Allow")
        if allow:
            response.headers["Allow"] = allow  # RFC 9110: a 405 lists the methods there are
        return response

    routes = [
        Route("/search", api["search"], methods=["GET", "POST"]),
        Route("/articles/{rest:path}", api["article"], methods=["GET"]),
        Route("/stats", api["stats"], methods=["GET"]),
        Route("/healthz", api["healthz"], methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/", pages["search_page"], methods=["GET"]),
        Route("/view/{rest:path}", pages["article_page"], methods=["GET"]),
        Mount("/static", app=static, name="static"),
    ]
    middleware = [
        Middleware(
            SecurityMiddleware,
            token=config.token,
            max_body_bytes=config.max_body_bytes,
            allowed_hosts=config.allowed_hosts,
        )
    ]
    if config.cors_origin:
        from starlette.middleware.cors import CORSMiddleware

        # Outside the token check, so a browser's preflight (which carries no token) is answered.
        middleware.insert(
            0,
            Middleware(
                CORSMiddleware,
                allow_origins=[config.cors_origin],
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
            ),
        )
    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={404: missing, 405: not_allowed},
        lifespan=lifespan,
    )


def config_to_environment(config: ServeConfig) -> dict[str, str]:
    """The environment variables that give worker processes ``config``."""
    data: dict[str, Any] = asdict(config)
    token = data.pop("token")
    environment = {CONFIG_ENVVAR: json.dumps(data)}
    if token:
        environment[TOKEN_ENVVAR] = token
    return environment


def create_app_from_environment() -> Starlette:
    """The application a uvicorn worker builds from ``config_to_environment``'s variables."""
    data = json.loads(os.environ[CONFIG_ENVVAR])
    if data.get("allowed_hosts") is not None:
        data["allowed_hosts"] = tuple(data["allowed_hosts"])
    return create_app(ServeConfig(token=os.environ.get(TOKEN_ENVVAR) or None, **data))
