"""`searchkit index` runs that can live in cron: old failures remembered, stray files excluded.

Every CLI test runs the installed ``searchkit`` as a real process on real
folders in tmp_path, against a real index on disk.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_reliability_support import BBC, run_cli

import searchkit
from searchkit import sync as sync_module
from searchkit.ingest.formats import kind_of
from searchkit.known_failures import FAILURES_FILE

STORY = "Harbour talks resume\n\nThe harbour council met again on Monday to discuss the budget.\n"
NO_TEXT = "<html><head><title>Nothing</title></head><body></body></html>"


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(STORY, encoding="utf-8")
    (corpus / "refused.html").write_text(NO_TEXT, encoding="utf-8")
    return corpus


def _index(corpus: Path, index: Path, *extra: str) -> Any:
    return run_cli(["index", corpus, "--index", index, "-q", *extra])


# --------------------------------------------------------------------------- old failures


def test_a_failure_fails_the_run_once_then_counts_as_still_failing(tmp_path: Path) -> None:
    corpus, index = _corpus(tmp_path), tmp_path / "index"
    first = _index(corpus, index)
    assert first.returncode == 1
    assert "failed 1" in first.stdout and "still failing" not in first.stdout
    assert f"failed: {corpus / 'refused.html'}: no article text found" in first.stderr
    again = _index(corpus, index)
    assert again.returncode == 0, again.stderr
    assert "failed 0, still failing 1" in again.stdout
    assert "refused.html" not in again.stderr  # listed only with --verbose
    verbose = _index(corpus, index, "--verbose")
    assert verbose.returncode == 0
    assert f"still failing: {corpus / 'refused.html'}: no article text found" in verbose.stderr


def test_strict_fails_while_any_file_is_failing(tmp_path: Path) -> None:
    corpus, index = _corpus(tmp_path), tmp_path / "index"
    assert _index(corpus, index).returncode == 1
    strict = _index(corpus, index, "--strict")
    assert strict.returncode == 1
    assert "still failing 1" in strict.stdout
    assert f"still failing: {corpus / 'refused.html'}" in strict.stderr
    (corpus / "refused.html").unlink()
    assert _index(corpus, index, "--strict").returncode == 0


def test_a_changed_file_that_still_fails_is_a_new_failure(tmp_path: Path) -> None:
    corpus, index = _corpus(tmp_path), tmp_path / "index"
    assert _index(corpus, index).returncode == 1
    (corpus / "refused.html").write_text(NO_TEXT.replace("Nothing", "Still nothing"), "utf-8")
    changed = _index(corpus, index)
    assert changed.returncode == 1
    assert "failed 1" in changed.stdout and "still failing" not in changed.stdout


def test_a_fixed_or_deleted_file_leaves_the_list(tmp_path: Path) -> None:
    corpus, index = _corpus(tmp_path), tmp_path / "index"
    (corpus / "broken.jsonl").write_text('{"id": "cut", "title": "Cut off\n', encoding="utf-8")
    assert _index(corpus, index).returncode == 1
    assert "still failing 2" in _index(corpus, index).stdout
    (corpus / "refused.html").unlink()
    (corpus / "broken.jsonl").write_text(
        json.dumps({"id": "cut", "title": "Whole now", "body": "harbour whole"}) + "\n", "utf-8"
    )
    fixed = _index(corpus, index)
    assert fixed.returncode == 0
    assert "added 1" in fixed.stdout and "still failing" not in fixed.stdout
    assert not (index / FAILURES_FILE).exists()
    assert run_cli(["show", "cut", "--index", index]).returncode == 0


def test_an_unchanged_failing_file_is_not_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, index = _corpus(tmp_path), tmp_path / "index"
    (corpus / "half.jsonl").write_text(
        json.dumps({"id": "kept", "title": "Kept", "body": "harbour kept"}) + "\n{broken\n", "utf-8"
    )
    first = searchkit.build_index([corpus], index)
    assert (first.added, first.failed) == (2, 2)
    parsed: list[str] = []
    real = sync_module._extract_file

    def recording(path: Path, data: bytes | None, fallback_url: str | None = None) -> list[Any]:
        parsed.append(path.name)
        return real(path, data, fallback_url)

    monkeypatch.setattr(sync_module, "_extract_file", recording)
    again = searchkit.build_index([corpus], index)
    assert parsed == []
    assert (again.failed, again.unchanged, again.removed) == (0, 2, 0)
    assert sorted((Path(f.path).name, f.line) for f in again.still_failing) == [
        ("half.jsonl", 2),
        ("refused.html", None),
    ]
    assert (again.ok, again.clean) == (True, False)
    with searchkit.Searcher(index) as searcher:
        assert searcher.get("kept").title == "Kept"  # the good record of the failing file stays
    rebuilt = searchkit.build_index([corpus], index, rebuild=True)
    assert sorted(parsed) == ["good.txt", "half.jsonl", "refused.html"]
    assert rebuilt.failed == 2  # --rebuild forgets old failures


def test_a_damaged_failure_record_only_means_reading_the_files_again(tmp_path: Path) -> None:
    corpus, index = _corpus(tmp_path), tmp_path / "index"
    assert _index(corpus, index).returncode == 1
    (index / FAILURES_FILE).write_text("{not json", encoding="utf-8")
    result = _index(corpus, index)
    assert result.returncode == 1  # reported as new again, never as a damaged index
    assert "failed 1" in result.stdout and "--rebuild" not in result.stderr
    assert f"ignoring unreadable {index / FAILURES_FILE}" in result.stderr
    assert _index(corpus, index).returncode == 0


def test_failures_of_files_indexed_from_another_folder_are_kept(tmp_path: Path) -> None:
    corpus, index = _corpus(tmp_path), tmp_path / "index"
    other = tmp_path / "other"
    other.mkdir()
    (other / "empty.txt").write_text("  \n", encoding="utf-8")
    assert _index(corpus, index).returncode == 1
    assert _index(other, index).returncode == 1
    assert _index(corpus, index).returncode == 0
    assert _index(other, index).returncode == 0


# --------------------------------------------------------------------------- stray files


def _collection(tmp_path: Path) -> Path:
    """A folder shaped like a news collection: stories, plus the notes shipped beside them."""
    corpus = tmp_path / "collection"
    (corpus / "business").mkdir(parents=True)
    (corpus / "business" / "001.txt").write_text(STORY, encoding="utf-8")
    note = "About this dataset\n\nThis dataset holds news stories collected for research.\n"
    (corpus / "README.TXT").write_text(note, encoding="utf-8")
    (corpus / "PROVENANCE.txt").write_text(note, encoding="utf-8")
    (corpus / "business" / "License.txt").write_text(note, encoding="utf-8")
    (corpus / ".hidden.txt").write_text(note, encoding="utf-8")
    return corpus


def test_read_me_and_provenance_notes_are_excluded_and_said_so(tmp_path: Path) -> None:
    corpus, index = _collection(tmp_path), tmp_path / "index"
    result = _index(corpus, index)
    assert result.returncode == 0, result.stderr
    assert "added 1," in result.stdout
    assert "excluded 4 (.*: 1, LICENSE*: 1, PROVENANCE*: 1, README*: 1)" in result.stdout
    assert run_cli(["query", "dataset", "--index", index]).stdout == ""
    verbose = _index(corpus, index, "--verbose")
    assert f"excluded: {corpus / 'README.TXT'} (matches README*)" in verbose.stderr
    assert f"excluded: {corpus / 'business' / 'License.txt'} (matches LICENSE*)" in verbose.stderr


def test_notes_indexed_by_an_older_run_are_removed(tmp_path: Path) -> None:
    corpus, index = _collection(tmp_path), tmp_path / "index"
    old = searchkit.build_index([corpus], index, default_excludes=False)
    assert old.added == 5 and old.excluded == ()
    result = _index(corpus, index)
    assert "removed 4" in result.stdout
    assert run_cli(["query", "dataset", "--index", index]).stdout == ""


def test_a_file_named_on_the_command_line_is_not_excluded_by_default(tmp_path: Path) -> None:
    corpus, index = _collection(tmp_path), tmp_path / "index"
    result = run_cli(["index", corpus / "README.TXT", "--index", index, "-q"])
    assert result.returncode == 0 and "added 1," in result.stdout
    refused = run_cli(["index", corpus / "README.TXT", "--index", index, "--exclude", "readme*"])
    assert "excluded 1 (readme*: 1)" in refused.stdout and "removed 1" in refused.stdout


def test_exclude_matches_the_relative_path_or_the_name_and_repeats(tmp_path: Path) -> None:
    corpus, index = _collection(tmp_path), tmp_path / "index"
    (corpus / "drafts" / "deep").mkdir(parents=True)
    (corpus / "drafts" / "deep" / "draft.txt").write_text(STORY, encoding="utf-8")
    (corpus / "business" / "002.bak.txt").write_text(STORY, encoding="utf-8")
    (corpus / "business" / "003.txt").write_text(STORY.replace("Monday", "Friday"), "utf-8")
    result = _index(corpus, index, "--exclude", "drafts", "--exclude", "*.BAK.txt", "-v")
    assert result.returncode == 0, result.stderr
    assert "added 2," in result.stdout
    assert "drafts: 1" in result.stdout and "*.BAK.txt: 1" in result.stdout
    assert f"excluded: {corpus / 'drafts'} (matches drafts)" in result.stderr
    nested = _index(corpus, index, "--exclude", "business/00[23]*")
    assert "added 1," in nested.stdout and "business/00[23]*: 2" in nested.stdout


def test_an_empty_exclude_is_a_usage_error(tmp_path: Path) -> None:
    corpus, index = _collection(tmp_path), tmp_path / "index"
    result = run_cli(["index", corpus, "--index", index, "--exclude", ""])
    assert result.returncode == 2 and "must not be empty" in result.stderr
    assert not index.exists()


@pytest.mark.skipif(not (BBC / "README.TXT").is_file(), reason="../shared BBC collection absent")
def test_the_bbc_folder_notes_are_not_indexed(tmp_path: Path) -> None:
    corpus, index = tmp_path / "bbc", tmp_path / "index"
    (corpus / "tech").mkdir(parents=True)
    for name in ("README.TXT", "PROVENANCE.txt"):
        shutil.copy(BBC / name, corpus / name)
    for story in sorted((BBC / "tech").iterdir())[:5]:
        shutil.copy(story, corpus / "tech" / story.name)
    result = _index(corpus, index)
    assert result.returncode == 0, result.stderr
    assert "added 5," in result.stdout
    assert "excluded 2 (PROVENANCE*: 1, README*: 1)" in result.stdout
    hits = run_cli(["query", "dataset", "--index", index, "--json"]).stdout
    assert "README" not in hits and "PROVENANCE" not in hits


# --------------------------------------------------------------------------- skipped files


def test_skipped_files_are_counted_by_reason_and_listed_with_verbose(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "story.txt").write_text(STORY, encoding="utf-8")
    (corpus / "scan.pdf").write_bytes(b"%PDF-1.4")
    (corpus / "photo.PDF").write_bytes(b"%PDF-1.4")
    result = _index(corpus, index)
    assert "skipped 2 (unsupported file type .pdf: 2)" in result.stdout
    assert "scan.pdf" not in result.stderr
    verbose = _index(corpus, index, "--verbose")
    assert f"skipped: {corpus / 'scan.pdf'}: unsupported file type .pdf" in verbose.stderr
    assert f"skipped: {corpus / 'photo.PDF'}: unsupported file type .pdf" in verbose.stderr


def test_a_gzipped_page_is_read_or_listed_never_silently_skipped(tmp_path: Path) -> None:
    import gzip

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    page = "<html><head><title>Harbour deal</title></head><body><article><p>"
    page += "The harbour council agreed the budget on Monday after a long night. " * 5
    page += "</p></article></body></html>"
    (corpus / "page.html.gz").write_bytes(gzip.compress(page.encode("utf-8")))
    result = _index(corpus, index, "--verbose")
    if kind_of(corpus / "page.html.gz") is None:
        assert "skipped 1 (gzip-compressed .html (not read): 1)" in result.stdout
        assert f"skipped: {corpus / 'page.html.gz'}: gzip-compressed .html" in result.stderr
    else:  # read once gzip support exists
        assert "added 1," in result.stdout


def test_no_default_excludes_reads_the_notes_too(tmp_path: Path) -> None:
    corpus, index = _collection(tmp_path), tmp_path / "index"
    (corpus / "business" / "license-fee-rise.txt").write_text(STORY, encoding="utf-8")
    default = _index(corpus, index)
    assert "LICENSE*: 2" in default.stdout
    result = _index(corpus, index, "--no-default-excludes", "--exclude", ".*")
    assert result.returncode == 0, result.stderr
    assert "added 4," in result.stdout and "excluded 1 (.*: 1)" in result.stdout
    assert "dataset" in run_cli(["query", "dataset", "--index", index]).stdout
