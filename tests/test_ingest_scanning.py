"""Tests for searchkit.ingest.scan on real folders in tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from searchkit.errors import IngestError
from searchkit.ingest import SUPPORTED_SUFFIXES, scan
from searchkit.ingest.exclusion import DEFAULT_GLOBS, excluding_glob
from searchkit.ingest.formats import kind_of


def _tree(root: Path) -> None:
    (root / "sub" / "deeper").mkdir(parents=True)
    for name in ("a.html", "b.HTM", "sub/c.txt", "sub/deeper/d.json", "sub/e.jsonl", "f.text"):
        (root / name).write_text("x", encoding="utf-8")
    for name in ("notes.pdf", "sub/image.png"):
        (root / name).write_bytes(b"\x00")
    (root / ".git").mkdir()
    (root / ".git" / "config.json").write_text("{}", encoding="utf-8")


def test_supported_suffixes() -> None:
    assert {
        ".html", ".htm", ".txt", ".text", ".json", ".jsonl",
        ".warc", ".arc", ".rss", ".atom", ".rdf", ".xml",
    } == set(SUPPORTED_SUFFIXES)  # fmt: skip


def test_gzipped_files_of_every_supported_type_are_found(tmp_path: Path) -> None:
    for name in ("a.html.gz", "b.warc.gz", "c.jsonl.GZ", "d.xml.gz", "e.tar.gz", "f.gz"):
        (tmp_path / name).write_bytes(b"")
    result = scan([tmp_path])
    root = tmp_path.resolve()
    assert [path.name for path in result.files] == [
        "a.html.gz",
        "b.warc.gz",
        "c.jsonl.GZ",
        "d.xml.gz",
    ]
    assert {Path(item.path) for item in result.skipped} == {root / "e.tar.gz", root / "f.gz"}


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
    assert {Path(item.path).name for item in result.skipped} == {"notes.pdf", "image.png"}
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


# --------------------------------------------------------------------------- corpus boundaries


def _outside_and_corpus(tmp_path: Path) -> tuple[Path, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Secret\n\nNot part of the corpus.\n", encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "story.txt").write_text("Story\n\nPart of the corpus.\n", encoding="utf-8")
    return outside, corpus


def test_links_out_of_the_named_paths_are_passed_over(tmp_path: Path) -> None:
    outside, corpus = _outside_and_corpus(tmp_path)
    (corpus / "etc").symlink_to(outside, target_is_directory=True)
    (corpus / "leak.txt").symlink_to(outside / "secret.txt")
    result = scan([corpus])
    assert [path.name for path in result.files] == ["story.txt"]
    passed = {Path(item.path).name: item.reason for item in result.passed_over}
    assert set(passed) == {"etc", "leak.txt"}
    assert all("--follow-links" in reason and str(outside) in reason for reason in passed.values())
    assert result.failures == ()


def test_links_into_a_named_path_are_followed_and_keep_the_route(tmp_path: Path) -> None:
    outside, corpus = _outside_and_corpus(tmp_path)
    (corpus / "alias").symlink_to(outside, target_is_directory=True)
    result = scan([corpus, outside])
    # secret.txt is reached twice; the route that sorts first is the one reported.
    assert result.files == (corpus / "alias" / "secret.txt", corpus / "story.txt")
    assert result.passed_over == ()


def test_follow_links_follows_links_out_of_the_corpus(tmp_path: Path) -> None:
    outside, corpus = _outside_and_corpus(tmp_path)
    (corpus / "etc").symlink_to(outside, target_is_directory=True)
    result = scan([corpus], follow_links=True)
    assert result.files == (corpus / "etc" / "secret.txt", corpus / "story.txt")


def test_a_named_link_is_followed(tmp_path: Path) -> None:
    outside, _corpus = _outside_and_corpus(tmp_path)
    named = tmp_path / "named"
    named.symlink_to(outside, target_is_directory=True)
    assert scan([named]).files == (named / "secret.txt",)


def test_special_files_are_never_listed_even_with_follow_links(tmp_path: Path) -> None:
    _outside, corpus = _outside_and_corpus(tmp_path)
    os.mkfifo(corpus / "feed.jsonl")
    (corpus / "zero.txt").symlink_to("/dev/zero")
    if Path("/proc/self/status").exists():
        (corpus / "status.txt").symlink_to("/proc/self/status")
        (corpus / "proc").symlink_to("/proc", target_is_directory=True)
    for follow_links in (False, True):
        result = scan([corpus], follow_links=follow_links)
        assert [path.name for path in result.files] == ["story.txt"]
        left_out = {Path(item.path).name for item in result.passed_over}
        assert {"feed.jsonl", "zero.txt"} <= left_out
    reasons = {Path(item.path).name: item.reason for item in result.passed_over}
    assert "FIFO" in reasons["feed.jsonl"] and "device" in reasons["zero.txt"]
    if "proc" in reasons:
        assert "kernel file system" in reasons["proc"]
        assert "kernel file system" in reasons["status.txt"]


def test_named_proc_is_passed_over_not_walked(tmp_path: Path) -> None:
    if not Path("/proc/self").exists():
        pytest.skip("no /proc here")
    result = scan(["/proc"])
    assert result.files == () and [item.path for item in result.passed_over] == ["/proc"]


def test_index_folders_are_never_read_as_articles(tmp_path: Path) -> None:
    import searchkit

    _outside, corpus = _outside_and_corpus(tmp_path)
    searchkit.build_index([corpus / "story.txt"], corpus / "old" / "index")
    excluded = corpus / "next-index"
    excluded.mkdir()
    (excluded / "notes.txt").write_text("Notes\n\nNot an index yet.\n", encoding="utf-8")
    result = scan([corpus], exclude=[excluded])
    assert [path.name for path in result.files] == ["story.txt"]
    assert {item.path for item in result.passed_over} == {
        str(corpus / "old" / "index"),
        str(excluded),
    }


def test_index_markers_name_the_files_storage_writes(tmp_path: Path) -> None:
    from searchkit.engine.storage import FIRST_TOC, INDEX_NAME
    from searchkit.ingest.scanning import is_index_folder

    assert is_index_folder([FIRST_TOC])
    assert is_index_folder([f"_{INDEX_NAME}_12.toc", "searchkit.json"])
    assert not is_index_folder(["searchkit.json", "story.toc.txt"])


# --------------------------------------------------------------------------- exclusion globs


@pytest.mark.parametrize(
    ("relative", "globs", "expected"),
    [
        ("README.TXT", DEFAULT_GLOBS, "README*"),
        ("docs/ReadMe.md", DEFAULT_GLOBS, "README*"),
        ("sub/.swp", DEFAULT_GLOBS, ".*"),
        ("business/001.txt", DEFAULT_GLOBS, None),
        ("drafts/deep/a.txt", ("drafts/*",), "drafts/*"),
        ("other/drafts.txt", ("drafts/*",), None),
        ("x/y.BAK.html", ("*.bak.html",), "*.bak.html"),
    ],
)
def test_excluding_glob(relative: str, globs: tuple[str, ...], expected: str | None) -> None:
    assert excluding_glob(relative, globs) == expected


def test_scan_lists_excluded_and_skipped_with_their_reasons(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / "README.txt").write_text("x", encoding="utf-8")
    (tmp_path / "page.html.gz").write_bytes(b"\x1f\x8b")
    result = scan([tmp_path], exclude_globs=["sub/deeper"])
    excluded = {(Path(item.path).name, item.reason) for item in result.excluded}
    assert excluded == {(".git", ".*"), ("README.txt", "README*"), ("deeper", "sub/deeper")}
    reasons = {Path(item.path).name: item.reason for item in result.skipped}
    assert reasons["notes.pdf"] == "unsupported file type .pdf"
    if kind_of(tmp_path / "page.html.gz") is None:
        assert reasons["page.html.gz"] == "gzip-compressed .html (not read)"
    assert not any(path.name in {"README.txt", "d.json"} for path in result.files)
    named = scan([tmp_path / "README.txt"])
    assert [path.name for path in named.files] == ["README.txt"]
