"""Starting the server: the address rule, then uvicorn with one or more worker processes."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import replace

from searchkit.errors import ServeError
from searchkit.serve.app import ServeConfig, config_to_environment, create_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8750
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
"""The Host header names a server listening on loopback answers to."""


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond this machine without a token (ServeError says how to set one).

    On loopback only local users can connect; on any other address anyone who
    can reach the port could read the whole archive, so a token is required.
    """
    if not is_loopback(host) and not token:
        raise ServeError(
            f"--host {host} lets other machines connect: give --token TOKEN "
            f"(or set SEARCHKIT_TOKEN) so that only clients with the token are answered"
        )


def serve(config: ServeConfig, *, host: str, port: int, workers: int = 1) -> None:
    """Run the server until it is stopped (Ctrl-C or SIGTERM); blocks.

    One worker serves from threads of one process; more workers are separate
    processes (each with its own Searcher) sharing the port, which is what
    lets searches use more than one core.
    """
    import uvicorn

    check_bind(host, config.token)
    if is_loopback(host) and config.allowed_hosts is None:
        config = replace(config, allowed_hosts=(*LOOPBACK_NAMES, host.lower()))
    options = {
        "host": host,
        "port": port,
        "server_header": False,
        "proxy_headers": False,
        "timeout_keep_alive": 5,
        "log_level": "info",
    }
    if workers <= 1:
        uvicorn.run(create_app(config), **options)  # type: ignore[arg-type]
        return
    os.environ.update(config_to_environment(config))
    uvicorn.run(
        "searchkit.serve.app:create_app_from_environment",
        factory=True,
        workers=workers,
        **options,  # type: ignore[arg-type]
    )
