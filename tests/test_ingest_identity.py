"""Unit tests for searchkit.ingest.identity: ids are readable and stable."""

from __future__ import annotations

import hashlib
import re

from searchkit.ingest.identity import (
    content_article_id,
    file_article_id,
    record_article_id,
    slugify,
    url_article_id,
)


def test_slugify() -> None:
    assert slugify("Café Talks: Border Security!") == "cafe-talks-border-security"
    assert slugify("   ") == "article"
    assert len(slugify("word " * 100)) <= 60


def test_file_id_is_slug_plus_hash_of_the_path() -> None:
    path = "/data/news/Border Talks.html"
    expected_hash = hashlib.sha1(path.encode()).hexdigest()[:8]
    assert file_article_id(path) == f"border-talks-{expected_hash}"


def test_record_keeps_its_own_id() -> None:
    assert record_article_id("wire-42", url=None, resolved_path="/x.jsonl", record_number=3) == (
        "wire-42"
    )
    assert record_article_id(42, url=None, resolved_path="/x.jsonl", record_number=3) == "42"


def test_record_without_id_uses_url_then_position() -> None:
    by_url = record_article_id(
        None, url="https://n.example/a/talks.html", resolved_path="/x.jsonl", record_number=3
    )
    assert by_url == url_article_id("https://n.example/a/talks.html")
    assert by_url.startswith("talks-")
    by_position = record_article_id("", url=None, resolved_path="/x.jsonl", record_number=3)
    assert re.fullmatch(r"x-3-[0-9a-f]{8}", by_position)
    assert by_position != record_article_id(
        None, url=None, resolved_path="/x.jsonl", record_number=4
    )


def test_content_id_depends_on_content() -> None:
    assert content_article_id("T", "a") != content_article_id("T", "b")
    assert content_article_id("T", "a") == content_article_id("T", "a")
