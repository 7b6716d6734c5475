"""The server's guard: bearer token, request size cap and security headers, as one ASGI layer.

It wraps the whole application, so no route can forget it: every response
(errors and 404s included) carries the headers, every request is checked
for the token when one is set, and a body larger than the cap is refused
before the application sees any of it (bodies are read here, whole, and
handed on; a search's body is a few hundred bytes).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
"""No script runs, nothing loads from elsewhere, forms post only here, no framing."""

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
)

MAX_BODY_BYTES = 16 * 1024
"""Largest request body accepted: a search's JSON needs a few hundred bytes."""


async def _error(send: Send, status: int, kind: str, message: str, extra: list[Any]) -> None:
    body = json.dumps({"error": {"type": kind, "message": message}}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra,
        *SECURITY_HEADERS,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class SecurityMiddleware:
    """Check the token and the body size of each HTTP request; add headers to each response."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None,
        max_body_bytes: int = MAX_BODY_BYTES,
        allowed_hosts: tuple[str, ...] | None = None,
    ) -> None:
        """Wrap ``app``; with ``token`` every request must send ``Authorization: Bearer token``.

        ``allowed_hosts`` (names without port) are the only Host headers answered: a
        server on loopback takes only loopback names, so a web page whose own name was
        re-pointed at 127.0.0.1 (DNS rebinding) cannot read the archive through the
        visitor's browser.
        """
        self.app = app
        self.expected = f"Bearer {token}".encode() if token else None
        self.max_body_bytes = max_body_bytes
        self.allowed_hosts = allowed_hosts

    def host_allowed(self, scope: Scope) -> bool:
        """True when no host list is set or the request's Host header names one of them."""
        if self.allowed_hosts is None:
            return True
        sent = [value for name, value in scope.get("headers", ()) if name == b"host"]
        if len(sent) != 1:
            return False
        host = sent[0].decode("latin-1").strip().lower()
        name = host[: host.find("]") + 1] if host.startswith("[") else host.split(":", 1)[0]
        return name in self.allowed_hosts

    def authorised(self, scope: Scope) -> bool:
        """True when no token is set or the request's Authorization header carries it.

        ``hmac.compare_digest`` takes as long whatever prefix matches, so the
        token cannot be guessed byte by byte from response times.
        """
        if self.expected is None:
            return True
        sent = [value for name, value in scope.get("headers", ()) if name == b"authorization"]
        return len(sent) == 1 and hmac.compare_digest(sent[0], self.expected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse what must be refused, then run the app with the headers added."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.host_allowed(scope):
            await _error(
                send, 421, "MisdirectedRequest", "this server answers only its own host names", []
            )
            return
        if not self.authorised(scope):
            await _error(
                send,
                401,
                "Unauthorized",
                "this server needs the header Authorization: Bearer <token>",
                [(b"www-authenticate", b'Bearer realm="searchkit"')],
            )
            return
        declared = [value for name, value in scope.get("headers", ()) if name == b"content-length"]
        if declared and (not declared[0].isdigit() or int(declared[0]) > self.max_body_bytes):
            await _error(send, 413, "RequestTooLarge", self._too_large(), [])
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending its request
            body += message.get("body", b"")
            more = bool(message.get("more_body", False))
            if len(body) > self.max_body_bytes:
                await _error(send, 413, "RequestTooLarge", self._too_large(), [])
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                ours = {name for name, _ in SECURITY_HEADERS}
                kept = [(n, v) for n, v in message.get("headers", ()) if n.lower() not in ours]
                message = {**message, "headers": [*kept, *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, replay, send_with_headers)

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_body_bytes} bytes"
