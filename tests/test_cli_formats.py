"""The CLI's new inputs, end to end in a real subprocess: `index -`, `extract -`, `--url-map`."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

from query_output import json_hits

from tests.test_reliability_support import assert_no_crash, searchkit_command, user_environment

TIMEOUT = 120
PAGE = (
    "<html><head><title>Harbour ferry returns | Harbour Daily</title></head><body><article>"
    "<h1>Harbour ferry returns</h1><p>The harbour ferry returned to service on Monday after a "
    "winter of repairs, the port authority said, and the first crossing was full.</p>"
    "<p>Passengers queued from dawn, and the operator added two extra sailings.</p>"
    "</article></body></html>"
)


def _run(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run(
        [*searchkit_command(), *args],
        input=stdin,
        capture_output=True,
        timeout=TIMEOUT,
        env=user_environment(),
        check=False,
    )
    assert_no_crash(result.stderr.decode("utf-8", "replace"))
    return result


def _lines(records: list[dict[str, object]]) -> bytes:
    return b"".join(json.dumps(record).encode() + b"\n" for record in records)


def test_index_dash_reads_json_lines_and_a_rerun_replaces_instead_of_duplicating(
    tmp_path: Path,
) -> None:
    index = str(tmp_path / "index")
    stream = (
        _lines(
            [
                {"id": "w1", "title": "Ferry returns", "body": "The ferry is back."},
                {
                    "url": "https://wire.example/2",
                    "title": "Port opens",
                    "body": "The port opened.",
                },
                {"body": "An untitled brief about the harbour. More follows."},
            ]
        )
        + b"{not json\n"
    )
    first = _run(["index", "--index", index, "-"], stream)
    assert first.returncode == 1
    assert b"added 3" in first.stdout
    assert b"<stdin>:4: invalid JSON" in first.stderr
    again = _run(["index", "--index", index, "-"], stream)
    assert b"added 0" in again.stdout and b"unchanged 3" in again.stdout
    stats = json.loads(_run(["stats", "--index", index, "--json"]).stdout)
    assert stats["documents"] == 3
    hits = json_hits(_run(["query", "--index", index, "--json", "brief"]).stdout)
    [brief] = hits
    shown = json.loads(_run(["show", "--index", index, "--json", brief["id"]]).stdout)
    assert shown["title"] == "An untitled brief about the harbour."
    assert shown["title_derived"] is True and shown["path"] is None


def test_index_dash_is_given_alone(tmp_path: Path) -> None:
    result = _run(["index", "--index", str(tmp_path / "index"), "-", str(tmp_path)])
    assert result.returncode == 2
    assert b"reads standard input alone" in result.stderr


def test_extract_dash_reads_one_page_from_stdin() -> None:
    result = _run(["extract", "-", "--json"], PAGE.encode())
    assert result.returncode == 0, result.stderr
    article = json.loads(result.stdout)
    assert article["title"] == "Harbour ferry returns"
    assert article["body"].startswith("The harbour ferry returned")
    empty = _run(["extract", "-"], b"")
    assert empty.returncode == 1
    assert b"standard input is empty" in empty.stderr


def test_url_map_rows_naming_missing_files_are_notes_not_failures(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ferry.html.gz").write_bytes(gzip.compress(PAGE.encode()))
    url_map = tmp_path / "urls.tsv"
    url_map.write_text(
        "ferry\thttps://www.harbour.example/ferry\ncorpus/missing.html\thttps://x.example/m\n"
    )
    index = str(tmp_path / "index")
    result = _run(["index", "--index", index, str(corpus), "--url-map", str(url_map)])
    assert result.returncode == 0, result.stderr
    assert b"added 1" in result.stdout
    assert (
        b"note: url map" in result.stderr
        and b"line 2: corpus/missing.html does not exist" in result.stderr
    )
    [hit] = json_hits(_run(["query", "--index", index, "--json", "ferry"]).stdout)
    assert hit["url"] == "https://www.harbour.example/ferry"
    assert hit["source"] == "Harbour Daily"


def test_a_warc_indexes_through_the_cli(tmp_path: Path) -> None:
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    with (corpus / "crawl.warc.gz").open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], "HTTP/1.1")
        record = writer.create_warc_record(
            "https://news.example/ferry",
            "response",
            payload=io.BytesIO(PAGE.encode()),
            http_headers=headers,
        )
        writer.write_record(record)
        record.raw_stream.close()
    index = str(tmp_path / "index")
    result = _run(["index", "--index", index, str(corpus)])
    assert result.returncode == 0, result.stderr
    [hit] = json_hits(_run(["query", "--index", index, "--json", "passengers"]).stdout)
    assert hit["url"] == "https://news.example/ferry"
