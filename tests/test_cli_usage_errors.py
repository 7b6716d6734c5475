"""Every bad option value is a usage error: exit status 2 and click's "Invalid value" message.

One case per option of every command, each a real ``searchkit`` process. A
missing corpus path or extract file is a usage error too (the README says so);
a missing index is not an option value and stays a failure (exit 1), which
the last test pins so the two are not confused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_reliability_support import run_cli

import searchkit


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A real index, a corpus folder, a plain file and a name that does not exist."""
    root = tmp_path_factory.mktemp("usage")
    index = root / "index"
    with searchkit.Indexer(index) as indexer:
        article = searchkit.Article("a", "Border talks", "Border talks resumed.")
        indexer.add(article.with_content_hash())
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "story.txt").write_text("Border talks\n\nBorder talks resumed today.\n")
    plain_file = root / "file.txt"
    plain_file.write_text("Kyiv, Kiev\n")
    return {
        "INDEX": str(index),
        "CORPUS": str(corpus),
        "FILE": str(plain_file),
        "MISSING": str(root / "missing"),
        "DIR": str(root),
    }


# (command line, the option the message must name); INDEX etc. are filled in from `places`.
CASES = [
    (["query", "x", "--limit", "0"], "'--limit'"),
    (["query", "x", "--limit", "5000"], "'--limit'"),
    (["query", "x", "--limit", "ten"], "'--limit'"),
    (["query", "x", "--page", "0"], "'--page'"),
    (["query", "x", "--page", "two"], "'--page'"),
    (["query", "x", "--sort", "oldest"], "'--sort'"),
    (["query", "x", "--since", "last tuesday"], "'--since'"),
    (["query", "x", "--until", "2024-13-01"], "'--until'"),
    (["query", "x", "--since", "2024-06-01", "--until", "2024-01-01"], "'--since'"),
    (["query", "x", "--source", ""], "'--source'"),
    (["query", "x", "--source", "   "], "'--source'"),
    (["query", "x", "--synonyms", "MISSING"], "'--synonyms'"),
    (["query", "x", "--synonyms", "DIR"], "'--synonyms'"),
    (["query", "x", "--synonyms", "FILE", "--no-synonyms"], "--no-synonyms"),
    (["query", "x", "--index", ""], "'--index'"),
    (["query", "x", "--index", "FILE"], "'--index'"),
    (["index", "CORPUS", "--lock-timeout", "-1"], "'--lock-timeout'"),
    (["index", "CORPUS", "--lock-timeout", "nan"], "'--lock-timeout'"),
    (["index", "CORPUS", "--lock-timeout", "soon"], "'--lock-timeout'"),
    (["index", "CORPUS", "--synonyms", "MISSING"], "'--synonyms'"),
    (["index", "CORPUS", "--synonyms", "FILE", "--no-synonyms"], "--no-synonyms"),
    (["index", "CORPUS", "--index", ""], "'--index'"),
    (["index", "CORPUS", "--index", "FILE"], "'--index'"),
    (["index", "MISSING"], "'PATH...'"),
    (["show", "", "--index", "INDEX"], "'ID'"),
    (["show", "a", "--index", ""], "'--index'"),
    (["extract", "MISSING"], "'FILE'"),
    (["extract", "DIR"], "'FILE'"),
    (["stats", "--index", ""], "'--index'"),
    (["stats", "--index", "FILE"], "'--index'"),
]


@pytest.mark.parametrize(("args", "named"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_a_bad_option_value_is_a_usage_error(
    places: dict[str, str], args: list[str], named: str
) -> None:
    filled = [places.get(arg, arg) for arg in args]
    if args[0] == "query" and "--index" not in args:
        filled += ["--index", places["INDEX"]]
    if args[0] == "index" and "--index" not in args:
        filled += ["--index", str(Path(places["DIR"]) / "new-index")]
    result = run_cli(filled)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"Usage: searchkit {args[0]} "), result.stderr
    assert named in result.stderr, result.stderr
    assert result.stdout == ""


def test_the_library_checks_the_same_bounds(places: dict[str, str]) -> None:
    """Python callers get QueryError for what the CLI refuses as a usage error."""
    with searchkit.Searcher(places["INDEX"]) as searcher:
        for options in ({"limit": 5000}, {"page": 0}, {"sort": "oldest"}):
            with pytest.raises(searchkit.QueryError):
                searcher.search("x", **options)


def test_a_missing_index_is_a_failure_not_a_usage_error(places: dict[str, str]) -> None:
    result = run_cli(["query", "x", "--index", places["MISSING"]])
    assert result.returncode == 1
    assert "no index at" in result.stderr
