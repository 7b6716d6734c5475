"""The library's query path never loads the HTML parser (BeautifulSoup, lxml).

Searching is what users do most, often from short-lived processes: loading
the ingester's parser there would cost startup time for nothing. The CLI's
`searchkit query` has its own check in test_end_to_end.py; this one covers the
Python API (`import searchkit`, open a Searcher, search, read a document), in a
fresh interpreter so no other test's imports can hide a regression.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from searchkit import Article, Indexer

PARSER_MODULES = ("bs4", "lxml")

SCRIPT = """
import json, sys
import searchkit
with searchkit.Searcher(sys.argv[1]) as searcher:
    results = searcher.search("harbour strike", limit=5)
    article = searcher.get(results.hits[0].id)
    stats = searcher.stats()
loaded = sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[3:])
with open(sys.argv[2], "w") as out:
    json.dump({"hits": len(results.hits), "title": article.title, "docs": stats.documents,
               "loaded": loaded}, out)
"""


def test_searching_from_python_never_loads_the_html_parser(tmp_path: Path) -> None:
    index = tmp_path / "index"
    with Indexer(index) as indexer:
        indexer.add(Article("a", "Harbour strike", "Crane drivers at the harbour went on strike."))
        indexer.add(Article("b", "Ferry news", "The ferry ran late."))
    report = tmp_path / "report.json"
    subprocess.run(
        [sys.executable, "-c", SCRIPT, str(index), str(report), *PARSER_MODULES],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    outcome = json.loads(report.read_text(encoding="utf-8"))
    assert (outcome["hits"], outcome["title"], outcome["docs"]) == (1, "Harbour strike", 2)
    assert outcome["loaded"] == []


def test_the_check_would_see_the_parser_if_it_were_loaded(tmp_path: Path) -> None:
    """Guard against a vacuous pass: extracting a page in the same way does load it."""
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Harbour strike</title></head><body><article>"
        "<p>Crane drivers at the harbour went on strike this morning, union leaders said.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    script = (
        "import sys, searchkit\n"
        "searchkit.extract(sys.argv[1])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[2:])))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(page), *PARSER_MODULES],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "bs4" in done.stdout
