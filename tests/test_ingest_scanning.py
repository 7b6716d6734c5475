"""Tests for searchkit.ingest.scan on real folders in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchkit.errors import IngestError
from searchkit.ingest import SUPPORTED_SUFFIXES, scan


def _tree(root: Path) -> None:
    (root / "sub" / "deeper").mkdir(parents=True)
    for name in ("a.html", "b.HTM", "sub/c.txt", "sub/deeper/d.json", "sub/e.jsonl", "f.text"):
        (root / name).write_text("x", encoding="utf-8")
    for name in ("notes.pdf", "sub/image.png"):
        (root / name).write_bytes(b"\x00")
    (root / ".git").mkdir()
    (root / ".git" / "config.json").write_text("{}", encoding="utf-8")


def test_supported_suffixes() -> None:
    assert {".html", ".htm", ".txt", ".text", ".json", ".jsonl"} == set(SUPPORTED_SUFFIXES)


def test_scan_walks_recursively_sorted_and_counts_skipped(tmp_path: Path) -> None:
    _tree(tmp_path)
    result = scan([tmp_path])
    root = tmp_path.resolve()
    assert result.files == tuple(
        sorted(
            root / name
            for name in (
                "a.html",
                "b.HTM",
                "f.text",
                "sub/c.txt",
                "sub/deeper/d.json",
                "sub/e.jsonl",
            )
        )
    )
    assert {path.name for path in result.skipped} == {"notes.pdf", "image.png"}
    assert result.failures == ()


def test_scan_accepts_files_and_deduplicates(tmp_path: Path) -> None:
    _tree(tmp_path)
    result = scan([tmp_path / "a.html", str(tmp_path), tmp_path / "notes.pdf"])
    assert len(result.files) == 6
    assert len(result.skipped) == 2


def test_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file"):
        scan([tmp_path / "nope"])


def test_symlink_loop_is_a_failure_not_a_hang(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "dangling.html").symlink_to(tmp_path / "missing.html")
    result = scan([tmp_path])
    assert len(result.files) == 6
    reasons = sorted(failure.reason for failure in result.failures)
    assert any("loop" in reason for reason in reasons)
    assert any("broken" in reason for reason in reasons)
