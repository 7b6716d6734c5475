"""The command line as a user meets it: exit codes, messages and output formats.

Indexes are real ones on disk in tmp_path, built either through the library
(``searchkit.Indexer``) from articles written here or through ``searchkit
index`` from files written here or from a copy of the sample corpus.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from query_output import json_hits, json_summary

import searchkit
from searchkit.cli import _color_wanted, _mark_spans, main

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
HIT_KEYS = [
    "rank",
    "score",
    "id",
    "title",
    "source",
    "url",
    "published",
    "path",
    "snippet",
    "matched_terms",
    "copies",
    "story_id",
]
ARTICLE_KEYS = {
    "id",
    "title",
    "body",
    "url",
    "source",
    "published",
    "author",
    "path",
    "content_hash",
    "title_derived",
}
STATS_KEYS = {
    "documents",
    "sources",
    "first_published",
    "last_published",
    "index_bytes",
    "updated",
    "schema_version",
    "synonym_groups",
}

ARTICLES = [
    searchkit.Article(
        id="border-bill",
        title="Senate passes border security bill",
        body=(
            "The border security bill passed the Senate on Tuesday after a long debate.\n\n"
            "Supporters said the money for border security would pay for new scanners."
        ),
        url="https://news.example/border-bill",
        source="Harbour Daily",
        published=datetime(2024, 3, 5, 9, 0, tzinfo=timezone.utc),
        author="Ana Ruiz",
    ),
    searchkit.Article(
        id="kabul-claim",
        title="Daesh claims attack near Kabul",
        body="The group known as ISIS-K said it carried out the attack on a checkpoint.",
        source="Continental Wire",
        published=datetime(2024, 7, 2, 14, 30, tzinfo=timezone.utc),
    ),
    searchkit.Article(
        id="harvest",
        title="Farmers expect a late harvest",
        body="Cold weather in spring delayed planting, and farmers expect a late harvest.",
        source="Lakeside Ledger",
        published=datetime(2023, 9, 14, 7, 0, tzinfo=timezone.utc),
        path="farm/harvest.html",
    ),
]


def run(args: Sequence[str], env: dict[str, str | None] | None = None) -> Result:
    """Invoke the CLI; whatever the outcome, it must never end in a traceback."""
    result = CliRunner().invoke(main, list(args), env=env, prog_name="searchkit")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"searchkit {' '.join(args)} raised instead of exiting") from (
            result.exception
        )
    assert "Traceback" not in result.output
    return result


def build_article_index(index_dir: Path) -> Path:
    with searchkit.Indexer(index_dir) as indexer:
        for article in ARTICLES:
            indexer.add(article.with_content_hash())
    return index_dir


@pytest.fixture(scope="module")
def news_index(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small real index built through the library (shared read-only by the query tests)."""
    return str(build_article_index(tmp_path_factory.mktemp("cli") / "index"))


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A private copy of the sample corpus, so tests may add or break files in it."""
    assert CORPUS.is_dir(), "corpus/ is part of the repository"
    return Path(shutil.copytree(CORPUS, tmp_path / "corpus"))


def write_page(directory: Path, name: str, title: str, paragraphs: Sequence[str]) -> Path:
    """Write a small but realistic news page (metadata in the head, text in <article>)."""
    body = "\n".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - Test Herald</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="Test Herald">
<meta property="article:published_time" content="2024-05-06T08:00:00Z">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>{title}</h1>
{body}
</article>
<footer>Copyright Test Herald</footer>
</body></html>
"""
    path = directory / name
    path.write_text(html, encoding="utf-8")
    return path


PARAGRAPHS = [
    "Engineers opened a new tidal barrier on the river estuary on Monday, ending six years "
    "of construction that cost more than the city had first planned.",
    "The barrier can close in under ten minutes when storm surges threaten the low-lying "
    "districts, officials said, and it was tested twice during the winter storms.",
    "Residents who had lost homes to flooding in earlier years welcomed the opening but "
    "asked what would happen to the older defences further upstream.",
]


# --------------------------------------------------------------------------- basics


def test_help_lists_every_command() -> None:
    result = run(["--help"])
    assert result.exit_code == 0
    for name in ("index", "query", "show", "extract", "stats"):
        assert name in result.stdout


def test_version() -> None:
    result = run(["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"searchkit {searchkit.__version__}"


def test_unknown_command_is_a_usage_error() -> None:
    assert run(["serach", "x"]).exit_code == 2


# --------------------------------------------------------------------------- missing index


@pytest.mark.parametrize(
    "args",
    [["query", "border security"], ["show", "border-bill"], ["stats"], ["stats", "--json"]],
)
def test_missing_index_says_how_to_create_one(tmp_path: Path, args: list[str]) -> None:
    missing = tmp_path / "nothing-here"
    result = run([*args, "--index", str(missing)])
    assert result.exit_code == 1
    assert f"no index at {missing}" in result.stderr
    assert "run `searchkit index CORPUS` first" in result.stderr
    assert result.stdout == ""


def test_default_index_location_comes_from_the_environment(news_index: str) -> None:
    result = run(["stats", "--json"], env={"SEARCHKIT_INDEX": news_index})
    assert result.exit_code == 0
    assert json.loads(result.stdout)["documents"] == len(ARTICLES)


def test_default_index_is_dot_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(["query", "anything"], env={"SEARCHKIT_INDEX": None})
    assert result.exit_code == 1
    assert "no index at ./index" in result.stderr


# --------------------------------------------------------------------------- query


def test_query_prints_ranked_hits_with_metadata(news_index: str) -> None:
    result = run(["query", "border security", "--index", news_index])
    assert result.exit_code == 0
    out = result.stdout
    assert "Senate passes border security bill" in out
    assert "Harbour Daily" in out
    assert "2024-03-05" in out
    assert "border-bill" in out
    assert "https://news.example/border-bill" in out
    assert "score " in out
    assert out.lstrip().startswith("1 result")
    assert "\x1b[" not in out, "no colour codes when stdout is not a terminal"


def test_query_words_may_be_separate_arguments(news_index: str) -> None:
    joined = run(["query", "--json", "--index", news_index, "late harvest"])
    separate = run(["query", "--json", "--index", news_index, "late", "harvest"])
    assert joined.exit_code == separate.exit_code == 0
    assert joined.stdout == separate.stdout != ""


def test_query_json_lines_have_exactly_the_hit_keys(news_index: str) -> None:
    result = run(["query", "border OR harvest OR attack", "--json", "--index", news_index])
    assert result.exit_code == 0
    records = json_hits(result.stdout)
    assert len(records) == 3
    for record in records:
        assert list(record) == HIT_KEYS
    assert [record["rank"] for record in records] == [1, 2, 3]
    scores = [record["score"] for record in records]
    assert scores == sorted(scores, reverse=True)
    assert "3 results" in result.stderr


def test_query_with_no_hits_exits_zero_with_a_note(news_index: str) -> None:
    result = run(["query", "zeppelin", "--index", news_index])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no results for 'zeppelin'" in result.stderr
    json_result = run(["query", "zeppelin", "--json", "--index", news_index])
    assert json_result.exit_code == 0
    assert json_hits(json_result.stdout) == []
    assert json_summary(json_result.stdout)["total"] == 0


def test_query_page_past_the_end_is_not_an_error(news_index: str) -> None:
    result = run(["query", "border", "--page", "5", "--index", news_index])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no results on page 5" in result.stderr


def test_query_limit_and_page_select_the_window(news_index: str) -> None:
    query = [
        "query",
        "border OR harvest OR attack",
        "--json",
        "--limit",
        "2",
        "--index",
        news_index,
    ]
    first = json_hits(run(query).stdout)
    second = json_hits(run([*query, "--page", "2"]).stdout)
    assert [hit["rank"] for hit in first] == [1, 2]
    assert [hit["rank"] for hit in second] == [3]
    assert {hit["id"] for hit in first}.isdisjoint(hit["id"] for hit in second)


def test_query_explain_goes_to_stderr(news_index: str) -> None:
    result = run(["query", "Daesh", "--explain", "--json", "--index", news_index])
    assert result.exit_code == 0
    assert "parsed query:" in result.stderr
    assert "expanded query:" in result.stderr
    assert "parsed query" not in result.stdout
    assert [hit["id"] for hit in json_hits(result.stdout)] == ["kabul-claim"]


def test_query_finds_aliases_unless_told_not_to(news_index: str) -> None:
    with_aliases = run(["query", "IS-Khorasan", "--json", "--index", news_index])
    assert [hit["id"] for hit in json_hits(with_aliases.stdout)] == ["kabul-claim"]
    literal = run(["query", "IS-Khorasan", "--json", "--no-synonyms", "--index", news_index])
    assert literal.exit_code == 0
    assert json_hits(literal.stdout) == []


def test_query_filters_by_source_and_dates(news_index: str) -> None:
    base = ["query", "border OR harvest OR attack", "--json", "--index", news_index]

    def ids(*extra: str) -> set[str]:
        result = run([*base, *extra])
        assert result.exit_code == 0, result.stderr
        return {hit["id"] for hit in json_hits(result.stdout)}

    assert ids("--source", "Lakeside Ledger") == {"harvest"}
    assert ids("--since", "2024-01-01") == {"border-bill", "kabul-claim"}
    assert ids("--until", "2024-03-05") == {"border-bill", "harvest"}
    assert ids("--since", "2024-01-01", "--until", "2024-06-30") == {"border-bill"}


def test_query_sort_by_date_puts_newest_first(news_index: str) -> None:
    result = run(
        ["query", "border OR harvest OR attack", "--json", "--sort", "date", "--index", news_index]
    )
    published = [hit["published"] for hit in json_hits(result.stdout)]
    assert published == sorted(published, reverse=True)


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_bad_date_is_a_usage_error_naming_the_format(news_index: str, option: str) -> None:
    result = run(["query", "border", option, "last tuesday", "--index", news_index])
    assert result.exit_code == 2
    assert option in result.stderr
    assert "YYYY-MM-DD" in result.stderr


def test_since_after_until_is_explained(news_index: str) -> None:
    result = run(
        ["query", "border", "--since", "2024-06-01", "--until", "2024-01-01", "--index", news_index]
    )
    assert result.exit_code == 2  # a usage error, found before the index is opened
    assert "'--since': 2024-06-01 is later than --until 2024-01-01" in result.stderr


def test_bad_sort_and_limit_are_usage_errors(news_index: str) -> None:
    assert run(["query", "border", "--sort", "oldest", "--index", news_index]).exit_code == 2
    assert run(["query", "border", "--limit", "0", "--index", news_index]).exit_code == 2


def test_ignored_query_parts_are_reported_on_stderr(news_index: str) -> None:
    result = run(["query", "colour:red harvest", "--index", news_index])
    assert result.exit_code == 0
    assert "warning: unknown field 'colour'" in result.stderr
    assert "warning" not in result.stdout


def test_unknown_outlet_is_reported_not_fatal(news_index: str) -> None:
    result = run(["query", "border", "--source", "Nowhere Times", "--index", news_index])
    assert result.exit_code == 0
    assert "Nowhere Times" in result.stderr


def test_synonyms_and_no_synonyms_together_is_a_usage_error(
    news_index: str, tmp_path: Path
) -> None:
    synonyms = tmp_path / "aliases.txt"
    synonyms.write_text("Kyiv, Kiev\n", encoding="utf-8")
    args = ["query", "x", "--synonyms", str(synonyms), "--no-synonyms", "--index", news_index]
    result = run(args)
    assert result.exit_code == 2
    assert "--no-synonyms" in result.stderr


def test_query_time_synonyms_file_adds_groups(news_index: str, tmp_path: Path) -> None:
    synonyms = tmp_path / "aliases.txt"
    synonyms.write_text("# crops\nharvest, crop gathering\n", encoding="utf-8")
    result = run(
        ["query", "crop gathering", "--json", "--synonyms", str(synonyms), "--index", news_index]
    )
    assert result.exit_code == 0
    assert [hit["id"] for hit in json_hits(result.stdout)] == ["harvest"]


def test_malformed_synonyms_file_names_the_line(news_index: str, tmp_path: Path) -> None:
    synonyms = tmp_path / "aliases.txt"
    synonyms.write_text("Kyiv, Kiev\n,,,\n", encoding="utf-8")
    result = run(["query", "x", "--synonyms", str(synonyms), "--index", news_index])
    assert result.exit_code == 1
    assert str(synonyms) in result.stderr
    assert "line 2" in result.stderr


def test_missing_synonyms_file_is_a_usage_error(news_index: str, tmp_path: Path) -> None:
    result = run(["query", "x", "--synonyms", str(tmp_path / "none.txt"), "--index", news_index])
    assert result.exit_code == 2
    assert "none.txt" in result.stderr


# --------------------------------------------------------------------------- highlighting


def test_highlights_are_styled_only_when_colour_is_wanted() -> None:
    snippet = "the border security bill"
    spans = ((4, 10), (11, 19))
    assert _mark_spans(snippet, spans, color=False) == snippet
    coloured = _mark_spans(snippet, spans, color=True)
    assert click.unstyle(coloured) == snippet
    assert coloured.count("\x1b[") >= 2
    assert click.style("border", fg="yellow", bold=True) in coloured


def test_overlapping_or_out_of_range_spans_do_not_garble_the_snippet() -> None:
    snippet = "border security"
    coloured = _mark_spans(snippet, ((0, 10), (5, 12), (14, 99)), color=True)
    assert click.unstyle(coloured) == snippet


class _Terminal:
    def isatty(self) -> bool:
        return True


def test_colour_follows_the_terminal_and_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert _color_wanted(_Terminal())  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not _color_wanted(_Terminal())  # type: ignore[arg-type]


# --------------------------------------------------------------------------- show


def test_show_prints_the_article(news_index: str) -> None:
    result = run(["show", "border-bill", "--index", news_index])
    assert result.exit_code == 0
    assert result.stdout.startswith("Senate passes border security bill\n")
    assert "source: Harbour Daily" in result.stdout
    assert "author: Ana Ruiz" in result.stdout
    assert "Supporters said the money" in result.stdout


def test_show_json_is_the_article_dict(news_index: str) -> None:
    result = run(["show", "harvest", "--json", "--index", news_index])
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert set(record) == ARTICLE_KEYS
    assert record["id"] == "harvest"
    assert record["published"].startswith("2023-09-14")


def test_show_unknown_id_says_where_ids_come_from(news_index: str) -> None:
    result = run(["show", "no-such-article", "--index", news_index])
    assert result.exit_code == 1
    assert "no document with id 'no-such-article'" in result.stderr
    assert result.stdout == ""


# --------------------------------------------------------------------------- stats


def test_stats_human(news_index: str) -> None:
    result = run(["stats", "--index", news_index])
    assert result.exit_code == 0
    assert "documents:" in result.stdout
    assert "Harbour Daily 1" in result.stdout
    assert "2023-09-14 to 2024-07-02" in result.stdout


def test_stats_json_keys(news_index: str) -> None:
    result = run(["stats", "--json", "--index", news_index])
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert set(record) == STATS_KEYS
    assert record["documents"] == 3
    assert record["sources"] == {"Harbour Daily": 1, "Continental Wire": 1, "Lakeside Ledger": 1}
    assert record["first_published"].startswith("2023-09-14")
    assert record["last_published"].startswith("2024-07-02")
    assert record["index_bytes"] > 0


# --------------------------------------------------------------------------- incompatible / locked


def test_index_from_another_schema_version_is_refused_with_the_fix(tmp_path: Path) -> None:
    index_dir = build_article_index(tmp_path / "index")
    metadata_file = index_dir / "searchkit.json"
    metadata = json.loads(metadata_file.read_text(encoding="utf-8"))
    metadata["schema_version"] = 999
    metadata_file.write_text(json.dumps(metadata), encoding="utf-8")
    for args in (["query", "border"], ["stats"], ["show", "harvest"]):
        result = run([*args, "--index", str(index_dir)])
        assert result.exit_code == 1
        assert "schema version 999" in result.stderr
        assert "searchkit index --rebuild" in result.stderr


def test_locked_index_names_the_other_indexer(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    pages = tmp_path / "pages"
    pages.mkdir()
    write_page(pages, "barrier.html", "Tidal barrier opens after six years", PARAGRAPHS)
    with searchkit.Indexer(index_dir) as holder:
        holder.add(ARTICLES[0].with_content_hash())  # takes the write lock
        result = run(["index", str(pages), "--index", str(index_dir), "--lock-timeout", "0.5"])
    assert result.exit_code == 1
    assert "another indexer" in result.stderr
    assert "--lock-timeout" in result.stderr


# --------------------------------------------------------------------------- index


def test_index_missing_path_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    result = run(["index", str(tmp_path / "missing"), "--index", str(tmp_path / "index")])
    assert result.exit_code == 2
    assert "missing" in result.stderr
    assert not (tmp_path / "index" / "searchkit.json").exists()


def test_index_needs_a_path(tmp_path: Path) -> None:
    assert run(["index", "--index", str(tmp_path / "index")]).exit_code == 2


def test_index_corpus_then_reindex_is_all_unchanged(corpus_copy: Path, tmp_path: Path) -> None:
    index_dir = str(tmp_path / "index")
    first = run(["index", str(corpus_copy), "--index", index_dir])
    assert first.exit_code == 0, first.stderr
    assert first.stdout.startswith("added ")
    added = int(first.stdout.split()[1].rstrip(","))
    assert added > 0
    assert "failed 0" in first.stdout
    second = run(["index", str(corpus_copy), "--index", index_dir, "--quiet"])
    assert second.exit_code == 0
    assert second.stdout.startswith(f"added 0, updated 0, removed 0, unchanged {added},")
    stats = json.loads(run(["stats", "--json", "--index", index_dir]).stdout)
    assert stats["documents"] == added


def test_index_reports_removed_and_rebuild(corpus_copy: Path, tmp_path: Path) -> None:
    index_dir = str(tmp_path / "index")
    pages = tmp_path / "pages"
    pages.mkdir()
    page = write_page(pages, "barrier.html", "Tidal barrier opens after six years", PARAGRAPHS)
    assert run(["index", str(pages), "--index", index_dir]).stdout.startswith("added 1,")
    page.unlink()
    assert "removed 1" in run(["index", str(pages), "--index", index_dir]).stdout
    rebuilt = run(["index", "--rebuild", str(corpus_copy), "--index", index_dir])
    assert rebuilt.exit_code == 0
    assert "unchanged 0" in rebuilt.stdout


def test_file_that_fails_ingest_is_listed_and_exits_one(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    write_page(pages, "barrier.html", "Tidal barrier opens after six years", PARAGRAPHS)
    broken = pages / "wire.jsonl"
    broken.write_text(
        '{"id": "ok-1", "title": "Ferry strike ends", "body": "The ferry strike ended."}\n'
        "{this is not json\n",
        encoding="utf-8",
    )
    index_dir = str(tmp_path / "index")
    result = run(["index", str(pages), "--index", index_dir])
    assert result.exit_code == 1
    assert "failed 1" in result.stdout
    assert f"failed: {broken}:2: " in result.stderr
    # everything else was still indexed
    stats = json.loads(run(["stats", "--json", "--index", index_dir]).stdout)
    assert stats["documents"] == 2


def test_index_with_malformed_synonyms_file_names_the_line(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    write_page(pages, "barrier.html", "Tidal barrier opens after six years", PARAGRAPHS)
    synonyms = tmp_path / "aliases.txt"
    synonyms.write_text("# ok\nKyiv, Kiev\n,\n", encoding="utf-8")
    args = ["index", str(pages), "--synonyms", str(synonyms), "--index", str(tmp_path / "index")]
    result = run(args)
    assert result.exit_code == 1
    assert "line 3" in result.stderr


def test_index_into_a_file_is_refused(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    write_page(pages, "barrier.html", "Tidal barrier opens after six years", PARAGRAPHS)
    not_a_dir = tmp_path / "index"
    not_a_dir.write_text("", encoding="utf-8")
    result = run(["index", str(pages), "--index", str(not_a_dir)])
    assert result.exit_code == 2
    assert "index" in result.stderr


# --------------------------------------------------------------------------- extract


def test_extract_prints_the_cleaned_page(tmp_path: Path) -> None:
    page = write_page(tmp_path, "barrier.html", "Tidal barrier opens after six years", PARAGRAPHS)
    result = run(["extract", str(page)])
    assert result.exit_code == 0
    assert result.stdout.startswith("Tidal barrier opens after six years\n")
    assert "under ten minutes" in result.stdout
    assert "Copyright Test Herald" not in result.stdout
    assert not (tmp_path / "index").exists()


def test_extract_json_is_one_article_dict(tmp_path: Path) -> None:
    page = write_page(tmp_path, "barrier.html", "Tidal barrier opens after six years", PARAGRAPHS)
    result = run(["extract", str(page), "--json"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert set(record) == ARTICLE_KEYS
    assert record["title"] == "Tidal barrier opens after six years"
    assert record["published"].startswith("2024-05-06")


def test_extract_json_lines_file_prints_one_object_per_record(tmp_path: Path) -> None:
    records = tmp_path / "wire.jsonl"
    records.write_text(
        '{"id": "a", "title": "Ferry strike ends", "body": "The ferry strike ended at dawn."}\n'
        '{"id": "b", "title": "Bridge reopens", "body": "The old bridge reopened to traffic."}\n',
        encoding="utf-8",
    )
    result = run(["extract", str(records), "--json"])
    assert result.exit_code == 0
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a", "b"]


def test_extract_failure_goes_to_stderr_with_exit_one(tmp_path: Path) -> None:
    records = tmp_path / "wire.jsonl"
    records.write_text(
        '{"id": "a", "title": "Ferry strike ends", "body": "The ferry strike ended at dawn."}\n'
        "{broken\n",
        encoding="utf-8",
    )
    result = run(["extract", str(records), "--json"])
    assert result.exit_code == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a"]
    assert f"failed: {records}:2: " in result.stderr


def test_extract_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run(["extract", str(tmp_path / "gone.html")])
    assert result.exit_code == 2
    assert "gone.html" in result.stderr


def test_extract_corpus_files(corpus_copy: Path) -> None:
    for path in sorted(p for p in corpus_copy.rglob("*") if p.parent != corpus_copy):
        result = run(["extract", str(path), "--json"])
        assert result.exit_code == 0, f"{path}: {result.stderr}"
        for line in result.stdout.splitlines():
            assert set(json.loads(line)) == ARTICLE_KEYS
