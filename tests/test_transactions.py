"""An Indexer is one transaction: nothing is written before commit, repeats replace in place."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from searchkit import Article, Indexer, Searcher
from searchkit.pending import PendingDocuments


def article(doc_id: str, body: str) -> Article:
    return Article(doc_id, "Dock news", body)


def ids(index: Path, query: str = "harbour") -> set[str]:
    with Searcher(index) as searcher:
        return {hit.id for hit in searcher.search(query, limit=100)}


def test_a_repeated_id_then_an_exception_commits_nothing(tmp_path: Path) -> None:
    with Indexer(tmp_path) as indexer:
        indexer.add(article("old", "harbour crane strike"))
    with pytest.raises(RuntimeError), Indexer(tmp_path) as indexer:
        indexer.add(article("a", "harbour first version"))
        indexer.add(article("b", "harbour other story"))
        indexer.add(article("a", "harbour second version"))
        raise RuntimeError("leaving the block through an exception")
    assert ids(tmp_path) == {"old"}


def test_a_repeated_id_keeps_its_last_version_once(tmp_path: Path) -> None:
    with Indexer(tmp_path) as indexer:
        indexer.add(article("a", "harbour first version"))
        indexer.add(article("b", "harbour other story"))
        indexer.add(article("a", "harbour second version"))
    with Searcher(tmp_path) as searcher:
        assert searcher.stats().documents == 2
        assert searcher.get("a").body == "harbour second version"
        assert searcher.search("first").total == 0


def test_add_then_delete_in_one_transaction_leaves_nothing(tmp_path: Path) -> None:
    with Indexer(tmp_path) as indexer:
        indexer.add(article("keep", "harbour keep"))
    with Indexer(tmp_path) as indexer:
        indexer.add(article("a", "harbour brief"))
        assert indexer.delete("a") is True
        assert indexer.delete("never") is False
    assert ids(tmp_path) == {"keep"}


def test_delete_then_add_again_keeps_the_new_version(tmp_path: Path) -> None:
    with Indexer(tmp_path) as indexer:
        indexer.add(article("a", "harbour old text"))
    with Indexer(tmp_path) as indexer:
        assert indexer.delete("a") is True
        indexer.add(article("a", "harbour new text"))
    with Searcher(tmp_path) as searcher:
        assert searcher.get("a").body == "harbour new text"
        assert searcher.stats().documents == 1


@pytest.mark.parametrize("budget", [10**9, 1], ids=["in memory", "spilled to disk"])
def test_pending_documents_keep_first_order_and_last_version(budget: int) -> None:
    pending = PendingDocuments(memory_budget=budget)
    when = datetime(2025, 5, 14, 9, 30)
    pending.put({"id": "a", "body": "one", "published": when})
    pending.put({"id": "b", "body": "two \udcff"})  # a lone surrogate survives the spill
    pending.put({"id": "c", "body": "three"})
    pending.put({"id": "a", "body": "one again", "published": when})
    assert pending.discard("c") is True
    assert pending.discard("c") is False
    assert len(pending) == 2 and "a" in pending and "c" not in pending
    assert list(pending) == [
        {"id": "a", "body": "one again", "published": when},
        {"id": "b", "body": "two \udcff"},
    ]
    pending.clear()
    assert len(pending) == 0 and list(pending) == []


def test_a_spilled_transaction_commits_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import searchkit.pending as pending_module

    monkeypatch.setattr(pending_module, "MEMORY_BUDGET_CHARS", 200)
    published = datetime(2024, 1, 2, 3, 4, tzinfo=timezone.utc)
    with Indexer(tmp_path) as indexer:
        for n in range(30):
            indexer.add(Article(f"d{n}", f"Harbour {n}", "harbour " * 10, published=published))
        indexer.add(Article("d0", "Harbour zero", "harbour replaced", published=published))
    with Searcher(tmp_path) as searcher:
        assert searcher.stats().documents == 30
        assert searcher.get("d0").body == "harbour replaced"
        assert searcher.get("d5").published == published
