"""Helpers for the `searchkit serve` tests: a real uvicorn server on a loopback port, a
corpus whose articles try to break out of the HTML they are shown in, and corpus/ with a
syndicated copy and a follow-up added, so hits have copies and a story of three articles."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

uvicorn = pytest.importorskip("uvicorn", reason="the serve extra (uvicorn) is not installed")
pytest.importorskip("starlette", reason="the serve extra (starlette) is not installed")
pytest.importorskip("jinja2", reason="the serve extra (jinja2) is not installed")

import httpx  # noqa: E402

from searchkit.serve.app import ServeConfig, create_app  # noqa: E402


def error_message(response: httpx.Response, status: int, kind: str) -> str:
    """The message of a JSON error answer, checking its status, type and shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "message"}
    assert body["error"]["type"] == kind
    return str(body["error"]["message"])


HOSTILE_TITLE = '<script>window.__pwned = 1; alert("title")</script> "><img src=x onerror=alert(1)>'
HOSTILE_BODY = (
    "Officials said the <script>window.__pwned = 2</script> breakout plan "
    "\"quoted' onmouseover='alert(2)\" was <b>bold</b> and </textarea></title> closed.\n\n"
    "A second paragraph with <iframe src=javascript:alert(3)></iframe> breakout text."
)
HOSTILE_URL = "javascript:alert(document.domain)//breakout"
HOSTILE_OUTLET = '"><script>window.__pwned = 4</script>'
HOSTILE_COPY_OUTLET = "Smith & \"Jones' onmouseover=alert(6) Daily"


def write_hostile_corpus(folder: Path) -> Path:
    """A JSON Lines corpus of articles whose title, body, outlet and URL hold markup; the first
    has a copy under an outlet that tries to break out of an attribute, so a copies line and
    an outlet facet show it."""
    folder.mkdir(parents=True, exist_ok=True)
    first = {
        "id": "hostile-1",
        "title": HOSTILE_TITLE,
        "body": HOSTILE_BODY,
        "url": HOSTILE_URL,
        "source": HOSTILE_OUTLET,
        "published": "2024-03-01",
    }
    records = [
        first,
        {**first, "id": "hostile-1-copy", "source": HOSTILE_COPY_OUTLET},
        {
            "id": "hostile/2?x=<b>",
            "title": "Breakout number two with a plain title",
            "body": 'The breakout continued with "quotes" & ampersands <script>alert(5)</script>.',
            "url": 'https://example.org/a?b="c"&d=<e>',
            "source": "Plain Outlet",
            "published": "2024-03-02",
        },
    ]
    path = folder / "hostile.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return folder


STORY_SOURCE_ID = "wire-2024-0412"
"""The corpus/ article (in records/wire.jsonl) that the story corpus copies and follows up."""

COPY_ID = "syndicated-copy"
FOLLOW_UP_ID = "story-follow-up"
COPY_OUTLET = "Syndicate Times"


def write_story_corpus(folder: Path, corpus: Path) -> Path:
    """corpus/ copied to ``folder``, plus a word-for-word copy of one wire story under another
    outlet (the same duplicate group) and a later write-up of the same event by a third outlet
    (the same story, its own text)."""
    shutil.copytree(corpus, folder)
    records = (folder / "records" / "wire.jsonl").read_text(encoding="utf-8").splitlines()
    source = next(r for r in map(json.loads, records) if r["id"] == STORY_SOURCE_ID)
    paragraphs = source["body"].split("\n\n")
    added = [
        {**source, "id": COPY_ID, "source": COPY_OUTLET, "url": "https://syndicate.example/a"},
        {
            "id": FOLLOW_UP_ID,
            "title": "Council members question UN panel on ISKP reach abroad",
            "source": "Harbour Daily",
            "published": "2024-04-14T10:00:00+00:00",
            "body": "\n\n".join(
                [
                    "Security Council members questioned the United Nations panel of experts "
                    "on Thursday about its finding that Islamic State Khorasan Province (ISKP) "
                    "is shrinking inside Afghanistan while planning more attacks abroad.",
                    paragraphs[2],
                    "Diplomats said the council would discuss the report again next month.",
                ]
            ),
        },
    ]
    path = folder / "records" / "story.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in added), encoding="utf-8")
    return folder


class LiveServer:
    """The app served by uvicorn in a thread, on a free loopback port, until the block ends."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = ""

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@contextmanager
def live_server(index_dir: Path, **options: Any) -> Iterator[LiveServer]:
    """A live server over ``index_dir`` with ServeConfig ``options`` (token, cors_origin)."""
    with LiveServer(create_app(ServeConfig(index_dir=str(index_dir), **options))) as server:
        yield server
