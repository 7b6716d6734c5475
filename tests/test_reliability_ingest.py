"""Hostile documents: whatever bytes a file holds, the ingester returns an Article or a failure.

``read_articles`` must yield only ``Article`` and ``IngestFailure`` values and
``extract_html`` must return an Article or raise ``IngestError``, for
arbitrary bytes, deeply nested or unclosed HTML, NUL bytes, invalid
surrogates, million-character lines, oversized pages, broken JSON and every
text encoding Python knows. The 10,000-document fuzz run, with the worst time
and memory per document, is `python benchmarks/reliability.py`.
"""

from __future__ import annotations

import codecs
import encodings
import encodings.aliases
import json
import pkgutil
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searchkit
from searchkit.ingest import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, extract_html, read_articles

REPO_ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = sorted(SUPPORTED_SUFFIXES)
STORY = (
    "Harbour pilots strike over night shifts\n\n"
    "Pilots at the harbour stopped work on Tuesday, saying the new night rota was unsafe. "
    "The port authority said talks would resume on Friday, café owners nearby said trade fell.\n\n"
    "Shipping lines warned of delays of up to two days if the strike continued into next week.\n"
)
PARAGRAPH = "<p>The council said the ferry timetable would change next month, officials said.</p>"


def page(body: str) -> bytes:
    return f"<html><head><title>Ferry news</title></head><body>{body}</body></html>".encode()


def outcomes(
    path: Path, data: bytes | None = None
) -> list[searchkit.Article | searchkit.IngestFailure]:
    """Everything ``read_articles`` yields; fails the test on any other value or exception."""
    items = list(read_articles(path, data))
    assert items, "read_articles yielded nothing at all"
    for item in items:
        assert isinstance(item, (searchkit.Article, searchkit.IngestFailure)), item
        if isinstance(item, searchkit.Article):
            assert item.id and item.content_hash
            item.to_dict()  # an Article must be printable as JSON by the CLI
            json.dumps(item.to_dict(), ensure_ascii=False).encode("utf-8")
    return items


def extract_or_refuse(markup: str | bytes) -> None:
    try:
        article = extract_html(markup)
    except searchkit.IngestError:
        return
    assert isinstance(article, searchkit.Article)


def all_text_encodings() -> list[str]:
    """Every text codec this Python knows, by canonical name."""
    names = set(encodings.aliases.aliases.values())
    names.update(module.name for module in pkgutil.iter_modules(encodings.__path__))
    found = set()
    for name in names:
        try:
            info = codecs.lookup(name)
        except LookupError:
            continue
        if getattr(info, "_is_text_encoding", True):
            found.add(info.name)
    return sorted(found)


def encode_what_fits(text: str, encoding: str) -> bytes:
    """``text`` in ``encoding``, dropping characters (or, for idna, words) it cannot hold."""
    try:
        return text.encode(encoding, errors="replace")
    except UnicodeError:
        pass
    pieces = []
    for word in text.split(" "):
        try:
            pieces.append(word.encode(encoding))
        except UnicodeError:
            continue
    return b" ".join(pieces)


def real_pages() -> list[bytes]:
    pages = [path.read_bytes() for path in sorted((REPO_ROOT / "corpus" / "html").glob("*.html"))]
    assert pages, "corpus/html is part of the repository"
    return pages


def mutations(data: bytes, rng: random.Random) -> Iterator[bytes]:
    """Damaged variants of a real page: flipped bytes, cuts, splices, repeats, junk inserts."""
    size = len(data)
    yield data[: rng.randrange(size)]
    flipped = bytearray(data)
    for _ in range(rng.randint(1, 50)):
        flipped[rng.randrange(size)] = rng.randrange(256)
    yield bytes(flipped)
    cut = rng.randrange(size)
    yield data[cut:] + data[:cut]
    start = rng.randrange(size)
    yield (
        data[:start]
        + data[start : start + rng.randint(1, 400)] * rng.randint(2, 200)
        + data[start:]
    )
    yield (
        data[:start] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 300))) + data[start:]
    )
    yield data.replace(b"</", b"<", rng.randint(1, 40))


# --------------------------------------------------------------------------- property tests


@settings(max_examples=120, deadline=None, derandomize=True)
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(SUFFIXES))
def test_arbitrary_bytes_in_any_supported_file(data: bytes, suffix: str) -> None:
    """The bytes are handed over in memory, as the indexer does after hashing a file."""
    outcomes(Path("/nonexistent/fuzz").with_suffix(suffix), data)


MARKUP_PIECES = [
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "<article>",
    "<h1>",
    "<script>",
    "</script>",
    "<style>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<meta charset='utf-16'>",
    "<meta charset='klingon'>",
    '<meta property="og:title" content="',
    '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "',
    "&amp;",
    "&#0;",
    "&#xD800;",
    "&#99999999;",
    "&nbsp;",
    "\x00",
    "\ud800",
    "\u202e",
    "<table><tr><td>",
    "<a href='javascript:alert(1)'>",
    "<svg><foreignObject>",
    "<math><mi>",
    "<template>",
    "<noscript>",
    "<p>The ferry sailed at dawn after the council vote, officials said.</p>",
]


@settings(
    max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    pieces=st.lists(st.one_of(st.sampled_from(MARKUP_PIECES), st.text(max_size=40)), max_size=60),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252", "latin-1", "shift_jis", "koi8-r"]),
)
def test_tag_soup_gives_an_article_or_a_refusal(pieces: list[str], encoding: str) -> None:
    markup = "".join(pieces)
    extract_or_refuse(markup)
    extract_or_refuse(
        markup.encode(encoding, errors="surrogateescape" if encoding == "utf-8" else "replace")
    )


# --------------------------------------------------------------------------- named hostile cases


HOSTILE_FILES: dict[str, tuple[str, bytes]] = {
    "10k nested divs": (".html", page("<div>" * 10_000 + PARAGRAPH + "</div>" * 10_000)),
    "10k unclosed tags": (".html", page("<div><span><b>" * 10_000 + PARAGRAPH)),
    "unclosed everything": (
        ".html",
        b"<html><body><p>ferry <b>council <i>vote <div><table><tr><td>x",
    ),
    "NUL bytes in a page": (".html", page(PARAGRAPH).replace(b"e", b"e\x00")),
    "NUL-only file": (".html", b"\x00" * 5000),
    "invalid surrogates (UTF-8 bytes)": (
        ".txt",
        STORY.encode() + b"\xed\xa0\x80\xed\xbf\xbf text\n",
    ),
    "million-character line": (".txt", b"Long line\n\n" + b"word " * 200_000 + b"\n"),
    "million characters without a space": (".html", page("<p>" + "x" * 1_000_000 + "</p>")),
    "binary with an html name": (".html", bytes(range(256)) * 100),
    "empty": (".html", b""),
    "whitespace only": (".txt", b" \n\t\r\n" * 100),
    "BOM only": (".txt", codecs.BOM_UTF8),
    "UTF-16 without BOM": (".txt", STORY.encode("utf-16-le")),
    "UTF-32 with BOM": (".txt", STORY.encode("utf-32")),
    "truncated JSON": (".json", b'{"title": "Ferry", "body": "The ferry'),
    "JSON of the wrong shape": (".json", b'[1, "two", null, [], {"title": 3, "body": {}}]'),
    "deeply nested JSON": (".json", b"[" * 100_000 + b"]" * 100_000),
    "JSON with NaN and huge numbers": (
        ".json",
        b'{"title": NaN, "body": 1e999999, "id": 12345678901234567890123}',
    ),
    "JSON with a lone surrogate escape": (
        ".json",
        b'{"title": "Ferry \\ud800", "body": "Council \\udfff vote today"}',
    ),
    "JSON with duplicate keys": (
        ".json",
        b'{"title": "a", "title": "b", "body": "ferry council vote"}',
    ),
    "JSONL with broken lines": (
        ".jsonl",
        b'{"title": "Ferry", "body": "council vote"}\n{oops\n\n[1,2]\n"just a string"\n'
        b'{"title": "", "body": ""}\n',
    ),
    "JSONL with a 1 MB line": (
        ".jsonl",
        b'{"title": "Long", "body": "' + b"word " * 200_000 + b'"}\n',
    ),
    "JSONL that is one huge nesting": (".jsonl", b"[" * 50_000 + b"\n"),
    "published date from the year 99999": (
        ".json",
        b'{"title": "Ferry", "body": "council vote", "published": "99999-01-01"}',
    ),
    "published date that is an object": (
        ".json",
        b'{"title": "Ferry", "body": "council vote", "published": {"y": 1}}',
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_hostile_file(tmp_path: Path, name: str) -> None:
    suffix, data = HOSTILE_FILES[name]
    path = tmp_path / f"hostile{suffix}"
    path.write_bytes(data)
    outcomes(path)
    if suffix in (".html", ".htm"):
        extract_or_refuse(data)


def test_lone_surrogates_in_markup_text() -> None:
    extract_or_refuse(
        "<html><body><p>Ferry \ud800 council \udfff vote, officials said.</p></body></html>"
    )


def test_a_50_mb_page_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.html"
    with path.open("wb") as handle:
        handle.write(b"<html><body>")
        chunk = PARAGRAPH.encode() * 1000
        while handle.tell() < 50 * 1024 * 1024:
            handle.write(chunk)
    (failure,) = outcomes(path)
    assert isinstance(failure, searchkit.IngestFailure)
    assert "too large" in failure.reason
    # Handed over in memory (as the indexer does after hashing) it is refused too.
    (failure,) = outcomes(path, b"x" * (MAX_FILE_BYTES + 1))
    assert isinstance(failure, searchkit.IngestFailure)


@pytest.mark.parametrize("encoding", all_text_encodings())
def test_every_text_encoding(tmp_path: Path, encoding: str) -> None:
    data = encode_what_fits(STORY, encoding)
    record = json.dumps({"title": "Ferry", "body": STORY}, ensure_ascii=False)
    for suffix, content in (
        (".txt", data),
        (".html", f"<meta charset='{encoding}'>".encode() + data),
        (".json", encode_what_fits(record, encoding)),
    ):
        path = tmp_path / f"story{suffix}"
        path.write_bytes(content)
        outcomes(path)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252"])
def test_common_encodings_are_read_correctly(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "story.txt"
    path.write_bytes(STORY.encode(encoding))
    (article,) = outcomes(path)
    assert isinstance(article, searchkit.Article)
    assert "café" in article.body


def test_fuzzed_real_pages(tmp_path: Path) -> None:
    """Seeded mutations of the repository's sample pages (the benchmark runs 10,000)."""
    rng = random.Random(2024)
    checked = 0
    for original in real_pages():
        for variant in mutations(original, rng):
            path = tmp_path / f"fuzz-{checked}.html"
            path.write_bytes(variant)
            outcomes(path)
            checked += 1
    assert checked >= 50


HUGE_NESTING_CHILD = """
import resource, sys
from searchkit.ingest import read_articles
from searchkit.models import Article, IngestFailure
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]) * 1024 * 1024,) * 2)
items = list(read_articles(sys.argv[1]))
assert items and all(isinstance(item, (Article, IngestFailure)) for item in items), items
print(type(items[0]).__name__)
"""


def test_deep_nesting_within_a_memory_limit(tmp_path: Path) -> None:
    """100,000 nested elements under a 1.5 GB address-space limit: a value, not a crash."""
    path = tmp_path / "nested.html"
    path.write_bytes(page("<div>" * 100_000 + PARAGRAPH))
    result = subprocess.run(
        [sys.executable, "-c", HUGE_NESTING_CHILD, str(path), "1536"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in ("Article", "IngestFailure")


def test_a_page_with_too_many_tags_is_refused_before_parsing() -> None:
    from searchkit.ingest.html import MAX_MARKUP_TAGS

    cells = "<tr><td>a cell of a table that never closes" * (MAX_MARKUP_TAGS // 2 + 10)
    with pytest.raises(searchkit.IngestError, match="tags, more than the 50,000"):
        extract_html(f"<html><body><table>{cells}</body></html>")


def test_a_large_page_within_the_tag_bound_is_still_read() -> None:
    from searchkit.ingest.html import MAX_MARKUP_TAGS

    paragraphs = "".join(
        f"<p>Paragraph {n} of a very long report on harbour dredging.</p>"
        for n in range(MAX_MARKUP_TAGS - 100)
    )
    article = extract_html(f"<html><body><article>{paragraphs}</article></body></html>")
    assert "Paragraph 49899 of a very long report" in article.body
