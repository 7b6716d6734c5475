"""``-word`` excludes and ``+word`` requires, as people type them, on the command line too.

The index is a real one built from articles written here; the command-line
cases run the installed ``searchkit`` as a real process, since the bug was in
how click read an argument starting with ``-``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from query_output import json_hits
from test_reliability_support import run_cli

import searchkit
from searchkit.engine.parser import make_parser
from searchkit.engine.schema import build_schema
from searchkit.query import parse_query

ARTICLES = [
    searchkit.Article("brexit-trade", "Brexit and the economy", "Brexit weighs on the economy."),
    searchkit.Article(
        "brexit-deal", "Brexit deal talks", "The brexit deal talks stalled; the economy waits."
    ),
    searchkit.Article("budget", "Budget and the economy", "The budget aims to grow the economy."),
    searchkit.Article("jobs", "Jobs report", "The economy added jobs, and wages rose."),
    searchkit.Article("harvest", "Late harvest", "Farmers expect a late harvest this year."),
    searchkit.Article("well", "A well-known bakery", "The well-known bakery reopened downtown."),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("minus") / "index"
    with searchkit.Indexer(path) as indexer:
        for article in ARTICLES:
            indexer.add(article.with_content_hash())
    return path


def ids(index: Path, query: str) -> set[str]:
    with searchkit.Searcher(index) as searcher:
        return {hit.id for hit in searcher.search(query, limit=50)}


ECONOMY = {"brexit-trade", "brexit-deal", "budget", "jobs"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("economy -brexit", {"budget", "jobs"}),
        ("-brexit economy", {"budget", "jobs"}),
        ('economy -"brexit deal"', {"brexit-trade", "budget", "jobs"}),
        ("economy -(brexit OR budget)", {"jobs"}),
        ("economy -title:brexit", {"budget", "jobs"}),
        ("economy NOT brexit", {"budget", "jobs"}),
        ("+budget economy", {"budget"}),
        ("+economy +wages budget", {"jobs"}),
        ("+economy budget -jobs", {"brexit-trade", "brexit-deal", "budget"}),
        ("economy budget", ECONOMY),
        ("well-known", {"well"}),
        ("economy - brexit", ECONOMY),  # a lone dash is punctuation, not an exclusion
    ],
)
def test_minus_excludes_and_plus_requires(index: Path, query: str, expected: set[str]) -> None:
    assert ids(index, query) == expected


def test_plus_word_keeps_the_other_words_as_score() -> None:
    parser = make_parser(build_schema(()))
    parsed = str(parse_query("+economy brexit", parser, None).query)
    assert "ANDMAYBE" in parsed, parsed
    assert "brexit" in parsed


def test_a_hyphen_inside_a_word_or_before_a_digit_is_not_an_exclusion() -> None:
    parser = make_parser(build_schema(()))
    for text in ("well-known", "covid-19", "minus -5 degrees", "e-mail"):
        assert "NOT" not in str(parse_query(text, parser, None).query), text


def cli_ids(stdout: str) -> set[str]:
    return {hit["id"] for hit in json_hits(stdout)}


def test_cli_reads_a_query_starting_with_a_dash_as_query_text(index: Path) -> None:
    result = run_cli(["query", "-brexit economy", "--json", "--index", index])
    assert result.returncode == 0, result.stderr
    assert cli_ids(result.stdout) == {"budget", "jobs"}


@pytest.mark.parametrize(
    "args",
    [
        ["query", "--json", "-brexit", "economy", "--limit", "5", "--index", "INDEX"],
        ["query", "-brexit", "--json", "economy", "--index", "INDEX"],
        ["query", "--limit=5", "economy", "-brexit", "--json", "--index=INDEX"],
        ["query", "--json", "--index", "INDEX", "--", "-brexit", "economy"],
    ],
)
def test_options_still_work_before_and_after_dashed_words(index: Path, args: list[str]) -> None:
    result = run_cli([arg.replace("INDEX", str(index)) for arg in args])
    assert result.returncode == 0, result.stderr
    assert cli_ids(result.stdout) == {"budget", "jobs"}


def test_cli_word_with_an_h_is_not_the_help_option(index: Path) -> None:
    result = run_cli(["query", "-harvest", "economy", "--json", "--index", index])
    assert result.returncode == 0, result.stderr
    assert cli_ids(result.stdout) == ECONOMY


def test_cli_after_double_dash_everything_is_query_text(index: Path) -> None:
    result = run_cli(["query", "--index", index, "--json", "--", "-x", "--limit", "harvest"])
    assert result.returncode == 0, result.stderr
    assert cli_ids(result.stdout) == {"harvest"}


def test_cli_a_mistyped_long_option_is_still_a_usage_error(index: Path) -> None:
    result = run_cli(["query", "economy", "--limt", "5", "--index", index])
    assert result.returncode == 2
    assert "No such option '--limt'" in result.stderr


def test_cli_help_still_works_anywhere(index: Path) -> None:
    for args in (["query", "-h"], ["query", "-brexit", "--help"]):
        result = run_cli(args)
        assert result.returncode == 0, result.stderr
        assert "Usage: searchkit query" in result.stdout
