"""Under ``--sort date`` a hit's score is still its relevance score, not its timestamp.

Whoosh reports the sort key as the score of a sorted search, so every hit
used to show ``score 63848510100000000.00``. Real index, library and a real
``searchkit query`` process (text and JSON).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from query_output import json_hits
from test_reliability_support import run_cli

import searchkit

ARTICLES = [
    searchkit.Article(
        "old-both",
        "Border security bill",
        "The border security bill passed after a border security debate.",
        published=datetime(2021, 3, 1, tzinfo=timezone.utc),
    ),
    searchkit.Article(
        "new-one",
        "Harvest report",
        "A border town expects a late harvest; security was not discussed much.",
        published=datetime(2024, 6, 1, tzinfo=timezone.utc),
    ),
    searchkit.Article(
        "mid-one",
        "Border crossing reopens",
        "The border crossing reopened on Monday.",
        published=datetime(2023, 1, 1, tzinfo=timezone.utc),
    ),
    searchkit.Article("undated", "Border note", "A short note about the border."),
]
# AND turns ranking feedback off, so date and relevance order score the very same query.
QUERY = "border AND (security OR crossing OR harvest OR note)"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sortdate") / "index"
    with searchkit.Indexer(path) as indexer:
        for article in ARTICLES:
            indexer.add(article.with_content_hash())
    return path


def test_date_order_reports_the_same_scores_as_relevance_order(index: Path) -> None:
    with searchkit.Searcher(index) as searcher:
        by_date = searcher.search(QUERY, sort="date")
        by_relevance = searcher.search(QUERY)
    assert [hit.id for hit in by_date] == ["new-one", "mid-one", "old-both", "undated"]
    assert {hit.id: hit.score for hit in by_date} == {hit.id: hit.score for hit in by_relevance}
    assert all(0 < hit.score < 100 for hit in by_date)


def test_date_order_scores_free_text_by_relevance(index: Path) -> None:
    with searchkit.Searcher(index) as searcher:
        hits = {hit.id: hit.score for hit in searcher.search("border security", sort="date")}
    assert all(0 < score < 100 for score in hits.values()), hits
    assert hits["old-both"] == max(hits.values()), "the article with both words scores highest"


def test_date_order_scores_on_a_later_page(index: Path) -> None:
    with searchkit.Searcher(index) as searcher:
        second = searcher.search(QUERY, sort="date", limit=2, page=2)
        everything = {hit.id: hit.score for hit in searcher.search(QUERY)}
    assert [hit.id for hit in second] == ["old-both", "undated"]
    assert [hit.score for hit in second] == [everything["old-both"], everything["undated"]]


def test_cli_json_and_text_show_relevance_scores_under_date_order(index: Path) -> None:
    relevance = run_cli(["query", QUERY, "--json", "--index", index])
    by_date = run_cli(["query", QUERY, "--json", "--sort", "date", "--index", index])
    text = run_cli(["query", QUERY, "--sort", "date", "--index", index])
    assert relevance.returncode == by_date.returncode == text.returncode == 0
    expected = {hit["id"]: hit["score"] for hit in json_hits(relevance.stdout)}
    hits = json_hits(by_date.stdout)
    assert [hit["id"] for hit in hits] == ["new-one", "mid-one", "old-both", "undated"]
    assert {hit["id"]: hit["score"] for hit in hits} == expected
    shown = [float(value) for value in re.findall(r"score (\S+) \|", text.stdout)]
    assert shown == [round(expected[hit["id"]], 2) for hit in hits]
