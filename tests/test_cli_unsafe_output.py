"""No page text can drive the user's terminal: every CLI output is neutralised.

Real files carrying ESC sequences (``\\x1b[31m``, ``\\x1b]0;T\\x07``,
``\\x1b[2J``), a C1 CSI (``\\x9b``) and invisible characters are indexed and
searched by real ``searchkit`` processes, piped and on a pseudo-terminal. A
second index is written through ``Indexer`` with the raw text, as an index
built before ingest removed these characters holds it: outputs must be safe
for it too.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import pytest
from query_output import json_hits
from test_reliability_support import run_cli, searchkit_command, user_environment

import searchkit

# Everything a terminal may act on: C0 controls but tab and newline, DEL, C1.
TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# On a terminal searchkit itself styles with SGR sequences only: ESC [ digits m.
OWN_STYLING = re.compile("\x1b\\[[0-9;]*m")
DIRECTION_OVERRIDE = re.compile("[\u202a-\u202e\u2066-\u2069]")

PARAGRAPH = (
    "The harbour authority approved the new ferry timetable on Monday after a long public "
    "consultation with residents and the island councils about the economy."
)
RAW_TITLE = "Ferry \x1b[31mtimetable\x1b[0m \x1b]0;T\x07agreed \x9b2J now \u202ereversed"


def write_hostile_corpus(folder: Path) -> Path:
    """An HTML page, a JSON Lines feed and a text capture, each hiding controls in every field."""
    folder.mkdir()
    (folder / "page.html").write_text(
        "<html><head><title>x</title>"
        '<meta property="og:title" content="Page &#27;[31mred&#27;[0m &#27;]0;T&#7; &#x9b;2J">'
        '<meta property="og:site_name" content="Harbour&#x200b; Herald&#27;[2J">'
        '<link rel="canonical" href="https://herald.example/ferry&#27;]0;T&#7;">'
        f"</head><body><article><p>{PARAGRAPH}</p><p>{PARAGRAPH} &#27;[2J</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    record = {
        "id": "wire-1\u001b]0;T\u0007",
        "title": RAW_TITLE,
        "body": f"{PARAGRAPH} \u001b[2J \u009b31m",
        "source": "BBC\u200b News",
        "author": "Jo \u009b2J Bloggs\u001b[31m",
        "url": "https://wire.example/1\u001b[2J",
    }
    (folder / "feed.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    (folder / "capture.txt").write_text(
        f"Capture \u009b31mtitle\nSource: Wire\u200b Desk\u009b2J\n\n{PARAGRAPH}\u009b2J\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(corpus, index) indexed by a real `searchkit index`."""
    root = tmp_path_factory.mktemp("hostile")
    corpus = write_hostile_corpus(root / "corpus")
    index = root / "index"
    result = run_cli(["index", corpus, "--index", index])
    assert result.returncode == 0, result.stderr
    return corpus, index


@pytest.fixture(scope="module")
def old_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index whose stored fields still hold the raw controls (as ones built before did)."""
    index = tmp_path_factory.mktemp("old") / "index"
    with searchkit.Indexer(index) as indexer:
        indexer.add(
            searchkit.Article(
                id="old\x1b]0;T\x07",
                title=RAW_TITLE,
                body=f"{PARAGRAPH} \x1b[2J \x9b31m \u202eevil",
                url="https://old.example/\x1b[2J",
                source="BBC\u200b News",
                published=datetime(2024, 5, 6, tzinfo=timezone.utc),
                author="Jo \x9b2J Bloggs",
                path="/archive/old\x1b]0;T\x07.html",
            ).with_content_hash()
        )
    return index


def assert_terminal_safe(text: str, *, styled: bool = False) -> None:
    """No control a terminal obeys; on a terminal, only searchkit's own SGR styling."""
    if styled:
        text = OWN_STYLING.sub("", text)
    found = TERMINAL_CONTROL.findall(text)
    assert not found, f"{found!r} in {text!r}"
    assert not DIRECTION_OVERRIDE.search(text), text


def human_outputs(
    index: Path, doc_id: str
) -> list[tuple[list[str], subprocess.CompletedProcess[str]]]:
    commands = [
        ["query", "economy", "--index", str(index)],
        ["query", "economy", "--index", str(index), "--explain", "--sort", "date"],
        ["show", doc_id, "--index", str(index)],
        ["stats", "--index", str(index)],
    ]
    return [(args, run_cli(args)) for args in commands]


def test_piped_text_output_carries_no_terminal_control(hostile_index: tuple[Path, Path]) -> None:
    _, index = hostile_index
    for args, result in human_outputs(index, "wire-1]0;T"):
        assert result.returncode == 0, (args, result.stderr)
        assert_terminal_safe(result.stdout)
        assert_terminal_safe(result.stderr)
    assert "BBC News" in run_cli(["stats", "--index", index]).stdout


def test_extract_prints_no_terminal_control(hostile_index: tuple[Path, Path]) -> None:
    corpus, _ = hostile_index
    for name in ("page.html", "feed.jsonl", "capture.txt"):
        result = run_cli(["extract", corpus / name])
        assert result.returncode == 0, result.stderr
        assert_terminal_safe(result.stdout)


def test_source_filter_finds_an_outlet_written_with_a_zero_width_space(
    hostile_index: tuple[Path, Path],
) -> None:
    _, index = hostile_index
    result = run_cli(["query", "economy", "--source", "BBC News", "--json", "--index", index])
    assert result.returncode == 0, result.stderr
    hits = json_hits(result.stdout)
    assert [(hit["id"], hit["source"]) for hit in hits] == [("wire-1]0;T", "BBC News")]
    assert "\u202e" not in hits[0]["title"], "a right-to-left override in a title is removed"
    assert hits[0]["title"] == "Ferry [31mtimetable[0m ]0;Tagreed 2J now reversed"


def test_an_old_index_with_raw_controls_is_shown_neutralised(old_index: Path) -> None:
    for args, result in human_outputs(old_index, "old\x1b]0;T\x07"):
        assert result.returncode == 0, (args, result.stderr)
        assert_terminal_safe(result.stdout)
        assert_terminal_safe(result.stderr)
    shown = run_cli(["show", "old\x1b]0;T\x07", "--index", old_index]).stdout
    assert shown.startswith("Ferry \ufffd[31mtimetable\ufffd[0m \ufffd]0;T\ufffdagreed")
    assert "path: /archive/old\ufffd]0;T\ufffd.html" in shown


def test_an_old_index_still_matches_its_outlet_as_it_reads(old_index: Path) -> None:
    result = run_cli(["query", "economy", "--source", "bbc news", "--json", "--index", old_index])
    assert result.returncode == 0, result.stderr
    assert len(json_hits(result.stdout)) == 1


def test_json_output_escapes_controls_and_still_decodes_to_the_stored_text(
    old_index: Path,
) -> None:
    query = run_cli(["query", "economy", "--json", "--index", old_index])
    show = run_cli(["show", "old\x1b]0;T\x07", "--json", "--index", old_index])
    stats = run_cli(["stats", "--json", "--index", old_index])
    for result in (query, show, stats):
        assert result.returncode == 0, result.stderr
        assert_terminal_safe(result.stdout)
        assert "\u200b" not in result.stdout
    article = json.loads(show.stdout)
    assert article["title"] == RAW_TITLE
    assert article["source"] == "BBC\u200b News"
    [hit] = json_hits(query.stdout)
    assert hit["id"] == "old\x1b]0;T\x07"
    assert json.loads(stats.stdout)["sources"] == {"BBC\u200b News": 1}


def test_error_messages_do_not_echo_controls(old_index: Path, tmp_path: Path) -> None:
    typed = "nope\x1b]0;T\x07\x9b2J"
    missing_doc = run_cli(["show", typed, "--index", old_index])
    missing_index = run_cli(["stats", "--index", tmp_path / typed])
    missing_file = run_cli(["extract", tmp_path / f"{typed}.html"])
    bad_option = run_cli(["query", "x", "--sort", typed, "--index", old_index])
    assert [r.returncode for r in (missing_doc, missing_index, missing_file, bad_option)] == [
        1,
        1,
        2,
        2,
    ]
    for result in (missing_doc, missing_index, missing_file, bad_option):
        assert_terminal_safe(result.stderr)
        assert "nope" in result.stderr


def run_on_terminal(args: Sequence[str | os.PathLike[str]]) -> str:
    """Run searchkit with stdout on a pseudo-terminal (colour on); return what it drew."""
    pty = pytest.importorskip("pty", reason="pseudo-terminals exist only on POSIX")
    leader, follower = pty.openpty()
    env = {key: value for key, value in user_environment().items() if key != "NO_COLOR"}
    process = subprocess.Popen(
        [*searchkit_command(), *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    os.close(follower)
    chunks: list[bytes] = []
    try:
        while select.select([leader], [], [], 120)[0]:
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO once the process has exited and the terminal closed
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(leader)
        assert process.wait(timeout=120) == 0
    # The terminal itself turns each newline into CR LF (onlcr); searchkit sent "\n".
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def test_on_a_terminal_only_searchkits_own_styling_is_sent(old_index: Path) -> None:
    drawn = run_on_terminal(["query", "economy", "--index", old_index])
    assert OWN_STYLING.search(drawn), "colour is on, so the test sees the styled path"
    assert_terminal_safe(drawn, styled=True)
    assert "\ufffd[31mtimetable" in drawn, "the page's own SGR sequence is shown, not obeyed"
