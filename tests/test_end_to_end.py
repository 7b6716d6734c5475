"""The installed `searchkit` command, run as a user runs it: a real process on a copy of corpus/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from query_output import json_hits

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
HTML_PARSER_MODULES = ("bs4", "lxml")


def searchkit_command() -> list[str]:
    """The console script installed beside this interpreter, else `python -m searchkit`."""
    script = shutil.which("searchkit", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "searchkit"]


def user_environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "SEARCHKIT_INDEX"}
    env["PYTHONWARNINGS"] = "error"
    return env


def searchkit(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*searchkit_command(), *args],
        cwd=cwd,
        env=user_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh directory holding a copy of corpus/, indexed once into the default ./index."""
    assert CORPUS.is_dir(), "corpus/ is part of the repository"
    directory = tmp_path_factory.mktemp("e2e")
    shutil.copytree(CORPUS, directory / "corpus")
    return directory


@pytest.fixture(scope="module")
def first_index_run(workdir: Path) -> subprocess.CompletedProcess[str]:
    return searchkit(["index", "corpus/"], workdir)


def test_index_corpus(workdir: Path, first_index_run: subprocess.CompletedProcess[str]) -> None:
    assert first_index_run.returncode == 0, first_index_run.stderr
    summary = first_index_run.stdout.strip()
    assert summary.startswith("added ")
    assert ", failed 0 in " in summary
    assert (workdir / "index" / "searchkit.json").is_file()


def test_query_border_security(
    workdir: Path, first_index_run: subprocess.CompletedProcess[str]
) -> None:
    result = searchkit(["query", "border security"], workdir)
    assert result.returncode == 0, result.stderr
    assert "1. " in result.stdout
    assert "border" in result.stdout.lower()
    assert "\x1b[" not in result.stdout, "piped output must be plain text"


def test_query_json(workdir: Path, first_index_run: subprocess.CompletedProcess[str]) -> None:
    result = searchkit(["query", "border security", "--json", "--limit", "5"], workdir)
    assert result.returncode == 0, result.stderr
    hits = json_hits(result.stdout)
    assert 1 <= len(hits) <= 5
    assert [hit["rank"] for hit in hits] == list(range(1, len(hits) + 1))
    for hit in hits:
        assert (workdir / hit["path"]).is_file() or Path(hit["path"]).is_file()


MANIFEST = Path(__file__).parent / "data" / "corpus_manifest.json"
ISKP_VARIANTS = {"ISKP", "Daesh", "ISIS-K", "IS-Khorasan", "Islamic State Khorasan Province"}


def test_query_alias(workdir: Path, first_index_run: subprocess.CompletedProcess[str]) -> None:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    expected = {entry["title"] for entry in manifest if ISKP_VARIANTS & set(entry["aliases"])}
    decoys = {entry["title"] for entry in manifest if "khorasan-caravan" in entry["file"]}
    assert expected and decoys, "the manifest no longer marks the ISKP articles and the decoy"
    result = searchkit(["query", "Daesh", "--json", "--limit", "50"], workdir)
    assert result.returncode == 0, result.stderr
    found = {hit["title"] for hit in json_hits(result.stdout)}
    assert expected <= found
    assert not decoys & found, "a page about the Khorasan region is not about ISKP"


def test_show_first_hit(workdir: Path, first_index_run: subprocess.CompletedProcess[str]) -> None:
    query = searchkit(["query", "border security", "--json", "--limit", "1"], workdir)
    first = json.loads(query.stdout.splitlines()[0])
    result = searchkit(["show", first["id"], "--json"], workdir)
    assert result.returncode == 0, result.stderr
    article = json.loads(result.stdout)
    assert article["id"] == first["id"]
    assert article["title"] == first["title"]


def test_stats(workdir: Path, first_index_run: subprocess.CompletedProcess[str]) -> None:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    result = searchkit(["stats", "--json"], workdir)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["documents"] == len(manifest)
    assert sum(stats["sources"].values()) <= stats["documents"]
    assert stats["index_bytes"] > 0
    human = searchkit(["stats"], workdir)
    assert human.returncode == 0
    assert f"documents:      {len(manifest)}" in human.stdout


def test_reindex_changes_nothing(
    workdir: Path, first_index_run: subprocess.CompletedProcess[str]
) -> None:
    added = int(first_index_run.stdout.split()[1].rstrip(","))
    result = searchkit(["index", "corpus/"], workdir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"added 0, updated 0, removed 0, unchanged {added},")


def test_query_process_never_loads_the_html_parser(
    workdir: Path, first_index_run: subprocess.CompletedProcess[str], tmp_path: Path
) -> None:
    report = tmp_path / "modules.json"
    script = (
        "import json, sys\n"
        "from searchkit.cli import main\n"
        "try:\n"
        "    main(['query', 'border security', '--json'], prog_name='searchkit')\n"
        "except SystemExit as done:\n"
        "    code = done.code\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in sys.argv[2:])\n"
        "with open(sys.argv[1], 'w') as out:\n"
        "    json.dump({'code': code, 'loaded': loaded}, out)\n"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(report), *HTML_PARSER_MODULES],
        cwd=workdir,
        env=user_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    outcome = json.loads(report.read_text(encoding="utf-8"))
    assert outcome["code"] in (0, None)
    assert outcome["loaded"] == []


def test_missing_index_in_a_fresh_directory(tmp_path: Path) -> None:
    result = searchkit(["query", "border security"], tmp_path)
    assert result.returncode == 1
    assert "no index at ./index" in result.stderr
    assert result.stdout == ""


def test_help_is_available(tmp_path: Path) -> None:
    result = searchkit(["--help"], tmp_path)
    assert result.returncode == 0
    assert "query" in result.stdout


def _run_on_terminal(
    args: Sequence[str], cwd: Path, terminal: str, extra_env: dict[str, str] | None = None
) -> str:
    """Run searchkit with stdout or stderr attached to a pseudo-terminal; return what it drew."""
    pty = pytest.importorskip("pty", reason="pseudo-terminals exist only on POSIX")
    import select

    leader, follower = pty.openpty()
    streams = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, terminal: follower}
    env = {**user_environment(), **(extra_env or {})}
    process = subprocess.Popen(
        [*searchkit_command(), *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL, **streams
    )
    os.close(follower)
    chunks: list[bytes] = []
    try:
        while select.select([leader], [], [], 120)[0]:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the terminal closes (EIO) once the process has exited
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(leader)
        assert process.wait(timeout=300) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_progress_bar_only_on_a_terminal_and_not_when_quiet(tmp_path: Path) -> None:
    shutil.copytree(CORPUS, tmp_path / "corpus")
    drawn = _run_on_terminal(["index", "corpus/", "--index", "a"], tmp_path, "stderr")
    assert "indexing" in drawn
    quiet = _run_on_terminal(["index", "corpus/", "--index", "b", "--quiet"], tmp_path, "stderr")
    assert quiet == ""
    piped = searchkit(["index", "corpus/", "--index", "c"], tmp_path)
    assert "indexing" not in piped.stderr


def test_highlights_coloured_on_a_terminal_unless_no_color(
    workdir: Path, first_index_run: subprocess.CompletedProcess[str]
) -> None:
    coloured = _run_on_terminal(["query", "border security"], workdir, "stdout")
    assert "\x1b[" in coloured
    plain = _run_on_terminal(["query", "border security"], workdir, "stdout", {"NO_COLOR": "1"})
    assert "border" in plain.lower()
    assert "\x1b[" not in plain


def test_ctrl_c_while_indexing_keeps_the_last_commit(tmp_path: Path) -> None:
    """Interrupt `searchkit index` at a known point: while it waits to read a synonyms FIFO."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("named pipes exist only on POSIX")
    import errno
    import signal
    import time

    shutil.copytree(CORPUS, tmp_path / "corpus")
    assert searchkit(["index", "corpus/"], tmp_path).returncode == 0
    before = searchkit(["query", "border security", "--json"], tmp_path).stdout
    fifo = tmp_path / "synonyms.txt"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [*searchkit_command(), "index", "corpus/", "--synonyms", str(fifo)],
        cwd=tmp_path,
        env=user_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell's background job starts with SIGINT ignored; a user's Ctrl-C is not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    # Opening a FIFO for writing without blocking fails until a reader has it open,
    # so once it succeeds the indexer is certainly inside build_index.
    deadline = time.monotonic() + 120
    while True:
        try:
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as error:
            assert error.errno == errno.ENXIO
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "searchkit never opened the synonyms file"
            time.sleep(0.05)
    try:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        os.close(writer)
    assert process.returncode == 130, stderr
    assert "interrupted; the last committed index is intact" in stderr
    assert "Traceback" not in stderr
    assert stdout == ""
    after = searchkit(["query", "border security", "--json"], tmp_path)
    assert after.returncode == 0
    assert after.stdout == before
