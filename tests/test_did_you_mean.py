"""Did-you-mean through the real index path: the CLI in a subprocess over an index on disk.

The typed-word vocabulary is written with each segment's arrays at index time;
these tests check that a misspelt word is corrected from it, that a query
that found nothing searches the correction and says so, that ``--exact``
keeps the query as typed, and that deleting every document holding a word
stops it being suggested.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import searchkit

SHARED_BBC = Path(__file__).resolve().parents[2] / "shared" / "data" / "bbc"

OBAMA_ARTICLES = 21
"""Enough for "election" to be 20 times as common as the one-off typo "electoin"."""

ARTICLES = (
    [
        searchkit.Article(
            id=f"obama-{n}",
            title="Obama meets the council",
            body="President Obama spoke about the election and the economy.",
            source="North Post",
        )
        for n in range(OBAMA_ARTICLES)
    ]
    + [
        searchkit.Article(
            id=f"tony-{n}",
            title="Tony Blair on schools",
            body="Tony Blair said the government would invest in schools.",
            source="South Star",
        )
        for n in range(6)
    ]
    + [
        searchkit.Article(
            id="tony-other",
            title="Tony wins a prize",
            body="Tony, a baker, won a prize for bread.",
            source="South Star",
        ),
        searchkit.Article(
            id="typo-once",
            title="Notes",
            body="One article spells it electoin, a typo that made it into print.",
        ),
    ]
)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "searchkit", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("spelling") / "index"
    with searchkit.Indexer(folder) as indexer:
        for article in ARTICLES:
            indexer.add(article)
    return str(folder)


def test_a_query_that_finds_nothing_searches_the_correction_and_says_so(index: str) -> None:
    result = _cli("query", "obamma", "--index", index)
    assert result.returncode == 0
    assert "showing results for obama; search instead for obamma with --exact" in result.stderr
    assert "Obama meets the council" in result.stdout


def test_exact_searches_as_typed_and_only_hints(index: str) -> None:
    result = _cli("query", "obamma", "--exact", "--index", index)
    assert result.returncode == 0
    assert result.stdout == ""
    assert "did you mean: obama" in result.stderr
    assert "no results for 'obamma'" in result.stderr


def test_a_query_with_hits_keeps_them_and_suggests_on_stderr(index: str) -> None:
    result = _cli("query", "tony", "blare", "--json", "--index", index)
    assert result.returncode == 0
    assert "did you mean: tony blair" in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    summary = lines[-1]
    assert summary["type"] == "summary"
    assert summary["suggestion"] == "tony blair"
    assert summary["searched_suggestion"] is False
    assert summary["query"] == "tony blare"
    # The hits are the query's own: every "tony", the baker too.
    assert {hit["id"] for hit in lines[:-1]} >= {"tony-other"}


def test_a_rare_word_with_a_common_spelling_one_edit_away_is_corrected(index: str) -> None:
    with searchkit.Searcher(index) as searcher:
        results = searcher.search("electoin")
    assert results.total == 1  # the typo is in the index, so nothing is replaced
    assert results.suggestion == "election"
    assert not results.searched_suggestion


def test_words_that_are_fine_fields_and_exclusions_are_left_alone(index: str) -> None:
    with searchkit.Searcher(index) as searcher:
        assert searcher.search("obama economy").suggestion is None
        assert searcher.search("title:obamma").suggestion is None
        assert searcher.search("tony -blare").suggestion is None
        assert searcher.search("Obamma").suggestion == "Obama"
        assert searcher.search("obamma", spelling=False).suggestion is None


def test_a_word_left_only_in_deleted_documents_is_not_suggested(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    with searchkit.Indexer(folder) as indexer:
        for article in ARTICLES:
            indexer.add(article)
    with searchkit.Indexer(folder) as indexer:
        for n in range(OBAMA_ARTICLES):
            indexer.delete(f"obama-{n}")
    with searchkit.Searcher(folder) as searcher:
        results = searcher.search("obamma")
    assert results.suggestion is None
    assert results.total == 0


def test_bbc_tony_blare_suggests_tony_blair(tmp_path: Path) -> None:
    if not SHARED_BBC.is_dir():
        pytest.skip("../shared/data/bbc is not available on this machine")
    # Only the politics section: enough Blair, and quick to index.
    articles = []
    for path in sorted((SHARED_BBC / "politics").glob("*.txt")):
        title, _, body = path.read_bytes().decode("utf-8", "replace").strip().partition("\n")
        articles.append(searchkit.Article(id=path.stem, title=title, body=body))
    folder = tmp_path / "index"
    with searchkit.Indexer(folder) as indexer:
        for article in articles:
            indexer.add(article)
    result = _cli("query", "tony", "blare", "--index", str(folder))
    assert result.returncode == 0
    assert "did you mean: tony blair" in result.stderr


def test_pasted_text_and_endless_tokens_are_not_checked(index: str) -> None:
    from searchkit.suggest import MAX_CHECKED_WORDS

    many = " ".join(["obamma"] + [f"zq{chr(97 + n % 26)}xw" for n in range(MAX_CHECKED_WORDS)])
    with searchkit.Searcher(index) as searcher:
        assert searcher.search(many).suggestion is None
        # A 5,000-letter token is left as typed; the word beside it is still corrected.
        long_token = "x" * 5000
        assert searcher.search(f"obamma {long_token}").suggestion == f"obama {long_token}"
        assert searcher.search("o" + "b" * 40 + "ama").suggestion is None
