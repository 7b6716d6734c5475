"""WARC/ARC archives, RSS/Atom/RDF feeds, gzipped files, other tools' JSON and derived titles.

The sweeps read every file of the warcio and feedparser test suites in
../shared/data/formats (skipped when absent): each gives articles or failures
with a reason, never an exception or a hang. The golden test writes a WARC of
real Google News pages with warcio's own writer and compares it with the pages
read as files.
"""

from __future__ import annotations

import gzip
import io
import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import searchkit
from searchkit.ingest import extract_html, read_articles
from searchkit.ingest.formats import MAX_FILE_BYTES
from searchkit.models import Article, IngestFailure
from searchkit.titles import DERIVED_TITLE_CHARS, derive_title

UNEXPECTED = "could not read ("
"""The reader's wording for an exception it did not expect: a bug, never a reason."""

PAGE = (
    "<html><head><title>Harbour ferry returns | Harbour Daily</title>{head}</head><body>"
    "<article><h1>Harbour ferry returns</h1>"
    "<p>The harbour ferry returned to service on Monday after a winter of repairs, the port "
    "authority said, and the first crossing was full.</p>"
    "<p>Passengers queued from dawn, and the operator added two extra sailings for the week, "
    "saying demand had surprised everyone involved.</p></article></body></html>"
)


@contextmanager
def hang_guard(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging the suite) if the block runs longer than ``seconds``."""

    def _expired(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _sweep(folder: Path) -> tuple[int, int, list[str]]:
    files = articles = 0
    unexpected: list[str] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        files += 1
        for item in read_articles(path):
            if isinstance(item, Article):
                articles += 1
                assert item.title and item.body and item.id, (path, item)
            else:
                assert isinstance(item, IngestFailure) and item.reason.strip(), (path, item)
                if item.reason.startswith(UNEXPECTED):
                    unexpected.append(str(item))
    return files, articles, unexpected


def test_every_warcio_test_file_imports_or_says_why(shared_dir: Path) -> None:
    folder = shared_dir / "data" / "formats" / "warcio"
    if not folder.is_dir():
        pytest.skip("../shared/data/formats/warcio is not available")
    with hang_guard(120):
        files, articles, unexpected = _sweep(folder)
    assert files >= 15
    assert articles >= 8  # the pages of example.warc(.gz), .arc(.gz), iana, resource, wget...
    assert unexpected == []


@pytest.mark.slow
def test_every_feedparser_test_file_imports_or_says_why(shared_dir: Path) -> None:
    folder = shared_dir / "data" / "formats" / "feedparser"
    if not folder.is_dir():
        pytest.skip("../shared/data/formats/feedparser is not available")
    with hang_guard(600):
        files, articles, unexpected = _sweep(folder)
    assert files >= 1500
    assert articles >= 300
    assert unexpected == []


# --------------------------------------------------------------------------- WARC


def _warc(tmp_path: Path, pages: list[tuple[str, bytes, str]], name: str = "crawl.warc.gz") -> Path:
    """A WARC written by warcio's own writer: one response record per (url, html, content type)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / name
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=name.endswith(".gz"))
        for url, html, content_type in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], "HTTP/1.1")
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(html), http_headers=headers
            )
            writer.write_record(record)
            record.raw_stream.close()  # warcio buffered the payload in a temporary file
    return path


L3S_PAGES = 12


def test_a_warc_of_real_pages_gives_the_same_articles_as_the_pages_plus_url_and_outlet(
    shared_dir: Path, tmp_path: Path
) -> None:
    folder = shared_dir / "data" / "l3s-gn1-public"
    if not (folder / "url-mapping.txt").is_file():
        pytest.skip("../shared/data/l3s-gn1-public is not available")
    urls = {}
    for line in (folder / "url-mapping.txt").read_text(encoding="utf-8").splitlines():
        key, _tab, url = line.partition("\t")
        urls[key.strip("<>").removeprefix("urn:uuid:")] = url.strip()
    pages = sorted((folder / "original").glob("*.html.gz"))[:L3S_PAGES]
    expected = {}
    records = []
    for page in pages:
        uuid = page.name.removesuffix(".html.gz")
        # The same page read with its crawl URL known, as the WARC record states it.
        html_items = list(read_articles(page, fallback_url=urls[uuid]))
        assert len(html_items) == 1
        expected[urls[uuid]] = html_items[0]
        records.append((urls[uuid], gzip.decompress(page.read_bytes()), "text/html"))
    archive = _warc(tmp_path, records)
    got = list(read_articles(archive))
    assert len(got) == len(records)
    for (url, _html, _type), item in zip(records, got, strict=True):
        page_item = expected[url]
        if isinstance(page_item, IngestFailure):
            assert isinstance(item, IngestFailure)
            assert item.reason.endswith(page_item.reason)
            continue
        assert isinstance(item, Article), item
        assert (item.title, item.body, item.author) == (
            page_item.title, page_item.body, page_item.author,
        )  # fmt: skip
        assert item.url == page_item.url and item.url
        assert item.source == page_item.source and item.source
        assert page_item.published is None or item.published == page_item.published
        assert item.path == str(archive.resolve())


def test_warc_pages_take_the_record_url_and_http_charset(tmp_path: Path) -> None:
    latin = PAGE.format(head="").replace("harbour ferry returned", "café ferry returned")
    archive = _warc(
        tmp_path,
        [
            (
                "https://www.harbour.example/news/ferry.html",
                latin.encode("cp1252"),
                "text/html; charset=windows-1252",
            ),
            ("https://www.harbour.example/logo.png", b"\x89PNG", "image/png"),
        ],
        name="crawl.warc",
    )
    [article] = list(read_articles(archive))
    assert isinstance(article, Article)
    assert "café ferry" in article.body
    assert article.url == "https://www.harbour.example/news/ferry.html"
    assert article.id.startswith("ferry-")


@pytest.mark.parametrize("name", ["whole.warc", "whole.warc.gz"])
def test_a_warc_cut_mid_record_keeps_the_pages_before_and_says_so(
    tmp_path: Path, name: str
) -> None:
    first = PAGE.format(head="").encode()
    second = PAGE.format(head="").replace("Harbour ferry", "Second ferry").encode() * 3
    whole = _warc(
        tmp_path,
        [
            ("https://a.example/one", first, "text/html"),
            ("https://a.example/two", second, "text/html"),
        ],
        name=name,
    )
    data = whole.read_bytes()
    cut = tmp_path / name.replace("whole", "cut")
    cut.write_bytes(data[: len(data) - 200])
    with hang_guard(30):
        items = list(read_articles(cut))
    assert [type(item) for item in items] == [Article, IngestFailure]
    assert items[0].url == "https://a.example/one"  # type: ignore[union-attr]
    assert "cut short" in items[1].reason  # type: ignore[union-attr]


def test_a_file_that_is_no_archive_is_one_clear_failure(tmp_path: Path) -> None:
    path = tmp_path / "notes.warc"
    path.write_text("these are my notes, not an archive\n", encoding="utf-8")
    [failure] = list(read_articles(path))
    assert isinstance(failure, IngestFailure)
    assert "not a WARC or ARC file" in failure.reason


# --------------------------------------------------------------------------- feeds

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Harbour Daily</title>
<item><title>Ferry returns</title><link>https://harbour.example/ferry</link>
<pubDate>Mon, 06 Sep 2010 16:45:00 +0000</pubDate><author>desk@harbour.example (Ana Ruiz)</author>
<description>Short summary.</description>
<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/"><![CDATA[<p>The full
story, first paragraph.</p><p>Second paragraph.</p>]]></content:encoded></item>
<item><title>Brief only</title><link>https://harbour.example/brief</link>
<description>&lt;b&gt;Only&lt;/b&gt; a summary here.</description></item>
<item><title>Empty</title><link>https://harbour.example/empty</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title>
<entry><title>Untitled wire</title><link href="https://wire.example/1"/>
<updated>2024-04-12T08:00:00Z</updated><content type="text">Plain text content.</content></entry>
</feed>"""


def test_rss_entries_become_articles_with_content_before_summary(tmp_path: Path) -> None:
    path = tmp_path / "harbour.rss"
    path.write_bytes(RSS)
    full, brief, empty = list(read_articles(path))
    assert isinstance(full, Article) and isinstance(brief, Article)
    assert full.title == "Ferry returns" and full.source == "Harbour Daily"
    assert full.url == "https://harbour.example/ferry"
    assert full.body == "The full story, first paragraph.\n\nSecond paragraph."
    assert full.published is not None and full.published.isoformat() == "2010-09-06T16:45:00+00:00"
    assert full.author == "Ana Ruiz"
    assert brief.body == "Only a summary here."
    assert isinstance(empty, IngestFailure) and "entry 3" in empty.reason


def test_atom_feeds_and_gzipped_feeds_read_alike(tmp_path: Path) -> None:
    plain = tmp_path / "wire.atom"
    plain.write_bytes(ATOM)
    packed = tmp_path / "wire.xml.gz"
    packed.write_bytes(gzip.compress(ATOM))
    [one] = list(read_articles(plain))
    [two] = list(read_articles(packed))
    assert isinstance(one, Article) and isinstance(two, Article)
    assert (one.title, one.body, one.url) == (two.title, two.body, two.url)
    assert one.body == "Plain text content."


def test_a_feed_that_is_not_xml_is_one_clear_failure(tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_text("{ this is not xml at all", encoding="utf-8")
    with hang_guard(30):
        [failure] = list(read_articles(path))
    assert isinstance(failure, IngestFailure)
    assert failure.reason.startswith("not an RSS, Atom or RDF feed")


# --------------------------------------------------------------------------- gzip


def test_a_gzipped_page_reads_as_the_page(tmp_path: Path) -> None:
    page = PAGE.format(head="").encode()
    (tmp_path / "ferry.html").write_bytes(page)
    (tmp_path / "ferry2.html.gz").write_bytes(gzip.compress(page))
    one = searchkit.extract(tmp_path / "ferry.html")
    two = searchkit.extract(tmp_path / "ferry2.html.gz")
    assert (one.title, one.body) == (two.title, two.body)
    assert two.id.startswith("ferry2-")  # the id's stem drops .html.gz


def test_a_gzip_bomb_is_a_failure_of_its_file_only(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gzip.compress(b" " * (MAX_FILE_BYTES + 1024)))
    assert bomb.stat().st_size < 100_000
    (tmp_path / "ok.jsonl").write_text(json.dumps({"title": "T", "body": "Text."}) + "\n")
    report = searchkit.build_index([tmp_path], tmp_path / "index")
    assert report.added == 1
    [failure] = report.failures
    assert failure.path.endswith("bomb.jsonl.gz")
    assert "unpacks to more than 20 MB" in failure.reason


def test_damaged_gzip_is_a_clear_failure(tmp_path: Path) -> None:
    path = tmp_path / "cut.html.gz"
    path.write_bytes(gzip.compress(PAGE.format(head="").encode())[:-12])
    [failure] = list(read_articles(path))
    assert isinstance(failure, IngestFailure)
    assert "cut short" in failure.reason


# --------------------------------------------------------------------------- other tools' JSON


def test_json_of_news_please_newspaper4k_and_trafilatura_is_mapped(tmp_path: Path) -> None:
    records = [
        {"title": "NP", "maintext": "News-please text.", "date_publish": "2017-12-08 13:39:52",
         "authors": ["Ana Ruiz", "Bo Li"], "source_domain": "www.harbour.example",
         "url": "https://www.harbour.example/np", "date_download": "2020-01-01 00:00:00"},
        {"title": "N4K", "text": "Newspaper text.", "publish_date": "2023-01-02T03:04:05+00:00",
         "authors": ["Cy Tan"], "meta_site_name": "Harbour Daily",
         "canonical_link": "https://harbour.example/n4k"},
        {"title": "TR", "text": "Trafilatura text.", "date": "2020-05-06",
         "author": "Di Fox; Ed Oh", "hostname": "harbour.example", "sitename": "Harbour Daily",
         "source": "https://harbour.example/tr", "id": None},
    ]  # fmt: skip
    path = tmp_path / "tools.jsonl"
    path.write_text("\n".join(json.dumps(record) for record in records) + "\n")
    np_, n4k, tr = list(read_articles(path))
    assert isinstance(np_, Article) and isinstance(n4k, Article) and isinstance(tr, Article)
    assert (np_.body, np_.author, np_.source) == (
        "News-please text.",
        "Ana Ruiz, Bo Li",
        "harbour.example",
    )
    assert np_.published is not None and np_.published.year == 2017
    assert (n4k.url, n4k.source, n4k.author) == (
        "https://harbour.example/n4k",
        "Harbour Daily",
        "Cy Tan",
    )
    assert (tr.url, tr.source, tr.author) == (
        "https://harbour.example/tr",
        "Harbour Daily",
        "Di Fox, Ed Oh",
    )
    assert tr.published is not None and tr.published.isoformat().startswith("2020-05-06")


# --------------------------------------------------------------------------- derived titles


def test_derive_title_takes_the_first_sentence_cut_at_a_word() -> None:
    assert (
        derive_title("Ferry back. More text follows here.") == "Ferry back. More text follows here."
    )
    assert (
        derive_title("The ferry is back in service. More text.") == "The ferry is back in service."
    )
    long = "word " * 60
    title = derive_title(long)
    assert len(title) <= DERIVED_TITLE_CHARS and title.endswith("\u2026")
    assert title[:-1].split() == ["word"] * len(title[:-1].split())


BRIEF = "Shipping resumed in the harbour on Monday. Officials said the channel was clear."


def test_untitled_records_are_indexed_with_a_derived_title_by_build_index(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "briefs.jsonl").write_text(json.dumps({"id": "b1", "body": BRIEF}) + "\n")
    report = searchkit.build_index([corpus], tmp_path / "index")
    assert report.ok and report.added == 1
    with searchkit.Searcher(tmp_path / "index") as searcher:
        article = searcher.get("b1")
        assert [hit.id for hit in searcher.search("shipping")] == ["b1"]
    assert article.title == "Shipping resumed in the harbour on Monday."
    assert article.title_derived and article.to_dict()["title_derived"] is True


def test_indexer_add_derives_the_title_as_the_ingester_does(tmp_path: Path) -> None:
    with searchkit.Indexer(tmp_path / "index") as indexer:
        indexer.add(Article(id="b1", title="", body=BRIEF))
        indexer.add(Article(id="b2", title="Real headline", body=BRIEF))
    with searchkit.Searcher(tmp_path / "index") as searcher:
        derived, titled = searcher.get("b1"), searcher.get("b2")
    assert (derived.title, derived.title_derived) == (
        "Shipping resumed in the harbour on Monday.",
        True,
    )
    assert (titled.title, titled.title_derived) == ("Real headline", False)


def test_an_untitled_page_gets_a_derived_title(tmp_path: Path) -> None:
    page = PAGE.format(head="").replace("<title>Harbour ferry returns | Harbour Daily</title>", "")
    page = page.replace("<h1>Harbour ferry returns</h1>", "")
    article = extract_html(page)
    assert article.title_derived
    assert article.title.startswith("The harbour ferry returned to service")


# --------------------------------------------------------------------------- URLs


def test_url_order_canonical_then_saved_from_then_the_archive(tmp_path: Path) -> None:
    saved = "<!-- saved from url=(0031)https://saved.example/ferry -->\n"
    canonical = '<link rel="canonical" href="https://canonical.example/ferry">'
    both = extract_html(saved + PAGE.format(head=canonical), fallback_url="https://warc.example/f")
    only_saved = extract_html(saved + PAGE.format(head=""), fallback_url="https://warc.example/f")
    neither = extract_html(PAGE.format(head=""), fallback_url="https://warc.example/f")
    assert both.url == "https://canonical.example/ferry"
    assert only_saved.url == "https://saved.example/ferry"
    assert neither.url == "https://warc.example/f"
    assert extract_html(PAGE.format(head="")).url is None


def test_the_url_map_is_the_last_source_and_reports_rows_naming_nothing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ferry.html.gz").write_bytes(gzip.compress(PAGE.format(head="").encode()))
    canonical = '<link rel="canonical" href="https://canonical.example/own">'
    (corpus / "own.html").write_text(PAGE.format(head=canonical))
    (corpus / "briefs.jsonl").write_text(json.dumps({"id": "b1", "body": BRIEF}) + "\n")
    url_map = tmp_path / "urls.tsv"
    url_map.write_text(
        "# key\turl\n"
        "<urn:uuid:ferry>\thttps://www.harbour.example/ferry\n"
        "corpus/own.html\thttps://map.example/own\n"
        "b1\thttps://wire.example/b1\n"
        "corpus/gone.html\thttps://map.example/gone\n"
        "nobody\thttps://map.example/nobody\n"
        "broken row without a tab\n"
    )
    report = searchkit.build_index([corpus], tmp_path / "index", url_map=url_map)
    assert report.ok and report.added == 3
    with searchkit.Searcher(tmp_path / "index") as searcher:
        ferry = next(iter(searcher.search("passengers")))
        # the two pages hold one text: ask for every copy
        own = [hit for hit in searcher.search("ferry", collapse=False) if "own" in hit.id]
        brief = searcher.get("b1")
    assert (ferry.url, ferry.source) == ("https://www.harbour.example/ferry", "Harbour Daily")
    assert own and own[0].url == "https://canonical.example/own"
    assert (brief.url, brief.source) == ("https://wire.example/b1", "wire.example")
    notes = "\n".join(report.notes)
    assert "line 5: corpus/gone.html does not exist" in notes
    assert "line 6: nobody: no file or article of this run has that name or id" in notes
    assert "line 7: not KEY<tab>URL" in notes


def test_derived_titles_survive_a_bulk_write_by_worker_processes(tmp_path: Path) -> None:
    articles = [
        Article(id=f"b{n}", title="", body=f"Brief number {n} about ferries.") for n in range(250)
    ]
    with searchkit.Indexer(tmp_path / "index") as indexer:
        assert indexer.add_many(articles) == 250
    with searchkit.Searcher(tmp_path / "index") as searcher:
        article = searcher.get("b7")
        assert searcher.stats().documents == 250
    assert (article.title, article.title_derived) == ("Brief number 7 about ferries.", True)


# --------------------------------------------------------------------------- standard input


def test_a_stream_reads_line_by_line_and_skips_an_overlong_line() -> None:
    from searchkit.ingest.records import read_jsonl_stream

    long_line = json.dumps({"title": "Long", "body": "x" * 5000}).encode()
    stream = io.BytesIO(
        json.dumps({"title": "A", "body": "First."}).encode() + b"\n" + long_line + b"\n"
        b"\n" + json.dumps({"body": "Untitled third record. Yes."}).encode() + b"\n"
    )
    items = list(read_jsonl_stream(stream, max_line_bytes=1000))
    assert [type(item) for item in items] == [Article, IngestFailure, Article]
    failure = items[1]
    assert isinstance(failure, IngestFailure)
    assert (failure.path, failure.line) == ("<stdin>", 2) and "longer than" in failure.reason
    third = items[2]
    assert isinstance(third, Article) and third.path is None and third.title_derived
    again = list(
        read_jsonl_stream(io.BytesIO(json.dumps({"body": "Untitled third record. Yes."}).encode()))
    )
    assert isinstance(again[0], Article) and again[0].id == third.id  # from its text, not its line


def test_a_gzipped_warc_cut_after_its_last_page_still_says_it_was_cut(tmp_path: Path) -> None:
    whole = _warc(tmp_path, [("https://a.example/one", PAGE.format(head="").encode(), "text/html")])
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(whole.read_bytes()[:-4])  # the last member loses its length trailer
    items = list(read_articles(cut))
    assert isinstance(items[0], Article)
    assert isinstance(items[-1], IngestFailure) and "gzip data is cut short" in items[-1].reason


def test_many_tiny_pending_documents_spill_to_disk_like_big_ones() -> None:
    # A million tiny stdin records cost memory per record, not per character of
    # text: the pending budget counts each document's overhead, so they spill too.
    from searchkit.pending import DOC_OVERHEAD_CHARS, PendingDocuments

    budget = 200 * DOC_OVERHEAD_CHARS
    pending = PendingDocuments(memory_budget=budget)
    try:
        for n in range(1000):
            pending.put({"id": f"r{n}", "title": "t", "body": "b"})  # 5 characters of text each
        assert pending._disk is not None  # 5,000 characters of text, yet spilled
        assert len(pending) == 1000
    finally:
        pending.clear()
