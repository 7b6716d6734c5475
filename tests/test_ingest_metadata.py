"""Metadata of real pages matches hand-checked values; bylines, dates and titles in detail.

``tests/data/metadata_fixture.json`` holds the title, date, authors, outlet
and canonical URL of 20 pages of the article-extraction-benchmark, written
by hand after reading each page. The pages themselves are read from
``../shared`` (never copied into the repository); those tests skip when it
is absent. The comparison is the one ``benchmarks/extraction.py`` reports.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from searchkit import extract
from searchkit.ingest import extract_html
from searchkit.ingest.authors import parse_authors
from searchkit.ingest.dates import date_from_url, find_date_in_text

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURE = REPO_ROOT / "tests" / "data" / "metadata_fixture.json"
BENCHMARK = REPO_ROOT.parent / "shared" / "data" / "article-extraction-benchmark"
PAGES: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))["pages"]


def _harness() -> ModuleType:
    path = REPO_ROOT / "benchmarks" / "extraction.py"
    spec = importlib.util.spec_from_file_location("extraction_benchmark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_fixture_is_twenty_distinct_pages_with_every_field() -> None:
    assert len(PAGES) == 20
    assert len({page["id"] for page in PAGES}) == 20
    for page in PAGES:
        assert {"id", "title", "published", "authors", "source", "url"} <= set(page)
        assert page["source"], "at least one accepted outlet name"


@pytest.mark.parametrize("page", PAGES, ids=[page["id"][:10] for page in PAGES])
def test_fixture_page_metadata(page: dict[str, Any], tmp_path: Path) -> None:
    source = BENCHMARK / "html" / f"{page['id']}.html.gz"
    if not source.is_file():
        pytest.skip(f"{source} is absent (the shared research data is not mounted)")
    path = tmp_path / "page.html"
    path.write_bytes(gzip.decompress(source.read_bytes()))
    verdicts = _harness().metadata_matches(page, extract(path))
    wrong = {name: found for name, (right, found) in verdicts.items() if not right}
    assert not wrong, f"expected {[(name, page[name]) for name in wrong]}, got {wrong}"


@pytest.mark.parametrize(
    ("byline", "outlet", "names"),
    [
        ("By Jane Doe", None, ["Jane Doe"]),
        ("By DANICA KIRKA and JILL LAWLESS Associated Press", None,
         ["Danica Kirka", "Jill Lawless"]),
        ("Analysis by Chris Cillizza, CNN Editor-at-large", None, ["Chris Cillizza"]),
        ("Finian Cunningham. Sputnik International", "Sputnik International",
         ["Finian Cunningham"]),
        ("By Kevin Johnson and Kevin McCoy USA TODAY", "usatoday",
         ["Kevin Johnson", "Kevin McCoy"]),
        ("By JOHN ROE, AP Sports Writer", None, ["John Roe"]),
        ("By Mike Wuerthele and Malcolm Owen Monday, November 18, 2019", None,
         ["Mike Wuerthele", "Malcolm Owen"]),
        ("Von Moritz Bachmann", None, ["Moritz Bachmann"]),
        ("The Associated Press", None, ["The Associated Press"]),
        ("PTI", None, ["PTI"]),
        ("Harbour Daily", "Harbour Daily", []),
        ("Jerusalem Post Staff", None, []),
        ("4 Minute Read", None, []),
        ("@someone", None, []),
        ("By the time the ferry arrived", None, []),
    ],
)  # fmt: skip
def test_parse_authors(byline: str, outlet: str | None, names: list[str]) -> None:
    assert parse_authors(byline, outlet=outlet) == names


@pytest.mark.parametrize(
    ("url", "day"),
    [
        ("https://news.example/2019/11/18/story.html", "2019-11-18"),
        ("https://news.example/a/2019/nov/18/story/", "2019-11-18"),
        ("https://news.example/2019-11-18-story", "2019-11-18"),
        ("https://news.example/201911181077343476-story/", None),
        ("https://news.example/2019/13/40/story", None),
        (None, None),
    ],
)
def test_date_from_url(url: str | None, day: str | None) -> None:
    found = date_from_url(url)
    assert (found.date().isoformat() if found else None) == day


def test_dateline_with_day_dot_and_ordinals() -> None:
    assert find_date_in_text("publiziert am 25. September 2018") == datetime(
        2018, 9, 25, tzinfo=timezone.utc
    )
    assert find_date_in_text("on Monday, November 18th, 2019 at 11:08 a.m.") == datetime(
        2019, 11, 18, tzinfo=timezone.utc
    )


STORY = "<p>" + "The harbour council voted to open a ferry route, officials said. " * 4 + "</p>"


def test_visible_h1_wins_over_a_rewritten_social_title() -> None:
    page = f"""<html><head><title>Ferries and trade | Harbour Daily</title>
    <meta property="og:title" content="Ferries and trade"></head><body>
    <h1>Ferries and international trade</h1>{STORY}</body></html>"""
    assert extract_html(page).title == "Ferries and international trade"


def test_logo_h1_does_not_replace_the_title() -> None:
    page = f"""<html><head><meta property="og:title" content="Council opens a ferry route">
    </head><body><h1>Harbour Daily</h1>{STORY}</body></html>"""
    assert extract_html(page).title == "Council opens a ferry route"


def test_organisation_author_and_handle_site_name_are_rejected() -> None:
    page = f"""<html><head><title>Ferry route opens | Harbour Daily</title>
    <meta property="og:site_name" content="@harbourdaily">
    <script type="application/ld+json">{{"@type": "NewsArticle", "headline": "Ferry route opens",
      "author": {{"@type": "Organization", "name": "Harbour Daily"}}}}</script>
    </head><body><h1>Ferry route opens</h1>{STORY}</body></html>"""
    article = extract_html(page)
    assert article.author is None
    assert article.source == "Harbour Daily"


def test_byline_and_dateline_under_the_headline() -> None:
    page = f"""<html><body><header><h1>Ferry route opens</h1>
    <p>By <a href="/a">Ann Lee</a>, <a href="/b">Bo Chan</a> on Monday, May 6th, 2024</p>
    </header>{STORY}</body></html>"""
    article = extract_html(page, url="https://hd.example/news/ferry")
    assert article.author == "Ann Lee, Bo Chan"
    assert article.published == datetime(2024, 5, 6, tzinfo=timezone.utc)
    assert "Ann Lee" not in article.body


def test_date_from_the_url_when_the_page_states_none() -> None:
    page = f"<html><body><h1>Ferry route opens</h1>{STORY}</body></html>"
    article = extract_html(page, url="https://hd.example/2024/05/06/ferry")
    assert article.published == datetime(2024, 5, 6, tzinfo=timezone.utc)


def test_entities_in_declared_titles_are_decoded() -> None:
    page = f"""<html><head><meta property="og:title" content="Ferry &#8216;opens&#8217;">
    </head><body>{STORY}</body></html>"""
    assert extract_html(page).title == "Ferry \u2018opens\u2019"
