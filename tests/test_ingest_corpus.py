"""The sample corpus extracts exactly as tests/data/corpus_manifest.json says."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from searchkit.ingest import read_articles, scan
from searchkit.models import Article


def _manifest(repo_root: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(
        (repo_root / "tests" / "data" / "corpus_manifest.json").read_text(encoding="utf-8")
    )
    return entries


def _by_file(repo_root: Path) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in _manifest(repo_root):
        grouped[entry["file"]].append(entry)
    return dict(grouped)


CORPUS_FILES = sorted(_by_file(Path(__file__).resolve().parent.parent))


def test_every_corpus_file_is_listed(repo_root: Path) -> None:
    corpus = repo_root / "corpus"
    found = {path.relative_to(corpus.resolve()).as_posix() for path in scan([corpus]).files}
    assert found == set(CORPUS_FILES)


@pytest.mark.parametrize("file", CORPUS_FILES)
def test_corpus_file_matches_manifest(repo_root: Path, file: str) -> None:
    entries = _by_file(repo_root)[file]
    items = list(read_articles(repo_root / "corpus" / file))
    articles = {item.title: item for item in items if isinstance(item, Article)}
    assert len(articles) == len(items) == len(entries)
    for entry in entries:
        article = articles[entry["title"]]
        published = article.published.date().isoformat() if article.published else None
        assert published == (entry["published"][:10] if entry["published"] else None)
        assert article.author == entry["author"]
        assert article.source == entry["source"]
        if entry.get("id"):
            assert article.id == entry["id"]
        for marker in entry.get("boilerplate_markers", []):
            assert marker not in article.body, f"boilerplate kept in {file}: {marker!r}"
        for marker in entry.get("body_markers", []):
            assert marker in article.body, f"article text lost in {file}: {marker!r}"
