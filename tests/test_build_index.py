"""Incremental folder builds: what build_index adds, updates, removes and leaves alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import searchkit
from searchkit import IngestError


def write_record(folder: Path, name: str, doc_id: str, body: str) -> Path:
    path = folder / name
    record = {"id": doc_id, "title": f"Story {doc_id}", "body": body, "source": "Test Wire"}
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def counts(report: searchkit.IndexReport) -> tuple[int, int, int, int, int, int]:
    return (
        report.added,
        report.updated,
        report.removed,
        report.unchanged,
        report.skipped,
        report.failed,
    )


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_record(corpus, "a.json", "a", "harbour cranes idle")
    write_record(corpus, "b.json", "b", "harbour pilots strike")
    (corpus / "notes.pdf").write_bytes(b"%PDF-1.4")
    return corpus


def documents(index: Path) -> int:
    with searchkit.Searcher(index) as searcher:
        return searcher.stats().documents


def test_first_run_adds_and_second_run_changes_nothing(folder: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    assert counts(searchkit.build_index([folder], index)) == (2, 0, 0, 0, 1, 0)
    assert counts(searchkit.build_index([folder], index)) == (0, 0, 0, 2, 1, 0)
    assert documents(index) == 2


def test_changed_new_and_vanished_files(folder: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    searchkit.build_index([folder], index)
    write_record(folder, "a.json", "a", "harbour cranes restarted")
    write_record(folder, "c.json", "c", "harbour ferry delayed")
    (folder / "b.json").unlink()
    assert counts(searchkit.build_index([folder], index)) == (1, 1, 1, 0, 1, 0)
    with searchkit.Searcher(index) as searcher:
        assert searcher.get("a").body == "harbour cranes restarted"
        assert {h.id for h in searcher.search("harbour")} == {"a", "c"}


def test_whitespace_only_edit_counts_as_unchanged(folder: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    searchkit.build_index([folder], index)
    path = folder / "a.json"
    path.write_text(path.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    assert counts(searchkit.build_index([folder], index)) == (0, 0, 0, 2, 1, 0)


def test_a_broken_edit_keeps_the_indexed_version(folder: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    searchkit.build_index([folder], index)
    (folder / "a.json").write_text('{"id": "a", "title": "cut off', encoding="utf-8")
    report = searchkit.build_index([folder], index)
    assert report.failed == 1 and report.removed == 0
    assert "a.json" in report.failures[0].path
    with searchkit.Searcher(index) as searcher:
        assert searcher.get("a").body == "harbour cranes idle"


def test_failures_do_not_stop_the_others(folder: Path, tmp_path: Path) -> None:
    (folder / "empty.html").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 50)
    (folder / "lines.jsonl").write_text(
        '{"id": "l1", "title": "One", "body": "harbour one"}\n{broken\n'
        '{"id": "l3", "title": "Three", "body": "harbour three"}\n',
        encoding="utf-8",
    )
    report = searchkit.build_index([folder], tmp_path / "index")
    assert report.added == 4
    reasons = {Path(f.path).name: f for f in report.failures}
    assert set(reasons) == {"empty.html", "binary.txt", "lines.jsonl"}
    assert reasons["lines.jsonl"].line == 2
    assert not report.ok


def test_duplicate_ids_across_files_are_reported_not_doubled(folder: Path, tmp_path: Path) -> None:
    write_record(folder, "z.json", "a", "harbour copy of a")
    report = searchkit.build_index([folder], tmp_path / "index")
    assert report.added == 2 and report.failed == 1
    assert "duplicate id 'a'" in report.failures[0].reason
    assert documents(tmp_path / "index") == 2


def test_files_outside_the_indexed_folder_are_left_alone(folder: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    other = tmp_path / "other"
    other.mkdir()
    write_record(other, "o.json", "o", "harbour elsewhere")
    searchkit.build_index([folder], index)
    searchkit.build_index([other], index)
    assert documents(index) == 3


def test_rebuild_starts_from_empty(folder: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    other = tmp_path / "other"
    other.mkdir()
    write_record(other, "o.json", "o", "harbour elsewhere")
    searchkit.build_index([folder, other], index)
    report = searchkit.build_index([folder], index, rebuild=True)
    assert counts(report) == (2, 0, 0, 0, 1, 0)
    assert documents(index) == 2


def test_progress_is_reported_per_file(folder: Path, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    searchkit.build_index(
        [folder], tmp_path / "index", on_progress=lambda done, total: seen.append((done, total))
    )
    assert seen == [(1, 2), (2, 2)]


def test_missing_path_is_an_ingest_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError):
        searchkit.build_index([tmp_path / "nope"], tmp_path / "index")


def test_same_ids_whichever_directory_the_build_runs_from(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (folder / "page.txt").write_text("A headline\n\nSome harbour text here.\n", encoding="utf-8")
    monkeypatch.chdir(folder)
    searchkit.build_index(["."], tmp_path / "one")
    monkeypatch.chdir(tmp_path)
    searchkit.build_index([folder], tmp_path / "two")
    ids = []
    for index in ("one", "two"):
        with searchkit.Searcher(tmp_path / index) as searcher:
            ids.append({h.id for h in searcher.search("harbour")})
    assert ids[0] == ids[1] and len(ids[0]) == 3
