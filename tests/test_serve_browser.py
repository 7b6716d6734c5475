"""The search page in a real browser: Debian's chromium, driven headless by Playwright.

Over corpus/: type a query and see highlighted hits, narrow by an outlet facet,
page on, open an article and come back, meet the no-results message, all by
keyboard and mouse, at phone width too. Over a corpus of hostile articles: no
script runs. Skips, saying why, where chromium or Playwright is missing
(`.ci/run` installs chromium with apt-get before the tests).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serve_support import (
    HOSTILE_TITLE,
    HOSTILE_URL,
    LiveServer,
    live_server,
    write_hostile_corpus,
)

import searchkit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1000, "height": 900},
        )
        yield context
        context.close()


@pytest.fixture(scope="module")
def corpus_server(
    tmp_path_factory: pytest.TempPathFactory, repo_root: Path
) -> Iterator[LiveServer]:
    index = tmp_path_factory.mktemp("browser") / "index"
    searchkit.build_index([repo_root / "corpus"], index)
    with live_server(index) as server:
        yield server


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    tab = browser.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.dialogs = dialogs
    yield tab
    tab.close()


def _total(page: Any) -> int:
    return int(page.locator("#total").inner_text())


def test_search_facet_paging_article_and_back(
    page: Any, corpus_server: LiveServer, tmp_path: Path
) -> None:
    page.goto(corpus_server.url + "/")
    page.fill("#q", "border security")
    page.press("#q", "Enter")
    page.wait_for_selector(".hit")
    marks = page.locator(".snippet mark")
    assert marks.count() > 0
    assert {text.lower() for text in marks.all_inner_texts()} <= {"border", "borders", "security"}
    screenshot = tmp_path / "results.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 0
    if os.environ.get("SEARCHKIT_SCREENSHOT"):  # where the README's picture is made
        shutil.copyfile(screenshot, os.environ["SEARCHKIT_SCREENSHOT"])
    before = _total(page)

    facet = page.locator("a.facet").first
    narrowed = int(facet.locator(".count").inner_text())
    outlet = facet.inner_text().rsplit(" ", 1)[0]
    assert narrowed < before
    facet.click()
    page.wait_for_url(re.compile(r"source="))
    assert _total(page) == narrowed
    assert set(page.locator(".hit .meta a").all_inner_texts()) == {outlet}

    page.fill("#q", "said")
    page.press("#q", "Enter")
    page.wait_for_selector(".hit")
    page.locator("a", has_text="All outlets").click()
    page.wait_for_selector(".hit")
    assert _total(page) > 10
    page.locator("a[rel=next]").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert page.locator(".pages span").inner_text() == "Page 2"
    assert page.locator("ol.hits").get_attribute("start") == "11"
    results_url = page.url

    first = page.locator(".hit h3 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_selector("article h1")
    assert page.locator("article h1").inner_text() == title
    page.locator("#back").click()
    page.wait_for_selector(".hit")
    assert page.url == results_url

    page.fill("#q", "qwxzyplonk")
    page.press("#q", "Enter")
    page.wait_for_selector("#no-results")
    assert "qwxzyplonk" in page.locator("#no-results").inner_text()
    assert page.dialogs == []


def test_keyboard_alone_and_phone_width(browser: Any, corpus_server: LiveServer) -> None:
    tab = browser.new_page()
    tab.set_viewport_size({"width": 360, "height": 740})
    try:
        tab.goto(corpus_server.url + "/")
        assert tab.evaluate("document.activeElement.id") == "q"  # autofocus on the box
        tab.keyboard.type("security")
        tab.keyboard.press("Enter")
        tab.wait_for_selector(".hit")
        before = _total(tab)
        for _ in range(40):  # Tab through the controls to the first outlet facet
            tab.keyboard.press("Tab")
            if tab.evaluate("document.activeElement.classList.contains('facet')"):
                break
        else:
            pytest.fail("no facet link could be reached with Tab")
        tab.keyboard.press("Enter")
        tab.wait_for_url(re.compile(r"source="))
        assert _total(tab) < before
        overflow = tab.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, "the page scrolls sideways at phone width"
    finally:
        tab.close()


def test_no_script_in_article_text_runs(page: Any, tmp_path: Path) -> None:
    corpus = write_hostile_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    searchkit.build_index([corpus], index)
    with live_server(index) as server:
        page.goto(server.url + "/?q=breakout")
        page.wait_for_selector(".hit")
        titles = page.locator(".hit h3 a").all_inner_texts()
        assert HOSTILE_TITLE in titles  # shown as text, not run as markup
        page.locator(".hit h3 a", has_text="window.__pwned").click()
        page.wait_for_selector("article h1")
        assert page.locator("article h1").inner_text() == HOSTILE_TITLE
        assert page.locator("article a[href^='javascript']").count() == 0
        assert HOSTILE_URL in page.locator(".original").inner_text()
        assert page.locator("script, iframe, img").count() == 0
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.dialogs == []
