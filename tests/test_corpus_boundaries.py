"""What `searchkit index` reads is bounded by the paths named: links, special files, indexes.

Real `searchkit` processes on real folders in tmp_path: a link out of the
corpus is not followed unless asked, a FIFO, a device or ``/proc`` is never
read (not even through a link, not even with --follow-links), and an index
folder inside the corpus (the default ./index when indexing ".") is never
taken for articles.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from query_output import json_hits
from test_reliability_support import run_cli

from searchkit.ingest import read_articles
from searchkit.models import IngestFailure

HANG_GUARD = 60.0
"""Seconds a run over a link to /proc may take before the test calls it a hang."""


def story(folder: Path, name: str, title: str) -> Path:
    path = folder / name
    path.write_text(f"{title}\n\nThe harbour council met on {title.lower()} business.\n", "utf-8")
    return path


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    story(folder, "story.txt", "Harbour story")
    return folder


@pytest.fixture()
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "private"
    folder.mkdir()
    story(folder, "secret.txt", "Private secret")
    return folder


def titles(index: Path) -> set[str]:
    result = run_cli(["query", "harbour", "--index", index, "--json"])
    assert result.returncode == 0, result.stderr
    return {hit["title"] for hit in json_hits(result.stdout)}


def test_a_link_out_of_the_corpus_is_not_followed(
    corpus: Path, outside: Path, tmp_path: Path
) -> None:
    (corpus / "etc").symlink_to(outside, target_is_directory=True)
    (corpus / "leak.txt").symlink_to(outside / "secret.txt")
    index = tmp_path / "index"
    result = run_cli(["index", corpus, "--index", index, "-q"])
    assert result.returncode == 0, result.stderr
    assert titles(index) == {"Harbour story"}
    assert "left out 2" in result.stdout
    assert f"left out: {corpus / 'etc'}: symbolic link to {outside}" in result.stderr
    assert "--follow-links" in result.stderr


def test_follow_links_reads_them_and_a_later_run_without_it_drops_them(
    corpus: Path, outside: Path, tmp_path: Path
) -> None:
    (corpus / "etc").symlink_to(outside, target_is_directory=True)
    index = tmp_path / "index"
    assert run_cli(["index", corpus, "--index", index, "-q", "--follow-links"]).returncode == 0
    assert titles(index) == {"Harbour story", "Private secret"}
    again = run_cli(["index", corpus, "--index", index, "-q"])
    assert again.returncode == 0 and "removed 1" in again.stdout
    assert titles(index) == {"Harbour story"}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="no /proc here")
@pytest.mark.parametrize("follow", [False, True], ids=["default", "follow-links"])
def test_a_link_to_proc_ends_quickly_and_reads_nothing(
    corpus: Path, tmp_path: Path, follow: bool
) -> None:
    (corpus / "proc").symlink_to("/proc", target_is_directory=True)
    (corpus / "status.txt").symlink_to("/proc/self/status")
    (corpus / "zero.txt").symlink_to("/dev/zero")
    os.mkfifo(corpus / "feed.jsonl")
    index = tmp_path / "index"
    args = ["index", corpus, "--index", index, "-q", *(["--follow-links"] if follow else [])]
    result = run_cli(args, timeout=HANG_GUARD)
    assert result.returncode == 0, result.stderr
    assert titles(index) == {"Harbour story"}
    left_out = [line for line in result.stderr.splitlines() if line.startswith("left out: ")]
    assert len(left_out) == 4, result.stderr
    assert any("FIFO" in line for line in left_out)
    if follow:
        assert sum("kernel file system" in line for line in left_out) == 2
        assert any("device" in line for line in left_out)


def test_a_fifo_swapped_in_after_the_scan_is_refused_not_waited_on(tmp_path: Path) -> None:
    """The reader checks the opened file itself, so a FIFO never blocks a run."""
    fifo = tmp_path / "feed.jsonl"
    os.mkfifo(fifo)
    outcome: list[object] = []
    reader = threading.Thread(target=lambda: outcome.extend(read_articles(fifo)), daemon=True)
    reader.start()
    reader.join(HANG_GUARD)
    if reader.is_alive():  # unblock the reader so the test process can end
        with open(fifo, "wb"):
            pass
        reader.join(HANG_GUARD)
        pytest.fail("reading a FIFO waited for a writer")
    [failure] = outcome
    assert isinstance(failure, IngestFailure) and "FIFO" in failure.reason


def test_indexing_dot_skips_its_own_default_index(corpus: Path) -> None:
    first = run_cli(["index", ".", "-q"], cwd=corpus)
    assert first.returncode == 0, first.stderr
    for _ in range(2):
        later = run_cli(["index", ".", "-q"], cwd=corpus)
        assert later.returncode == 0, later.stderr
        assert "added 0, updated 0, removed 0, unchanged 1" in later.stdout
        assert f"left out: {corpus / 'index'}: a searchkit index" in later.stderr
    assert titles(corpus / "index") == {"Harbour story"}


def test_another_index_inside_the_corpus_is_never_ingested(corpus: Path, tmp_path: Path) -> None:
    archive = corpus / "archive"
    archive.mkdir()
    story(archive, "old.txt", "Harbour archive")
    assert run_cli(["index", archive, "--index", archive / "kept-index", "-q"]).returncode == 0
    index = tmp_path / "index"
    result = run_cli(["index", corpus, "--index", index, "-q"])
    assert result.returncode == 0, result.stderr
    assert titles(index) == {"Harbour story", "Harbour archive"}
    assert f"left out: {archive / 'kept-index'}: a searchkit index" in result.stderr
