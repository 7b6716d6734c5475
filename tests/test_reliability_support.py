"""Shared machinery for the reliability tests (tests/test_reliability_*.py); it holds no tests.

The reliability tests attack searchkit the way the world does: real
``searchkit`` processes killed with SIGKILL, real files truncated, real
readers racing a real writer. This module gives them a corpus to index (a
sample of the BBC collection in ../shared, copied into the test's temporary
folder, or generated text when ../shared is absent), a way to run the CLI
with a time limit, and an independent view of what an index holds (read with
Whoosh directly, so a bug in searchkit's reader cannot hide itself).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import searchkit

REPO_ROOT = Path(__file__).resolve().parent.parent
BBC = REPO_ROOT.parent / "shared" / "data" / "bbc"
CLI_TIMEOUT = 180.0
"""Seconds any one CLI run may take before the test calls it a hang."""
UNEXPECTED_ERROR = "this is a bug in searchkit"
"""What the CLI says when an exception escaped the library's error tree (no traceback shown)."""

_WORD_TEXT = """
harbour minister council budget election border rail strike market energy tariff drought
vaccine stadium court ruling inquiry festival museum bridge shipyard parliament pension
refinery airline coalition treaty glacier harvest orchestra satellite reactor customs ferry
lighthouse tribunal mayor protest research hospital teacher union farmer fisheries forecast
"""
_FILLER_TEXT = "the a of and to in on for with after before said would could was were"
_WORDS = tuple(_WORD_TEXT.split())
_FILLER = tuple(_FILLER_TEXT.split())


def searchkit_command() -> list[str]:
    """The console script installed beside this interpreter, else `python -m searchkit`."""
    script = shutil.which("searchkit", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "searchkit"]


def user_environment() -> dict[str, str]:
    """The environment a user's shell would give the CLI, with warnings made fatal."""
    env = {key: value for key, value in os.environ.items() if key != "SEARCHKIT_INDEX"}
    env["PYTHONWARNINGS"] = "error"
    return env


def run_cli(
    args: Sequence[str | os.PathLike[str]],
    *,
    timeout: float = CLI_TIMEOUT,
    user: int | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `searchkit ARGS` to completion; a hang raises TimeoutExpired, a traceback fails."""
    result = subprocess.run(
        [*searchkit_command(), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=user_environment(),
        check=False,
        user=user,
        cwd=cwd,
    )
    assert_no_crash(result.stderr)
    return result


def assert_no_crash(stderr: str) -> None:
    """Neither a traceback nor the CLI's "unexpected error" report: both mean an escaped bug."""
    assert "Traceback" not in stderr, stderr
    assert UNEXPECTED_ERROR not in stderr, stderr


def run_cli_together(
    commands: Sequence[Sequence[str | os.PathLike[str]]], *, timeout: float = CLI_TIMEOUT
) -> list[subprocess.CompletedProcess[str]]:
    """Run several `searchkit` commands at once (two cores: twice as fast as one by one).

    Each must finish within ``timeout`` seconds (a hang fails the test) and
    none may print a traceback.
    """
    started = [(list(map(str, args)), start_cli(args)) for args in commands]
    results = []
    for args, process in started:
        try:
            output, errors = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            for _, other in started:
                other.kill()
            raise
        assert "Traceback" not in errors, f"searchkit {' '.join(args)}:\n{errors}"
        assert UNEXPECTED_ERROR not in errors, f"searchkit {' '.join(args)}:\n{errors}"
        results.append(subprocess.CompletedProcess(args, process.returncode, output, errors))
    return results


def start_cli(args: Sequence[str | os.PathLike[str]]) -> subprocess.Popen[str]:
    """Start `searchkit ARGS` in the background (to be killed or waited for)."""
    return subprocess.Popen(
        [*searchkit_command(), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=user_environment(),
    )


def start_python(code: str, *args: str) -> subprocess.Popen[str]:
    """Start a Python child running ``code`` (with ``args`` in sys.argv[1:])."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=user_environment(),
    )


def generated_text(rng: random.Random, title_words: int = 6, paragraphs: int = 4) -> str:
    """An invented news story in the plain-text capture format: title, blank line, paragraphs."""
    title = " ".join(rng.choice(_WORDS) for _ in range(title_words)).capitalize()
    body = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(rng.randint(2, 4)):
            words = [rng.choice(_WORDS if rng.random() < 0.5 else _FILLER) for _ in range(12)]
            sentences.append(" ".join(words).capitalize() + ".")
        body.append(" ".join(sentences))
    return title + "\n\n" + "\n\n".join(body) + "\n"


def bbc_available() -> bool:
    """Whether the BBC collection is readable in ../shared (tests then use real articles)."""
    return (BBC / "tech").is_dir()


def source_texts(count: int, *, seed: int = 0) -> list[tuple[str, bytes]]:
    """Up to ``count`` (file name, bytes) stories: real BBC articles if available, else invented.

    BBC stories are taken round-robin from its five sections so every run
    mixes topics; they are read in place and only ever copied into a test's
    temporary folder.
    """
    if bbc_available():
        sections = sorted(p for p in BBC.iterdir() if p.is_dir())
        files = [sorted(section.glob("*.txt")) for section in sections]
        chosen: list[tuple[str, bytes]] = []
        position = 0
        while len(chosen) < count and position < max(map(len, files)):
            for section, names in zip(sections, files, strict=True):
                if position < len(names) and len(chosen) < count:
                    path = names[position]
                    chosen.append((f"{section.name}-{path.name}", path.read_bytes()))
            position += 1
        return chosen
    rng = random.Random(seed)
    return [(f"story-{n:05d}.txt", generated_text(rng).encode()) for n in range(count)]


@dataclass
class WorkingCorpus:
    """A corpus folder that tests add to, edit and delete from between indexing runs."""

    folder: Path
    pool: list[tuple[str, bytes]]
    rng: random.Random
    present: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, folder: Path, initial: int, spare: int, *, seed: int = 0) -> WorkingCorpus:
        """A corpus of ``initial`` stories, with ``spare`` more held back to add later."""
        folder.mkdir(parents=True, exist_ok=True)
        texts = source_texts(initial + spare, seed=seed)
        corpus = cls(folder, texts[initial:], random.Random(seed))
        for name, data in texts[:initial]:
            (folder / name).write_bytes(data)
            corpus.present.append(name)
        return corpus

    def mutate(self, adds: int, edits: int, deletes: int) -> None:
        """Add new stories, append a paragraph to some, delete others."""
        for _ in range(min(adds, len(self.pool))):
            name, data = self.pool.pop()
            (self.folder / name).write_bytes(data)
            self.present.append(name)
        for name in self.rng.sample(self.present, min(edits, len(self.present))):
            path = self.folder / name
            path.write_bytes(path.read_bytes() + b"\n" + generated_text(self.rng).encode())
        for name in self.rng.sample(self.present, min(deletes, len(self.present))):
            (self.folder / name).unlink()
            self.present.remove(name)


def index_snapshot(index: Path) -> dict[str, str]:
    """Every live document's id and content hash, read with Whoosh directly (not searchkit)."""
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(index))
    with ix.searcher() as searcher:
        return {str(doc["id"]): str(doc.get("content_hash", "")) for doc in searcher.documents()}


def check_arrays_match_segments(index: Path) -> None:
    """Every committed segment's scorer arrays exist and equal a rebuild from the segment."""
    from searchkit.engine.arrays import arrays_mismatches
    from searchkit.engine.storage import open_index, read_metadata

    ix = open_index(str(index), read_metadata(index).groups(str(index)))
    try:
        with ix.reader() as reader:
            assert arrays_mismatches(str(index), reader) == []
    finally:
        ix.close()


def check_groups_agree(index: Path) -> None:
    """Every committed document's duplicate group and story agree with the grouping state the
    next writer resumes from, and with one recovered from the documents alone."""
    with searchkit.Indexer(index) as indexer:
        try:
            assert indexer.grouping_mismatches() == []
        finally:
            indexer.cancel()


def check_index_usable(index: Path, query: str = "the") -> int:
    """Open the index with searchkit, run stats, a query and a lookup; return the document count.

    Also checks the scorer's arrays against the committed segments.
    """
    check_arrays_match_segments(index)
    with searchkit.Searcher(index) as searcher:
        documents = searcher.stats().documents
        results = searcher.search(query, limit=5)
        for hit in results:
            assert searcher.get(hit.id).id == hit.id
        assert results.total <= documents
    return documents
