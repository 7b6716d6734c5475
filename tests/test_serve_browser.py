"""The search page in a real browser: Debian's chromium, driven headless by Playwright.

Over corpus/: type a query and see highlighted hits, narrow by an outlet facet,
page on, open an article and come back, meet the no-results message, all by
keyboard and mouse, at phone width too. Over corpus/ with a syndicated copy and
a follow-up: see "+1 copy", follow a story link to the story's articles in time
order, narrow by a timeline period, open "more like this", and follow the
did-you-mean links both ways, with no console error (a CSP violation would be
one). Over a corpus of hostile articles: no script runs. Skips, saying why,
where chromium or Playwright is missing (`.ci/run` installs chromium with
apt-get before the tests).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from serve_support import (
    COPY_ID,
    COPY_OUTLET,
    FOLLOW_UP_ID,
    HOSTILE_COPY_OUTLET,
    HOSTILE_TITLE,
    HOSTILE_URL,
    STORY_SOURCE_ID,
    LiveServer,
    live_server,
    write_hostile_corpus,
    write_story_corpus,
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


@pytest.fixture(scope="module")
def story_server(tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("browser-stories")
    corpus = write_story_corpus(folder / "corpus", repo_root / "corpus")
    searchkit.build_index([corpus], folder / "index")
    with live_server(folder / "index") as server:
        yield server


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    tab = browser.new_page()
    dialogs: list[str] = []
    errors: list[str] = []  # console errors: a CSP violation (an inline style) shows up here
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.on(
        "console",
        lambda note: note.type == "error" and errors.append(f"{note.text} {note.location}"),
    )
    tab.dialogs = dialogs
    tab.console_errors = errors
    yield tab
    tab.close()


def _total(page: Any) -> int:
    return int(page.locator("#total").inner_text())


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


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

        # The copies line, the story view and the more-like-this view show the same text inert.
        page.locator("#back").click()
        page.wait_for_selector(".hit")
        copied = page.locator(".hit", has=page.locator(".copies"))
        copies = copied.locator(".copies").inner_text()
        # Ingest drops an outlet name holding markup, so one of the two copies has none.
        assert copies in (f"+1 copy: {HOSTILE_COPY_OUTLET}", "+1 copy: unknown outlet")
        assert page.locator("a.facet", has_text=HOSTILE_COPY_OUTLET).count() == 1
        assert page.locator("[onmouseover], [onerror]").count() == 0
        copied.locator("a.story").click()
        page.wait_for_selector(".story-article")
        assert page.locator(".story-article a", has_text=HOSTILE_TITLE).count() == 2
        assert page.locator("script, iframe, img").count() == 0
        page.goto(server.url + "/view/hostile-1/similar")
        page.wait_for_selector("h1")
        assert page.locator("h1").inner_text() == "More like " + HOSTILE_TITLE
        assert page.locator("script, iframe, img").count() == 0
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.dialogs == [] and page.console_errors == []


def test_copies_story_timeline_and_more_like_this(page: Any, story_server: LiveServer) -> None:
    page.goto(story_server.url + "/")
    page.fill("#q", "ISKP")
    page.press("#q", "Enter")
    page.wait_for_selector(".hit")
    results_url = page.url
    copied = page.locator(".hit", has=page.locator(".copies"))
    assert copied.count() == 1
    copies = copied.locator(".copies").inner_text()
    assert copies.startswith("+1 copy: ")
    assert ("Continental Wire" in copies) != (COPY_OUTLET in copies)  # the one not shown

    copied.locator("a.story").click()
    page.wait_for_selector(".story-article")
    rows = page.locator(".story-article")
    assert rows.count() == 3
    assert page.locator("#story-summary").inner_text().startswith("3 articles from 3 outlets")
    dates = page.locator(".story-article time").all_inner_texts()
    assert dates == sorted(dates) and dates[0] == "2024-04-12" and dates[-1] == "2024-04-14"
    assert "Council members question" in rows.last.inner_text()
    assert page.locator(".copy-note").count() == 1  # the second of the two identical texts
    page.locator("#back").click()
    page.wait_for_selector(".hit")
    assert _query(page.url) == _query(results_url)  # the same search (blank fields dropped)

    # One result per story: the story's best hit says how many more it holds.
    page.goto(story_server.url + "/?q=ISKP&by_story=true")
    story_link = page.locator("a.story", has_text="+2 articles in this story")
    assert story_link.count() == 1
    story_link.click()
    page.wait_for_selector(".story-article")
    linked = {
        link.split("?")[0].rsplit("/", 1)[-1]
        for link in page.locator(".story-article a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
    }
    assert linked == {COPY_ID, STORY_SOURCE_ID, FOLLOW_UP_ID}

    # The timeline: a bar and its row in the table each narrow to one month, shown by day.
    page.goto(results_url)
    bars = page.locator(".timeline svg a")
    assert bars.count() == page.locator(".timeline svg rect").count() > 1
    label, bar_count = bars.first.locator("title").text_content().split(": ")
    bars.first.click()
    page.wait_for_url(re.compile(f"since={label}"))
    assert _total(page) == int(bar_count)
    page.goto(results_url)
    page.locator(".counts summary").click()
    period = page.locator("a.period", has_text="2024-04")
    count = int(period.locator("xpath=../../td[2]").inner_text())
    period.click()
    page.wait_for_url(re.compile(r"since=2024-04"))
    assert _total(page) == count == 3
    assert page.locator("#timeline-heading").inner_text() == "Matches by day"

    page.locator("a.similar").first.click()
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text().startswith("More like ")
    assert page.locator(".hit").count() > 0
    assert page.dialogs == [] and page.console_errors == []


def test_did_you_mean_both_ways(page: Any, story_server: LiveServer) -> None:
    page.goto(story_server.url + "/")
    page.fill("#q", "talban")
    page.press("#q", "Enter")
    page.wait_for_selector("#suggestion")
    assert page.locator("#suggestion").inner_text() == (
        "Showing results for taliban; search instead for talban."
    )
    corrected = _total(page)
    assert corrected > 0
    page.locator("#search-instead").click()
    page.wait_for_selector("#no-results")
    assert "exact=true" in page.url
    assert page.locator("#suggestion").inner_text() == "Did you mean taliban?"
    page.locator("#did-you-mean").click()
    page.wait_for_selector(".hit")
    assert page.locator("#q").input_value() == "taliban"
    assert _total(page) == corrected
    assert page.locator("#suggestion").count() == 0
    assert page.dialogs == [] and page.console_errors == []
