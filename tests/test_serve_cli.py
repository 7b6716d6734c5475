"""`searchkit serve` as a user starts it: a real process, a real port, a real index."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

import searchkit


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(**changes: str | None) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k != "SEARCHKIT_TOKEN"}
    for name, value in changes.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return environment


@contextmanager
def _serving(args: Sequence[str], env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `searchkit serve ARGS` on a free port until it answers; stop it by its pid after."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "searchkit", "serve", "--port", str(port), *args],
        env=env or _environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"searchkit serve exited: {process.communicate()[1]}")
            try:
                httpx.get(f"{url}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail("searchkit serve did not start listening")
                time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> Path:
    folder = tmp_path_factory.mktemp("serve-cli") / "index"
    searchkit.build_index([repo_root / "corpus"], folder)
    return folder


def test_serve_answers_on_loopback(index: Path) -> None:
    with _serving(["--index", str(index)]) as url:
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{url}/search", params={"q": "border"}).json()["total"] > 0


def test_two_workers_answer(index: Path) -> None:
    with _serving(["--index", str(index), "--workers", "2"]) as url, httpx.Client() as http:
        totals = {
            http.get(f"{url}/search", params={"q": "border"}).json()["total"] for _ in range(8)
        }
        assert len(totals) == 1 and totals.pop() > 0


def test_the_token_from_the_environment_is_required(index: Path) -> None:
    env = _environment(SEARCHKIT_TOKEN="from-the-environment")
    with _serving(["--index", str(index)], env=env) as url:
        assert httpx.get(f"{url}/healthz").status_code == 401
        sent = {"authorization": "Bearer from-the-environment"}
        assert httpx.get(f"{url}/healthz", headers=sent).status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1"])
def test_another_address_needs_a_token(index: Path, host: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "searchkit", "serve", "--index", str(index), "--host", host],
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "--token" in result.stderr and "SEARCHKIT_TOKEN" in result.stderr


def test_without_the_extra_it_says_how_to_install_it(index: Path) -> None:
    script = (
        "import sys; sys.modules['starlette'] = None; "
        "from searchkit.cli import main; sys.exit(main(['serve', '--index', sys.argv[1]]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(index)],
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "pip install 'searchkit[serve]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_importing_searchkit_does_not_need_the_extra() -> None:
    script = (
        "import sys\n"
        "for name in ('starlette', 'uvicorn', 'jinja2'): sys.modules[name] = None\n"
        "import searchkit, searchkit.cli, searchkit.searcher\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
