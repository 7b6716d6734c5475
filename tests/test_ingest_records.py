"""Tests for searchkit.ingest.records via read_articles on real .json/.jsonl files."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from searchkit.ingest import read_articles
from searchkit.ingest.records import normalize_body
from searchkit.models import Article, IngestFailure

RECORD = {
    "id": "wire-1",
    "title": "Port reopens",
    "body": "First paragraph.\n\nSecond paragraph.",
    "url": "https://wire.example/port",
    "source": "Continental Wire",
    "published": "2024-05-10T08:00:00",
    "author": "Jane Doe",
}


def _articles(path: Path) -> list[Article]:
    items = list(read_articles(path))
    assert all(isinstance(item, Article) for item in items), items
    return [item for item in items if isinstance(item, Article)]


def test_single_json_record(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(RECORD), encoding="utf-8")
    [article] = _articles(path)
    assert article.id == "wire-1"
    assert article.title == "Port reopens"
    assert article.body == "First paragraph.\n\nSecond paragraph."
    assert article.url == "https://wire.example/port"
    assert article.source == "Continental Wire"
    assert article.author == "Jane Doe"
    assert article.published == datetime(2024, 5, 10, 8, 0, tzinfo=timezone.utc)
    assert article.path == str(path.resolve())
    assert article.content_hash == article.with_content_hash().content_hash != ""


def test_json_list_and_text_or_content_keys(tmp_path: Path) -> None:
    records = [
        {"title": "A", "text": "Body A"},
        {"title": "B", "content": "Body B", "url": "https://n.example/b"},
    ]
    path = tmp_path / "list.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    first, second = _articles(path)
    assert (first.body, second.body) == ("Body A", "Body B")
    assert first.id.startswith("list-1-")
    assert second.id.startswith("b-")


def test_jsonl_bad_line_is_reported_with_its_number(tmp_path: Path) -> None:
    lines = [
        json.dumps({"title": "A", "body": "x"}),
        "{not json",
        "",
        json.dumps({"title": "B"}),
        json.dumps({"title": "C", "body": "z"}),
    ]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = list(read_articles(path))
    assert [type(item).__name__ for item in items] == [
        "Article",
        "IngestFailure",
        "IngestFailure",
        "Article",
    ]
    bad_json, no_body = items[1], items[2]
    assert isinstance(bad_json, IngestFailure) and bad_json.line == 2
    assert "invalid JSON" in bad_json.reason
    assert isinstance(no_body, IngestFailure) and no_body.line == 4
    assert "no body" in no_body.reason
    assert str(bad_json).endswith(":2: " + bad_json.reason)


def test_records_without_body_fail_and_untitled_ones_get_a_derived_title(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps([{"body": "x"}, {"title": "T"}, {"title": 5, "body": "x"}, 7]), encoding="utf-8"
    )
    items = list(read_articles(path))
    untitled = items[0]
    assert isinstance(untitled, Article)
    assert (untitled.title, untitled.title_derived) == ("x", True)
    reasons = [item.reason for item in items if isinstance(item, IngestFailure)]
    assert reasons == [
        "record 2: record has no body (or text/content)",
        "record 3: field 'title' must be a string, not int",
        "record 4: a record must be a JSON object",
    ]


def test_json_scalar_and_empty_list_fail(tmp_path: Path) -> None:
    scalar = tmp_path / "scalar.json"
    scalar.write_text("42", encoding="utf-8")
    empty = tmp_path / "empty.json"
    empty.write_text("[]", encoding="utf-8")
    for path in (scalar, empty):
        [failure] = list(read_articles(path))
        assert isinstance(failure, IngestFailure)


def test_ids_are_the_same_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps({"title": "A", "body": "x"}) + "\n", encoding="utf-8")
    [from_absolute] = _articles(path)
    monkeypatch.chdir(tmp_path)
    [from_relative] = _articles(Path("feed.jsonl"))
    assert from_absolute.id == from_relative.id
    assert from_absolute.path == from_relative.path


def test_author_list_and_unreadable_date(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(
        json.dumps({"title": "T", "body": "b", "author": ["A B", "C D"], "published": "sometime"}),
        encoding="utf-8",
    )
    [article] = _articles(path)
    assert article.author == "A B, C D"
    assert article.published is None


def test_normalize_body() -> None:
    assert normalize_body("a\r\nb\r\n") == "a\n\nb"
    assert normalize_body("a\nb\n\n\n\nc  \n") == "a\nb\n\nc"


def test_an_id_that_is_not_text_fails_its_record_alone(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(
        '{"id": "\\ud800", "title": "Bad", "body": "harbour"}\n'
        '{"id": "fine", "title": "Fine", "body": "harbour"}\n',
        encoding="utf-8",
    )
    failure, article = read_articles(path)
    assert isinstance(failure, IngestFailure) and failure.line == 1
    assert "field 'id'" in failure.reason and "lone surrogate" in failure.reason
    assert isinstance(article, Article) and article.id == "fine"


def test_other_fields_lose_what_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    record = (
        '{"id": "r", "title": "T", "body": "b", "source": "Wire\\udc80", "author": ["\\ud800"]}'
    )
    path.write_text(record + "\n", encoding="utf-8")
    [article] = _articles(path)
    assert (article.source, article.author) == ("Wire", None)
