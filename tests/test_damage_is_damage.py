"""Only errors from reading index files are called damage; a bug in our code is called a bug.

A KeyError planted in snippet building or in ranking must not send the user
to `searchkit index --rebuild` (which would not help); the CLI's
unexpected-error message, with its SEARCHKIT_DEBUG hint, must say it instead.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_reliability_support import UNEXPECTED_ERROR, user_environment

from searchkit import Article, IndexCorruptError, Indexer, Searcher

# Each planted bug: (module, attribute) replaced by a function raising KeyError.
PLANTED = {
    "snippets": ("searchkit.searcher", "make_snippet"),
    "ranking": ("searchkit.engine.scorer", "lucene_idf"),
}

CHILD = """
import importlib, sys
module_name, attribute = sys.argv[1], sys.argv[2]
def broken(*args, **kwargs):
    raise KeyError("planted")
setattr(importlib.import_module(module_name), attribute, broken)
from searchkit.cli import main
sys.argv = ["searchkit", *sys.argv[3:]]
main()
"""


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("bugs") / "index"
    with Indexer(directory) as indexer:
        indexer.add(Article("a", "Border talks", "Border security talks resumed on Monday."))
        indexer.add(Article("b", "Harbour works", "The harbour channel was dredged again."))
    return directory


@pytest.mark.parametrize("where", sorted(PLANTED))
def test_a_bug_in_our_code_is_not_reported_as_damage(
    where: str, small_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module_name, attribute = PLANTED[where]
    module = sys.modules[module_name]

    def broken(*args: object, **kwargs: object) -> object:
        raise KeyError("planted")

    monkeypatch.setattr(module, attribute, broken)
    with Searcher(small_index) as searcher, pytest.raises(KeyError) as raised:
        searcher.search("border security")
    assert not isinstance(raised.value, IndexCorruptError)


@pytest.mark.parametrize("where", sorted(PLANTED))
def test_the_cli_calls_a_planted_bug_a_bug(where: str, small_index: Path) -> None:
    module_name, attribute = PLANTED[where]
    args = [module_name, attribute, "query", "border security", "--index", str(small_index)]
    result = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        capture_output=True,
        text=True,
        env=user_environment(),
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert UNEXPECTED_ERROR in result.stderr
    assert "damaged" not in result.stderr
    assert "--rebuild" not in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_setting_shows_the_traceback(small_index: Path) -> None:
    args = ["searchkit.searcher", "make_snippet", "query", "border", "--index", str(small_index)]
    result = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        capture_output=True,
        text=True,
        env={**user_environment(), "SEARCHKIT_DEBUG": "1"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "KeyError: 'planted'" in result.stderr
