"""Bad files never raise from read_articles and never hang: each gives a clear IngestFailure."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from searchkit.errors import IngestError
from searchkit.ingest import MAX_FILE_BYTES, extract, read_articles
from searchkit.models import Article, IngestFailure

GOOD_PAGE = (
    "<html><head><title>Ferry route approved | Harbour Daily</title></head><body><article>"
    "<p>The council voted on Tuesday to open a ferry route between the two piers.</p>"
    "<p>Commuters, who lose an hour a day on the bridge, welcomed the plan.</p>"
    "</article></body></html>"
)


def _only_failure(path: Path, data: bytes | None = None) -> IngestFailure:
    items = list(read_articles(path, data))
    assert len(items) == 1, items
    [item] = items
    assert isinstance(item, IngestFailure), item
    assert item.path == str(path.resolve())
    return item


@pytest.mark.parametrize("name", ["empty.html", "empty.txt", "empty.json", "empty.jsonl"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    assert "empty" in _only_failure(path).reason


def test_whitespace_only_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_bytes(b"  \n\n\t \r\n")
    assert "empty" in _only_failure(path).reason


@pytest.mark.parametrize("name", ["photo.html", "photo.txt", "photo.json"])
def test_binary_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    assert "binary" in _only_failure(path).reason


def test_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes(range(0x80, 0x100)) * 20)  # no NULs, invalid UTF-8, not cp1252
    assert "undecodable" in _only_failure(path).reason


def test_nul_bytes_inside_text_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "nul.html"
    path.write_bytes(GOOD_PAGE.replace("council", "coun\x00cil").encode())
    [article] = list(read_articles(path))
    assert isinstance(article, Article) and "council voted" in article.body


def test_windows_1252_and_bom_files(tmp_path: Path) -> None:
    cp1252 = tmp_path / "cp1252.txt"
    cp1252.write_bytes(
        "Café Talks\n\n“Quoted” words \u2013 from the mayor\u2019s office.".encode("cp1252")
    )
    assert extract(cp1252).body == "“Quoted” words \u2013 from the mayor\u2019s office."
    bom = tmp_path / "bom.html"
    bom.write_bytes(codecs.BOM_UTF8 + GOOD_PAGE.encode("utf-8"))
    assert extract(bom).title == "Ferry route approved"


def test_truncated_html_keeps_what_is_there(tmp_path: Path) -> None:
    path = tmp_path / "cut.html"
    path.write_text(GOOD_PAGE[: GOOD_PAGE.index("Commuters") + 20], encoding="utf-8")
    article = extract(path)
    assert "council voted on Tuesday" in article.body


def test_truncated_html_before_the_text(tmp_path: Path) -> None:
    path = tmp_path / "cut.html"
    path.write_text(GOOD_PAGE[: GOOD_PAGE.index("<p>")], encoding="utf-8")
    assert "no article text" in _only_failure(path).reason


def test_truncated_json(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text(json.dumps({"title": "T", "body": "B" * 50})[:30], encoding="utf-8")
    assert "invalid JSON" in _only_failure(path).reason


def test_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.html"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk space
    assert "too large" in _only_failure(path).reason


def test_huge_data_argument_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "given.txt"
    assert "too large" in _only_failure(path, b"a" * (MAX_FILE_BYTES + 1)).reason


def test_data_argument_is_used_instead_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "not-on-disk.txt"
    [article] = list(read_articles(path, b"A Title\n\nThe text."))
    assert isinstance(article, Article) and article.body == "The text."


def test_invalid_json_line_keeps_the_other_lines(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(
        '{"title": "A", "body": "a"}\n{"title": \n{"title": "C", "body": "c"}\n', encoding="utf-8"
    )
    items = list(read_articles(path))
    assert [type(item) for item in items] == [Article, IngestFailure, Article]
    failure = items[1]
    assert isinstance(failure, IngestFailure) and failure.line == 2


def test_json_without_title_or_body(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_text('{"url": "https://x.example"}', encoding="utf-8")
    assert _only_failure(path).reason == "record has no body (or text/content)"


def test_deeply_nested_json(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 10_000 + "]" * 10_000, encoding="utf-8")
    assert "nested too deeply" in _only_failure(path).reason
    lines = tmp_path / "deep.jsonl"
    lines.write_text(
        '{"title": "A", "body": "a"}\n' + "[" * 10_000 + "]" * 10_000, encoding="utf-8"
    )
    items = list(read_articles(lines))
    assert isinstance(items[0], Article)
    assert isinstance(items[1], IngestFailure) and items[1].line == 2


def test_deeply_nested_html(tmp_path: Path) -> None:
    path = tmp_path / "deep.html"
    path.write_text(
        "<div>" * 10_000 + "Deep but real text of the article." + "</div>" * 10_000,
        encoding="utf-8",
    )
    assert extract(path).body == "Deep but real text of the article."
    unclosed = tmp_path / "unclosed.html"
    unclosed.write_text("<span><b><i>" * 4000, encoding="utf-8")
    assert "no article text" in _only_failure(unclosed).reason


def test_malformed_html(tmp_path: Path) -> None:
    path = tmp_path / "bad.html"
    path.write_text(
        "<html><p>Loose <b>tags <i>everywhere</b> and </p></div></span> text here.<<>>"
        "<!-- unterminated comment",
        encoding="utf-8",
    )
    items = list(read_articles(path))
    assert len(items) == 1
    assert isinstance(items[0], (Article, IngestFailure))


def test_unsupported_missing_and_directory_paths(tmp_path: Path) -> None:
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(b"%PDF")
    assert "unsupported file type" in _only_failure(pdf).reason
    assert "no such file" in _only_failure(tmp_path / "missing.html").reason
    folder = tmp_path / "folder.html"
    folder.mkdir()
    assert "directory" in _only_failure(folder).reason


def test_extract_raises_ingest_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    with pytest.raises(IngestError, match="empty"):
        extract(empty)
    several = tmp_path / "several.jsonl"
    several.write_text(
        '{"title": "A", "body": "a"}\n{"title": "B", "body": "b"}\n', encoding="utf-8"
    )
    with pytest.raises(IngestError, match="read_articles"):
        extract(several)
    bad_line = tmp_path / "bad.jsonl"
    bad_line.write_text("{oops\n", encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        extract(bad_line)
    assert caught.value.line == 1
