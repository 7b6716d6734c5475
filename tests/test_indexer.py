"""The Indexer as a transaction on a real on-disk index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchkit import (
    Article,
    IndexCorruptError,
    Indexer,
    IndexIncompatibleError,
    IndexLockedError,
    Searcher,
)
from searchkit.engine.storage import METADATA_FILE


def article(doc_id: str, body: str = "harbour crane strike", title: str = "Dock news") -> Article:
    return Article(doc_id, title, body)


def ids(index: Path, query: str = "harbour") -> set[str]:
    with Searcher(index) as searcher:
        return {hit.id for hit in searcher.search(query, limit=100)}


def test_commit_on_clean_exit(tmp_path: Path) -> None:
    with Indexer(tmp_path) as indexer:
        indexer.add(article("a"))
    assert ids(tmp_path) == {"a"}


def test_exception_discards_the_transaction(tmp_path: Path) -> None:
    with Indexer(tmp_path) as indexer:
        indexer.add(article("a"))
    with pytest.raises(RuntimeError), Indexer(tmp_path) as indexer:
        indexer.add(article("b"))
        indexer.delete("a")
        raise RuntimeError("crash mid-transaction")
    assert ids(tmp_path) == {"a"}


def test_keyboard_interrupt_keeps_last_commit(tmp_path: Path) -> None:
    with Indexer(tmp_path) as indexer:
        indexer.add(article("a"))
    with pytest.raises(KeyboardInterrupt), Indexer(tmp_path) as indexer:
        indexer.add(article("b"))
        raise KeyboardInterrupt
    assert ids(tmp_path) == {"a"}
    with Indexer(tmp_path) as indexer:  # the lock was released
        indexer.add(article("c"))
    assert ids(tmp_path) == {"a", "c"}


def test_add_replaces_by_id_and_same_id_twice_keeps_the_last(tmp_path: Path) -> None:
    with Indexer(tmp_path) as indexer:
        indexer.add(article("a", "harbour one"))
        indexer.add(article("a", "harbour two"))
    with Indexer(tmp_path) as indexer:
        indexer.add(article("a", "harbour three"))
    with Searcher(tmp_path) as searcher:
        assert searcher.search("harbour").total == 1
        assert searcher.get("a").body == "harbour three"


def test_delete_reports_whether_the_document_existed(tmp_path: Path) -> None:
    with Indexer(tmp_path) as indexer:
        indexer.add(article("a"))
    with Indexer(tmp_path) as indexer:
        assert indexer.delete("a") is True
        assert indexer.delete("missing") is False
    assert ids(tmp_path) == set()


def test_second_writer_waits_then_fails_with_pid(tmp_path: Path) -> None:
    with Indexer(tmp_path) as first:
        first.add(article("a"))
        second = Indexer(tmp_path, lock_timeout=0.3)
        with pytest.raises(IndexLockedError) as caught:
            second.add(article("b"))
        assert "another indexer is writing" in str(caught.value)
        assert caught.value.pid is not None
    assert ids(tmp_path) == {"a"}


def test_rebuild_starts_empty_but_old_index_serves_until_commit(tmp_path: Path) -> None:
    with Indexer(tmp_path) as indexer:
        indexer.add(article("old"))
    with Searcher(tmp_path) as searcher:
        with Indexer(tmp_path, rebuild=True) as indexer:
            indexer.add(article("new"))
            assert {h.id for h in searcher.search("harbour")} == {"old"}
        assert {h.id for h in searcher.search("harbour")} == {"new"}


def test_changed_synonyms_reanalyse_existing_documents(tmp_path: Path) -> None:
    index = tmp_path / "ix"
    with Indexer(index) as indexer:
        indexer.add(article("a", "the quay was quiet"))
    assert ids(index, "wharf") == set()
    synonyms = tmp_path / "syn.txt"
    synonyms.write_text("quay, wharf\n", encoding="utf-8")
    with Indexer(index, synonyms=synonyms):
        pass
    assert ids(index, "wharf") == {"a"}
    with Searcher(index) as searcher:
        assert searcher.get("a").body == "the quay was quiet"


def test_incompatible_schema_version_asks_for_rebuild(tmp_path: Path) -> None:
    with Indexer(tmp_path) as indexer:
        indexer.add(article("a"))
    meta = json.loads((tmp_path / METADATA_FILE).read_text())
    meta["schema_version"] = 999
    (tmp_path / METADATA_FILE).write_text(json.dumps(meta))
    for opener in (Searcher, Indexer):
        with pytest.raises(IndexIncompatibleError, match="--rebuild"):
            opener(tmp_path)
    with Indexer(tmp_path, rebuild=True) as indexer:
        indexer.add(article("b"))
    assert ids(tmp_path) == {"b"}


def test_garbled_table_of_contents_is_reported_as_damage(tmp_path: Path) -> None:
    with Indexer(tmp_path) as indexer:
        indexer.add(article("a"))
    for toc in tmp_path.glob("*.toc"):
        toc.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(IndexCorruptError, match="--rebuild"):
        Searcher(tmp_path)
    with Indexer(tmp_path, rebuild=True) as indexer:
        indexer.add(article("b"))
    assert ids(tmp_path) == {"b"}
