"""Outlets as data: the shipped table, the user's ``--outlets FILE``, junk names, host fallback.

The end-to-end tests run the real CLI in a subprocess on real files and a real
index on disk.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from query_output import json_hits

import searchkit
from searchkit.errors import OutletsError
from searchkit.ingest import extract_html
from searchkit.ingest.outlets import (
    builtin_outlets,
    is_junk_outlet,
    parse_outlets,
    resolve_outlet,
)
from tests.test_reliability_support import run_cli

BODY = " ".join(["The council approved the new harbour budget after a long debate."] * 6)


def _page(title: str, site_name: str | None = None) -> str:
    meta = f'<meta property="og:site_name" content="{site_name}">' if site_name else ""
    return (
        f"<html><head><title>{title}</title>{meta}</head><body><article>"
        f"<h1>{title}</h1><p>{BODY}</p></article></body></html>"
    )


@pytest.mark.parametrize("name", ["6.0", "Article", "Web Site", "Business |", "Latest News"])
def test_junk_outlet_names_are_rejected(name: str) -> None:
    assert is_junk_outlet(name)


@pytest.mark.parametrize("name", ["Reuters", "BBC News", "The Hindu", "E! Online", "news.com.au"])
def test_real_outlet_names_are_kept(name: str) -> None:
    assert not is_junk_outlet(name)


def test_variants_merge_to_one_display_name() -> None:
    assert resolve_outlet("Reuters.com", None) == "Reuters"
    assert resolve_outlet("reuters", None) == "Reuters"
    assert resolve_outlet("Reuters", None) == "Reuters"


def test_host_names_the_outlet_through_the_table_and_its_parent_domains() -> None:
    assert resolve_outlet(None, "http://uk.reuters.com/article/x") == "Reuters"
    assert resolve_outlet(None, "https://www.nytimes.com/2008/01/02/world/x.html") == (
        "The New York Times"
    )


def test_junk_declared_name_falls_back_to_the_host() -> None:
    assert resolve_outlet("6.0", "http://www.harbour-daily.example/story") == (
        "harbour-daily.example"
    )
    assert resolve_outlet("Web Site", None) is None


def test_extracted_page_with_junk_site_name_gets_the_table_name_of_its_host() -> None:
    article = extract_html(
        _page("Council approves harbour budget", site_name="Article"),
        url="http://uk.reuters.com/article/idUS1",
    )
    assert article.source == "Reuters"


def test_extracted_page_without_outlet_falls_back_to_the_host_name() -> None:
    article = extract_html(
        _page("Council approves harbour budget"), url="http://www.harbour-daily.example/a/1"
    )
    assert article.source == "harbour-daily.example"


def test_user_entries_add_to_and_override_the_shipped_table() -> None:
    user = parse_outlets("Harbour Daily, HarbourDaily.com, harbour-daily.example\n")
    table = builtin_outlets().merged(user)
    assert resolve_outlet("HarbourDaily.com", None, table) == "Harbour Daily"
    assert resolve_outlet(None, "http://news.harbour-daily.example/x", table) == "Harbour Daily"
    assert resolve_outlet("Reuters.com", None, table) == "Reuters"


def test_malformed_outlets_line_names_its_line() -> None:
    with pytest.raises(OutletsError, match="line 2"):
        parse_outlets("Harbour Daily, harbour-daily.example\nHarbour Times, , x.example\n")


def test_indexer_merges_variants_and_stats_lists_the_merged_name(tmp_path: Path) -> None:
    outlets = tmp_path / "outlets.txt"
    outlets.write_text("Harbour Daily, HarbourDaily.com, harbour-daily.example\n", "utf-8")
    with searchkit.Indexer(tmp_path / "index", outlets=outlets) as indexer:
        for number, source in enumerate(["Reuters", "Reuters.com", "HarbourDaily.com"]):
            indexer.add(
                searchkit.Article(id=f"a{number}", title="Harbour", body=BODY, source=source)
            )
    with searchkit.Searcher(tmp_path / "index") as searcher:
        assert dict(searcher.stats().sources) == {"Reuters": 2, "Harbour Daily": 1}


def test_cli_outlets_file_source_filter_and_stats(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [
        {"id": "r1", "title": "Harbour budget", "body": BODY, "source": "Reuters"},
        {"id": "r2", "title": "Harbour budget vote", "body": BODY, "source": "Reuters.com"},
        {"id": "h1", "title": "Harbour budget row", "body": BODY, "source": "HarbourDaily.com"},
        {"id": "u1", "title": "Harbour budget", "body": BODY,
         "url": "http://www.harbour-daily.example/budget"},
    ]  # fmt: skip
    (corpus / "feed.jsonl").write_text(
        "".join(json.dumps(record) + "\n" for record in records), "utf-8"
    )
    outlets = tmp_path / "outlets.txt"
    outlets.write_text("Harbour Daily, HarbourDaily.com, harbour-daily.example\n", "utf-8")
    index = tmp_path / "index"
    built = run_cli(["index", corpus, "--index", index, "--outlets", outlets, "-q"])
    assert built.returncode == 0, built.stderr
    found = run_cli(
        ["query", "harbour", "--index", index, "--source", "reuters", "--json", "--all-copies"]
    )
    assert found.returncode == 0, found.stderr
    hits = json_hits(found.stdout)
    assert sorted(hit["id"] for hit in hits) == ["r1", "r2"]
    assert {hit["source"] for hit in hits} == {"Reuters"}
    stats = run_cli(["stats", "--index", index, "--json"])
    assert json.loads(stats.stdout)["sources"] == {"Harbour Daily": 2, "Reuters": 2}


def test_cli_bad_outlets_file_is_a_clear_error(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.json").write_text(json.dumps({"title": "t", "body": BODY}), "utf-8")
    outlets = tmp_path / "outlets.txt"
    outlets.write_text("6.0, six.example\n", "utf-8")
    result = run_cli(["index", corpus, "--index", tmp_path / "index", "--outlets", outlets])
    assert result.returncode == 1
    assert "outlets.txt, line 1" in result.stderr
