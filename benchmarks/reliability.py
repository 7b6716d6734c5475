"""Reliability benchmark: searchkit's promises under many injected faults, with one table.

Run from the repository root::

    python benchmarks/reliability.py [--kills N] [--docs N] [--queries N] [--flips N]
                                     [--cycles N] [--names N] [--corpus DIR] [--json OUT]
                                     [--seed S] [--sections LIST]

Sections (each a row of the table; the default sizes are what issue 6 asks):

* crash: ``--kills`` SIGKILLs at random moments of `searchkit index` runs (incremental
  and ``--rebuild``) over the BBC collection, plus Python children killed between and
  during ``Indexer`` commits. After every kill the index must open and answer, hold
  exactly the last or the in-flight commit, and a re-run must finish the work.
* readers: four threads on one Searcher and two reader processes query while a writer
  process commits 100 rounds of adds, updates and deletes.
* writers: a second indexer against a held lock, and writers killed while holding it.
* damage: every kind of index file emptied, halved, garbled or deleted, with `index`,
  `query`, `stats` and `show` run on each; then ``--flips`` copies with a few flipped
  bytes checked through the library (a hang is cut off after 60 s).
* documents: ``--docs`` hostile documents through ``read_articles`` (mutated real
  pages, random bytes, tag soup, every text codec, broken JSON), timed one by one;
  then near-limit monsters, each in its own process for its time and peak memory.
* queries: ``--queries`` hostile queries on the BBC index, timed one by one.
* files: unreadable, vanishing and looping files, and a full disk at many moments.
* pickles: indexes with ``__reduce__`` gadgets planted in each kind of pickle Whoosh
  reads, through every command and ``--rebuild``; a payload that runs is a corrupted index.
* powerloss: several kinds of commit recorded write by write and flush by flush, and the
  folder a power cut after each event could leave opened in every way it could be left.
* sync: ``--cycles`` rounds of random edits (feeds, records, captures, a linked folder,
  duplicate ids), each followed by a run (every fifth killed first, then re-run); the
  index must then hold exactly the records present.
* names: ``--names`` corpora with file names that are not UTF-8 and a record with a lone
  surrogate in a field, each indexed twice and rebuilt: bad records fail alone, odd names
  keep one safe id, nothing is called damaged.
* synonyms: 2,000, 8,000 and 100,000 alias groups indexed with ``--synonyms`` (every alias
  of a probed group must find its document), and what they add per query and per
  `searchkit query` run against an index of the same documents with only the probed groups.
* markup: pages of unclosed ``<script>``, ``<!--`` and other inert tags up to 19 MB,
  extracted one by one; and every real page cut exactly as the regex that specifies the
  cut (tests/test_ingest_markup.py) cuts it.
* phrases: ``--phrases`` hostile phrase queries (long, sloppy, hundreds per query) on
  an index of the BBC collection; every bound applied must be named in the warnings.

The fault-injection helpers are the test suite's own (tests/test_reliability_*.py), so
the benchmark and the tests attack searchkit the same way. ``../shared/data/bbc`` is
read in place; without it the corpus is generated text. Everything is written under a
temporary folder that is removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import itertools
import json
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests"))

from test_reliability_concurrency import READER_PROCESS, WRITER, read_until_final  # noqa: E402
from test_reliability_crash import CHILD_INDEXER  # noqa: E402
from test_reliability_damage import DAMAGES, KINDS, REBUILD_HINT, file_of_kind  # noqa: E402
from test_reliability_files import FullDisk, obey_file_modes  # noqa: E402
from test_reliability_ingest import (  # noqa: E402
    HOSTILE_FILES,
    MARKUP_PIECES,
    STORY,
    all_text_encodings,
    encode_what_fits,
    mutations,
)
from test_reliability_queries import HOSTILE_PIECES  # noqa: E402
from test_reliability_support import (  # noqa: E402
    BBC,
    UNEXPECTED_ERROR,
    WorkingCorpus,
    bbc_available,
    index_snapshot,
    searchkit_command,
    source_texts,
    start_cli,
    start_python,
    user_environment,
)
from test_reliability_sync import FeedCorpus  # noqa: E402
from test_reliability_sync import indexed as sync_indexed  # noqa: E402
from test_reliability_writers import LOCK_HOLDER  # noqa: E402

import searchkit  # noqa: E402
from searchkit.errors import SearchkitError  # noqa: E402
from searchkit.ingest import SUPPORTED_SUFFIXES, extract_html, read_articles  # noqa: E402

EXTRACTION_PAGES = REPO_ROOT.parent / "shared" / "data" / "article-extraction-benchmark" / "html"
HANG_SECONDS = 60


@dataclass
class Row:
    """One line of the result table."""

    section: str
    trials: int = 0
    faults: int = 0
    documents_lost: int = 0
    corrupted: int = 0
    tracebacks: int = 0
    worst_seconds: float = 0.0
    worst_what: str = ""
    problems: list[str] = field(default_factory=list)

    def time(self, what: str, seconds: float) -> None:
        if seconds > self.worst_seconds:
            self.worst_seconds, self.worst_what = seconds, what

    def problem(self, text: str) -> None:
        if len(self.problems) < 20:
            self.problems.append(text)
        print(f"  PROBLEM [{self.section}] {text}", flush=True)


def crashed(stderr: str) -> bool:
    """A traceback, or the CLI's report of an exception that escaped the error tree."""
    return "Traceback" in stderr or UNEXPECTED_ERROR in stderr


def cli(args: list[Any], timeout: float = 600, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*searchkit_command(), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=user_environment(),
        check=False,
        **kwargs,
    )


def kill_after(process: subprocess.Popen[str], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.005)
    running = process.poll() is None
    if running:
        process.send_signal(signal.SIGKILL)
    process.communicate(timeout=120)
    return running


def usable(index: Path) -> tuple[int | None, str]:
    """(documents, "") if the index opens and answers stats, a query and a lookup."""
    try:
        with searchkit.Searcher(index) as searcher:
            documents = searcher.stats().documents
            for hit in searcher.search("the government", limit=5):
                searcher.get(hit.id)
        return documents, ""
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------- crash


def crash_section(work: Path, kills: int, rng: random.Random) -> Row:
    row = Row("crash: SIGKILL while indexing")
    available = len(source_texts(100_000)) if bbc_available() else 800
    spare = min(400, available // 5)
    corpus = WorkingCorpus.create(work / "corpus", initial=available - spare, spare=spare, seed=1)
    index = work / "index"
    started = time.monotonic()
    first = cli(["index", corpus.folder, "--index", index, "-q"])
    # Kill times are drawn from the length of the last complete run of the same kind.
    durations = {"rebuild": time.monotonic() - started, "incremental": 0.0}
    print(f"  first build of {len(corpus.present)} files: {durations['rebuild']:.1f} s", flush=True)
    if first.returncode != 0 or crashed(first.stderr):
        row.problem(f"first build failed: {first.stderr[-300:]}")
    child_index = work / "child-index"
    child_committed = 0
    states = {"last commit": 0, "new commit": 0}
    for trial in range(kills):
        row.trials += 1
        if trial % 4 == 3:
            child_committed = crash_python_child(row, child_index, rng, child_committed)
            continue
        corpus.mutate(adds=10, edits=10, deletes=8)
        before = index_snapshot(index)
        kind = "rebuild" if trial % 3 == 1 else "incremental"
        rebuild = ["--rebuild"] if kind == "rebuild" else []
        if not durations["incremental"]:
            started = time.monotonic()
            cli(["index", corpus.folder, "--index", index, "-q"])
            durations["incremental"] = time.monotonic() - started
            corpus.mutate(adds=10, edits=10, deletes=8)
            before = index_snapshot(index)
        process = start_cli(["index", corpus.folder, "--index", index, "-q", *rebuild])
        if kill_after(process, rng.uniform(0.0, 1.1) * durations[kind]):
            row.faults += 1
        documents, error = usable(index)
        killed_state = index_snapshot(index) if documents is not None else None
        if documents is None or killed_state is None or documents != len(killed_state):
            row.corrupted += 1
            row.problem(f"kill {trial}: index unusable after the kill ({error})")
        started = time.monotonic()
        rerun = cli(["index", corpus.folder, "--index", index, "-q", *rebuild])
        durations[kind] = time.monotonic() - started
        row.time(f"{kind} re-run after kill {trial}", durations[kind])
        if crashed(rerun.stderr):
            row.tracebacks += 1
            row.problem(f"kill {trial}: re-run crashed: {rerun.stderr[-300:]}")
        after = index_snapshot(index)
        if killed_state == before:
            states["last commit"] += 1
        elif killed_state == after:
            states["new commit"] += 1
        if killed_state is not None and killed_state not in (before, after):
            row.corrupted += 1
            row.problem(f"kill {trial}: the killed run left a mixture of two commits")
        lost = len(corpus.present) - len(after)
        if rerun.returncode != 0 or lost:
            row.documents_lost += max(lost, 0)
            row.problem(f"kill {trial}: re-run rc {rerun.returncode}, {lost} documents missing")
    print(f"  after `searchkit index` kills the index held: {states}", flush=True)
    return row


def crash_python_child(row: Row, index: Path, rng: random.Random, committed_before: int) -> int:
    batch, total = 25, 1500
    child = start_python(CHILD_INDEXER, str(index), str(batch), str(total))
    assert child.stdout is not None
    committed = committed_before
    for _ in range(rng.randint(1, 20)):
        line = child.stdout.readline()
        if not line:
            break
        committed = max(committed, int(line))
    if kill_after(child, rng.uniform(0.0, 0.6)):
        row.faults += 1
    documents, error = usable(index)
    if documents is None:
        row.corrupted += 1
        row.problem(f"Python child kill: index unusable ({error})")
        return committed
    snapshot = index_snapshot(index)
    whole = sorted(snapshot) == [f"doc-{n:06d}" for n in range(documents)]
    if documents != len(snapshot) or documents % batch or not whole:
        row.corrupted += 1
        row.problem(f"Python child kill: {documents} documents is not a whole commit")
    if documents < committed:
        row.documents_lost += committed - documents
        row.problem(f"Python child kill: {committed} committed, {documents} found")
    return max(committed, documents)


# --------------------------------------------------------------------------- readers, writers


def readers_section(work: Path, rounds: int) -> Row:
    row = Row("readers during 100 commits")
    index = work / "readers-index"
    with searchkit.Indexer(index) as indexer:
        for number in range(100):
            doc_id = f"stable-{number:03d}"
            indexer.add(searchkit.Article(doc_id, f"{doc_id} kept", "common harbour archive."))
    tests = str(REPO_ROOT / "tests")
    processes = [start_python(READER_PROCESS, tests, str(index), str(seed)) for seed in range(2)]
    reports: list[dict[str, Any]] = []
    started = time.monotonic()
    with searchkit.Searcher(index) as shared:
        threads = [
            threading.Thread(
                target=lambda seed=seed: reports.append(
                    read_until_final(str(index), shared, seed=seed)
                )
            )
            for seed in range(10, 14)
        ]
        for thread in threads:
            thread.start()
        writer = start_python(WRITER, str(index), str(rounds))
        written, errors = writer.communicate(timeout=1800)
        for thread in threads:
            thread.join()
    for process in processes:
        output, _ = process.communicate(timeout=1800)
        reports.append(json.loads(output))
    row.time("whole run", time.monotonic() - started)
    if writer.returncode != 0:
        row.problem(f"writer failed: {errors[-300:]}")
        return row
    log = json.loads(written)
    row.faults = rounds + 1
    expected = 100 + len(log["live"]) + 1
    for report in reports:
        row.trials += report["queries"]
        row.tracebacks += len(report["errors"])
        row.corrupted += len(report["bad_hits"])
        for error in report["errors"][:3]:
            row.problem(error)
        strays = set(report["not_found"]) - set(log["deleted"])
        if strays or not report["saw_final"] or report["final_total"] != expected:
            row.documents_lost += len(strays) or 1
            row.problem(f"reader ended with {report['final_total']} of {expected} documents")
    return row


def writers_section(work: Path, trials: int) -> Row:
    row = Row("writers: held and killed locks")
    corpus = WorkingCorpus.create(work / "writers-corpus", initial=20, spare=trials * 2, seed=3)
    index = work / "writers-index"
    cli(["index", corpus.folder, "--index", index, "-q"])
    for trial in range(trials):
        row.trials += 1
        row.faults += 1
        before = index_snapshot(index)
        holder = start_python(LOCK_HOLDER, str(index))
        assert holder.stdout is not None
        holder.stdout.readline()
        corpus.mutate(adds=2, edits=0, deletes=0)
        if trial % 2 == 0:
            started = time.monotonic()
            blocked = cli(["index", corpus.folder, "--index", index, "-q", "--lock-timeout", "1"])
            row.time("refused writer", time.monotonic() - started)
            message = f"another indexer is writing to {index} (pid {holder.pid})"
            if blocked.returncode != 1 or message not in blocked.stderr:
                row.problem(f"blocked writer said: {blocked.stderr[-200:]}")
            holder.communicate("go\n", timeout=60)
        else:
            holder.send_signal(signal.SIGKILL)
            holder.communicate(timeout=60)
        result = cli(["index", corpus.folder, "--index", index, "-q", "--lock-timeout", "0"])
        if result.returncode != 0:
            row.problem(f"writer after the holder ended: {result.stderr[-200:]}")
        if crashed(result.stderr):
            row.tracebacks += 1
        after = index_snapshot(index)
        if not set(before) <= set(after):
            row.documents_lost += len(set(before) - set(after))
            row.problem("a committed document disappeared")
    return row


# --------------------------------------------------------------------------- damage


def damage_section(work: Path, flips: int, rng: random.Random) -> Row:
    row = Row("damage: broken index files")
    corpus = WorkingCorpus.create(work / "damage-corpus", initial=60, spare=10, seed=5)
    pristine = work / "damage-pristine"
    cli(["index", corpus.folder, "--index", pristine, "-q"])
    corpus.mutate(adds=10, edits=0, deletes=3)
    cli(["index", corpus.folder, "--index", pristine, "-q"])
    doc_id = sorted(index_snapshot(pristine))[0]
    for kind in KINDS:
        for damage_name, damage in DAMAGES.items():
            copy = work / "damage-copy"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(pristine, copy)
            damage(file_of_kind(copy, kind))
            row.faults += 1
            commands = [
                ["index", corpus.folder, "--index", copy, "-q"],
                ["query", "government", "--index", copy],
                ["stats", "--index", copy],
                ["show", doc_id, "--index", copy],
            ]
            for args in commands:
                row.trials += 1
                started = time.monotonic()
                try:
                    result = cli(args, timeout=HANG_SECONDS)
                except subprocess.TimeoutExpired:
                    row.tracebacks += 1
                    row.problem(f"{kind} {damage_name}: `{args[0]}` hung")
                    continue
                row.time(f"{args[0]} on {kind} {damage_name}", time.monotonic() - started)
                if crashed(result.stderr):
                    row.tracebacks += 1
                    row.problem(f"{kind} {damage_name}: `{args[0]}`: {result.stderr[-300:]}")
                elif result.returncode != 0 and (
                    REBUILD_HINT not in result.stderr or str(copy) not in result.stderr
                ):
                    row.problem(
                        f"{kind} {damage_name}: `{args[0]}` unclear: {result.stderr[-200:]}"
                    )
            repaired = cli(["index", corpus.folder, "--index", copy, "-q", "--rebuild"])
            if repaired.returncode != 0 or len(index_snapshot(copy)) != len(corpus.present):
                row.documents_lost += 1
                row.problem(f"{kind} {damage_name}: --rebuild did not repair the index")
    flip_trials(row, work, pristine, flips, rng)
    return row


class _Hang(Exception):
    pass


def _on_alarm(_signum: int, _frame: Any) -> None:
    raise _Hang


def flip_trials(row: Row, work: Path, pristine: Path, flips: int, rng: random.Random) -> None:
    """Flip a few bytes of one file at a time; library calls must raise SearchkitError or work."""
    files = sorted(p.name for p in pristine.iterdir() if p.suffix in (".seg", ".toc"))
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        for _ in range(flips):
            copy = work / "flip-copy"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(pristine, copy)
            target = copy / rng.choice(files)
            data = bytearray(target.read_bytes())
            for _ in range(rng.choice([1, 1, 2, 4, 16])):
                data[rng.randrange(len(data))] = rng.randrange(256)
            target.write_bytes(bytes(data))
            row.faults += 1
            for operation in ("search", "stats", "get", "index"):
                row.trials += 1
                started = time.monotonic()
                signal.alarm(HANG_SECONDS)
                try:
                    library_operation(copy, operation)
                except SearchkitError:
                    pass
                except _Hang:
                    row.tracebacks += 1
                    row.problem(f"{operation} hung on flipped {target.name}")
                except Exception as exc:
                    row.tracebacks += 1
                    where = traceback.extract_tb(exc.__traceback__)[-1]
                    row.problem(
                        f"{operation} on flipped {target.name}: {type(exc).__name__}: "
                        f"{str(exc)[:80]} (in {where.name})"
                    )
                finally:
                    signal.alarm(0)
                row.time(f"{operation} on a flipped {target.suffix}", time.monotonic() - started)
    finally:
        signal.signal(signal.SIGALRM, previous)


def library_operation(index: Path, operation: str) -> None:
    if operation == "index":
        with searchkit.Indexer(index) as indexer:
            indexer.add(searchkit.Article("added-after-flip", "Added", "government harbour"))
        return
    with searchkit.Searcher(index) as searcher:
        if operation == "search":
            for hit in searcher.search("government minister", limit=20):
                assert hit.id
            searcher.search("gov*", limit=5)
        elif operation == "stats":
            searcher.stats()
        else:
            for hit in searcher.search("the", limit=10):
                searcher.get(hit.id)


# --------------------------------------------------------------------------- documents


def seed_pages() -> list[bytes]:
    pages = [p.read_bytes() for p in sorted((REPO_ROOT / "corpus" / "html").glob("*.html"))]
    if EXTRACTION_PAGES.is_dir():
        for path in sorted(EXTRACTION_PAGES.glob("*.html.gz"))[:60]:
            pages.append(gzip.decompress(path.read_bytes()))
    return pages


def hostile_documents(count: int, rng: random.Random) -> Iterator[tuple[str, str, bytes]]:
    """(kind, suffix, bytes) for ``count`` documents, cycling through the kinds of attack."""
    pages = seed_pages()
    encodings = all_text_encodings()
    named = sorted(HOSTILE_FILES.items())
    produced = 0
    while produced < count:
        page = rng.choice(pages)
        for variant in mutations(page, rng):
            yield "mutated page", ".html", variant
        yield (
            "random bytes",
            rng.choice(sorted(SUPPORTED_SUFFIXES)),
            rng.randbytes(rng.randint(0, 6000)),
        )
        soup = "".join(rng.choice(MARKUP_PIECES) for _ in range(rng.randint(1, 400)))
        encoding = rng.choice(["utf-8", "utf-16", "cp1252", "shift_jis", "koi8-r", "gb18030"])
        yield "tag soup", ".html", soup.encode(encoding, errors="replace")
        encoding = rng.choice(encodings)
        yield f"text in {encoding}", ".txt", encode_what_fits(STORY, encoding)
        record = json.dumps({"title": "Ferry", "body": STORY, "published": rng.random()})
        cut = rng.randint(0, len(record))
        yield (
            "broken JSON",
            rng.choice([".json", ".jsonl"]),
            record[:cut].encode() + b"\n" + record.encode(),
        )
        name, (suffix, data) = rng.choice(named)
        yield name, suffix, data
        produced += 11


def documents_section(work: Path, count: int, rng: random.Random) -> Row:
    row = Row(f"documents: {count:,} hostile")
    folder = work / "documents"
    folder.mkdir()
    outcome_counts = {"Article": 0, "IngestFailure": 0}
    for number, (kind, suffix, data) in enumerate(hostile_documents(count, rng)):
        if number >= count:
            break
        path = folder / f"doc{suffix}"
        path.write_bytes(data)
        row.trials += 1
        row.faults += 1
        started = time.perf_counter()
        try:
            for item in read_articles(path):
                if not isinstance(item, (searchkit.Article, searchkit.IngestFailure)):
                    raise TypeError(f"read_articles yielded {type(item).__name__}")
                outcome_counts[type(item).__name__] += 1
            if suffix == ".html":
                with contextlib.suppress(searchkit.IngestError):
                    extract_html(data)
        except Exception as exc:
            row.tracebacks += 1
            row.problem(f"{kind}: {type(exc).__name__}: {str(exc)[:120]}")
        row.time(f"{kind} ({len(data):,} bytes)", time.perf_counter() - started)
    print(f"  outcomes: {outcome_counts}", flush=True)
    return row


MONSTER_CHILD = """
import resource, sys, time
from searchkit.ingest import read_articles
started = time.perf_counter()
items = list(read_articles(sys.argv[1]))
seconds = time.perf_counter() - started
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(type(items[0]).__name__, round(seconds, 2), round(peak_mb))
"""

PARAGRAPH = "<p>The council said the ferry timetable would change next month, officials said.</p>"


def monster(name: str, size_mb: float) -> bytes:
    size = int(size_mb * 1024 * 1024)
    bodies: dict[str, Callable[[], str]] = {
        "paragraphs": lambda: PARAGRAPH * (size // len(PARAGRAPH)),
        "unclosed table cells": lambda: "<table><tr><td>x" * (size // 16),
        "unclosed paragraphs": lambda: "<p>word word " * (size // 12),
        "nested divs": lambda: "<div>" * (size // 5) + PARAGRAPH,
        "one long line": lambda: "<p>" + "word " * (size // 5) + "</p>",
    }
    return f"<html><body>{bodies[name]()}</body></html>".encode()


MONSTERS = [
    ("paragraphs", 19.0),
    ("unclosed table cells", 1.0),
    ("unclosed table cells", 4.0),
    ("unclosed table cells", 19.0),
    ("unclosed paragraphs", 19.0),
    ("nested divs", 2.0),
    ("one long line", 19.0),
    ("paragraphs", 50.0),
]


def monsters_section(work: Path, scale: float) -> Row:
    row = Row("documents: near-limit monsters")
    for name, full_mb in MONSTERS:
        size_mb = round(full_mb * scale, 2)
        path = work / "monster.html"
        path.write_bytes(monster(name, size_mb))
        row.trials += 1
        row.faults += 1
        try:
            result = subprocess.run(
                [sys.executable, "-c", MONSTER_CHILD, str(path)],
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
        except subprocess.TimeoutExpired:
            row.tracebacks += 1
            row.problem(f"{name} {size_mb} MB: still running after 900 s")
            continue
        if result.returncode != 0 or crashed(result.stderr):
            row.tracebacks += 1
            row.problem(f"{name} {size_mb} MB: {result.stderr[-300:]}")
            continue
        outcome, seconds, peak_mb = result.stdout.split()
        print(f"  {name}, {size_mb} MB: {outcome} in {seconds} s, peak {peak_mb} MB", flush=True)
        row.time(f"{name}, {size_mb} MB, peak {peak_mb} MB", float(seconds))
    return row


# --------------------------------------------------------------------------- queries


def vocabulary(index: Path, count: int) -> list[str]:
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(index))
    with ix.reader() as reader:
        words = [text for _, text in reader.most_frequent_terms("body", number=count)]
    return [w.decode() if isinstance(w, bytes) else str(w) for w in words]


def hostile_queries(count: int, words: list[str], rng: random.Random) -> Iterator[str]:
    for number in range(count):
        if number % 500 == 0:
            yield " ".join(rng.choice(words) for _ in range(10_000))
            continue
        if number % 500 == 1:
            yield " ".join(f"{w[:2]}*" for w in rng.sample(words, min(len(words), 400)))
            continue
        pieces = []
        for _ in range(rng.randint(1, 14)):
            roll = rng.random()
            if roll < 0.45:
                pieces.append(rng.choice(words))
            elif roll < 0.85:
                pieces.append(rng.choice(HOSTILE_PIECES))
            elif roll < 0.93:
                pieces.append(rng.choice(words)[: rng.randint(1, 3)] + "*")
            else:
                pieces.append(
                    "".join(chr(rng.randint(1, 0x2FFFF)) for _ in range(rng.randint(1, 8)))
                )
        yield rng.choice([" ", " ", "", ":", " AND ", " OR "]).join(pieces)


def queries_section(index: Path, count: int, rng: random.Random) -> Row:
    row = Row(f"queries: {count:,} hostile")
    words = vocabulary(index, 3000)
    capped = 0
    slowest: list[tuple[float, str]] = []
    with searchkit.Searcher(index) as searcher:
        for query in hostile_queries(count, words, rng):
            row.trials += 1
            row.faults += 1
            options = {
                "limit": rng.choice([1, 10, 100]),
                "page": rng.choice([1, 1, 2, 50]),
                "sort": rng.choice(["relevance", "date"]),
                "use_synonyms": rng.random() < 0.8,
            }
            started = time.perf_counter()
            try:
                results = searcher.search(query, **options)
                for hit in results.hits[:3]:
                    searcher.get(hit.id)
                capped += any("most frequent" in w for w in results.warnings)
            except Exception as exc:
                row.tracebacks += 1
                row.problem(f"{query[:60]!r}: {type(exc).__name__}: {str(exc)[:100]}")
            seconds = time.perf_counter() - started
            row.time(f"{query[:50]!r}... ({len(query):,} chars)", seconds)
            slowest = sorted([*slowest, (seconds, query)], reverse=True)[:5]
    print(f"  queries whose patterns were capped (warning shown): {capped}", flush=True)
    for seconds, query in slowest:
        print(f"  slow: {seconds:.2f} s {query[:160]!r}", flush=True)
    return row


# --------------------------------------------------------------------------- markup, phrases

MARKUP_UNITS = [
    "<script>x",
    "<!--x",
    "<style a=1",
    "<nav x",
    "<SCRIPT type=module>",
    "<svg><noscript><template>",
    "<script><!--<style><svg><nav ",
]
MARKUP_MEGABYTES = [0.05, 0.4, 5.0, 19.0]
MARKUP_HANG_SECONDS = 600


class _Stalled(BaseException):
    """Raised by the alarm; not an Exception, so extract_html cannot turn it into IngestError."""


def _on_markup_alarm(_signum: int, _frame: Any) -> None:
    raise _Stalled


def markup_section(rng: random.Random) -> Row:
    """Pages of unclosed inert tags, cut and extracted; the cut must match its regex spec."""
    from test_ingest_markup import regex_cut

    from searchkit.ingest.markup import _cut_inert

    row = Row("markup: unclosed tags")
    real = seed_pages()
    if EXTRACTION_PAGES.is_dir():
        real += [gzip.decompress(p.read_bytes()) for p in sorted(EXTRACTION_PAGES.glob("*.gz"))]
        real = list(dict.fromkeys(real))
    differ = 0
    for data in real:
        text = data.decode("utf-8", "replace")
        differ += _cut_inert(text) != regex_cut(text)
    print(f"  {len(real)} real pages: {differ} cut differently from the regex", flush=True)
    if differ:
        row.problem(f"{differ} real pages cut differently from the regex (test_ingest_markup)")
    previous = signal.signal(signal.SIGALRM, _on_markup_alarm)
    try:
        for unit in MARKUP_UNITS:
            for megabytes, alone in itertools.product(MARKUP_MEGABYTES, (True, False)):
                body = unit * int(megabytes * 1024 * 1024 / len(unit))
                page = "" if alone or not real else rng.choice(real).decode("utf-8", "replace")
                at = rng.randrange(len(page) + 1)
                markup = page[:at] + body + page[at:]
                row.trials += 1
                row.faults += 1
                started, cpu = time.perf_counter(), time.process_time()
                signal.alarm(MARKUP_HANG_SECONDS)
                try:
                    with contextlib.suppress(searchkit.IngestError):
                        extract_html(markup)
                except _Stalled:
                    row.tracebacks += 1
                    row.problem(f"{unit!r} x {megabytes} MB: stopped after {MARKUP_HANG_SECONDS} s")
                except Exception as exc:
                    row.tracebacks += 1
                    row.problem(f"{unit!r} x {megabytes} MB: {type(exc).__name__}: {exc}")
                finally:
                    signal.alarm(0)
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
                where = "alone" if alone else "inside a real page"
                what = f"{unit!r} x {megabytes} MB {where}"
                print(f"  {what}: {seconds:.2f} s ({cpu:.2f} s CPU)", flush=True)
                row.time(f"{unit!r} repeated, {megabytes} MB {where}", seconds)
    finally:
        signal.signal(signal.SIGALRM, previous)
    return row


def bbc_index(work: Path) -> Path:
    """An index of the BBC collection (read in place), or of generated text without it."""
    index = work / "bbc-index"
    if not index.is_dir():
        if bbc_available():
            searchkit.build_index([BBC], index)
        else:
            corpus = WorkingCorpus.create(work / "generated", initial=2000, spare=0, seed=11)
            searchkit.build_index([corpus.folder], index)
    return index


SHAPES = 5
"""The first queries ``hostile_phrases`` yields are fixed shapes, each timed on its own line."""


def hostile_phrases(count: int, words: list[str], rng: random.Random) -> Iterator[str]:
    """Phrase queries of the shapes that were unbounded, then random mixes of them."""
    common = words[:40]
    repeated = " ".join([common[0]] * 32)
    yield f'"{repeated}"~100'
    yield " ".join(f'"{common[n]} {repeated}"~100' for n in range(12))
    yield " ".join(f'"{" ".join(rng.sample(common, 2))}"~10' for _ in range(300))
    yield " ".join(f'"{" ".join(rng.choices(common, k=32))}"' for _ in range(50))
    yield f'"{common[1]} {common[2]}"~99999999999999999999'
    for _ in range(max(0, count - SHAPES)):
        phrases: list[str] = []
        glue = rng.choice([" ", " OR ", " AND "])
        for _ in range(rng.randint(1, 60)):
            length = rng.choice([2, 2, 3, 5, 8, 16, 32, 40])
            pool = common[: rng.choice([1, 4, 40])]
            slop = rng.choice(["", "", "~2", "~5", "~10", "~50", "~100", "~1000"])
            phrase = f'"{" ".join(rng.choices(pool, k=length))}"{slop}'
            if len(glue.join([*phrases, phrase])) > 10_000:  # the query length cap
                break
            phrases.append(phrase)
        yield glue.join(phrases)


def phrases_section(work: Path, count: int, rng: random.Random) -> Row:
    """Hostile phrase queries on the BBC index: each bound applied must be in the warnings."""
    from searchkit.engine.query_tree import (
        MAX_PHRASE_SLOP,
        MAX_PHRASE_WORDS,
        MAX_QUERY_PHRASE_WORDS,
        MAX_QUERY_PHRASES,
    )

    row = Row(f"queries: {count:,} hostile phrases")
    index = bbc_index(work)
    words = vocabulary(index, 40)
    over = 0
    slowest: list[tuple[float, float, str]] = []
    with searchkit.Searcher(index) as searcher:
        searcher.search("warm up")
        for query in hostile_phrases(count, words, rng):
            row.trials += 1
            row.faults += 1
            started, cpu = time.perf_counter(), time.process_time()
            try:
                results = searcher.search(query, limit=10)
            except Exception as exc:
                row.tracebacks += 1
                row.problem(f"{query[:60]!r}: {type(exc).__name__}: {str(exc)[:100]}")
                continue
            seconds = time.perf_counter() - started
            slowest = sorted([*slowest, (seconds, time.process_time() - cpu, query)])[-5:]
            over += seconds > 2.0
            row.time(f"{query[:50]!r}... ({len(query):,} chars)", seconds)
            if row.trials <= SHAPES:
                print(f"  {seconds:6.2f} s  {query[:70]!r} ({len(query):,} chars)", flush=True)
            typed = [
                (p.split(), int(s or 1)) for p, s in re.findall(r'"([^"]*)"(?:~(\d+))?', query)
            ]
            searched = {(tuple(p[:MAX_PHRASE_WORDS]), min(s, MAX_PHRASE_SLOP)) for p, s in typed}
            said = " ".join(results.warnings)
            expected = {
                "was searched as ~": any(slop > MAX_PHRASE_SLOP for _, slop in typed),
                "cut to its first": any(len(p) > MAX_PHRASE_WORDS for p, _ in typed),
                "not searched: one query searches at most": len(searched) > MAX_QUERY_PHRASES
                or sum(len(p) for p, _ in searched) > MAX_QUERY_PHRASE_WORDS,
            }
            for message, applies in expected.items():
                if applies and message not in said:
                    row.problem(f"{query[:60]!r}: no warning {message!r} ({said[:100]})")
    print(f"  queries over 2 s: {over}", flush=True)
    for seconds, cpu, query in reversed(slowest):
        print(f"  slow: {seconds:.2f} s ({cpu:.2f} s CPU) {query[:160]!r}", flush=True)
    return row


# --------------------------------------------------------------------------- files


def files_section(work: Path, budgets: int, rng: random.Random) -> Row:
    row = Row("files: unreadable, vanishing, full disk")
    corpus = WorkingCorpus.create(work / "files-corpus", initial=200, spare=budgets * 10, seed=7)
    index = work / "files-index"
    searchkit.build_index([corpus.folder], index)
    # unreadable files, under a process that file modes stop
    locked = [corpus.folder / name for name in corpus.present[:5]]
    for path in locked:
        path.chmod(0)
    result = subprocess.run(
        [*searchkit_command(), "index", str(corpus.folder), "--index", str(index), "-q"],
        capture_output=True,
        text=True,
        env=user_environment(),
        preexec_fn=obey_file_modes,
        check=False,
    )
    row.trials += 1
    row.faults += len(locked)
    if result.stderr.count("ermission denied") < len(locked) or crashed(result.stderr):
        row.problem(f"unreadable files not all reported: {result.stderr[-300:]}")
    for path in locked:
        path.chmod(0o644)
    vanishing_and_loops(row, work, corpus)
    # a full disk at many moments
    from whoosh.filedb import filestore

    original = filestore.FileStorage.create_file
    for trial in range(budgets):
        row.trials += 1
        before = index_snapshot(index)
        corpus.mutate(adds=10, edits=3, deletes=2)
        disk = FullDisk(rng.choice([0, 100, 1_000, 10_000, 100_000, 1_000_000, 5_000_000]))

        def create_file(
            self: Any, name: str, *args: Any, _disk: FullDisk = disk, **kwargs: Any
        ) -> Any:
            handle = original(self, name, *args, **kwargs)
            handle.file = _disk.wrap(handle.file)
            return handle

        filestore.FileStorage.create_file = create_file
        try:
            searchkit.build_index([corpus.folder], index)
        except SearchkitError:
            pass
        except Exception as exc:
            row.tracebacks += 1
            row.problem(f"full disk, trial {trial}: {type(exc).__name__}: {exc}")
        finally:
            filestore.FileStorage.create_file = original
        row.faults += disk.tripped
        now = index_snapshot(index)
        if disk.tripped and now != before:
            row.corrupted += 1
            row.problem(f"full disk, trial {trial}: the index changed although the commit failed")
        report = searchkit.build_index([corpus.folder], index, lock_timeout=0)
        after = index_snapshot(index)
        if not report.ok or len(after) != len(corpus.present):
            row.documents_lost += abs(len(corpus.present) - len(after))
            row.problem(f"full disk, trial {trial}: the next run did not recover")
    return row


def vanishing_and_loops(row: Row, work: Path, corpus: WorkingCorpus) -> None:
    """Files deleted between listing and reading, and symbolic-link loops in the corpus."""
    from searchkit.ingest import scan

    index = work / "vanish-index"
    searchkit.build_index([corpus.folder], index)
    files = list(scan([corpus.folder]).files)
    victims = files[5::40]

    def on_progress(done: int, total: int) -> None:
        if done < total and files[done] in victims:
            files[done].unlink()

    row.trials += 1
    row.faults += len(victims)
    before = index_snapshot(index)
    report = searchkit.build_index([corpus.folder], index, on_progress=on_progress)
    if report.failed != len(victims) or index_snapshot(index) != before:
        row.problem(f"vanishing files: {report.summary()}")
    for victim in victims:
        corpus.present.remove(victim.name)
    cleanup = searchkit.build_index([corpus.folder], index)
    if cleanup.removed != len(victims):
        row.documents_lost += 1
        row.problem(f"vanished files not removed on the next run: {cleanup.summary()}")

    loops = work / "loops"
    loops.mkdir()
    for name, data in source_texts(5, seed=8):
        (loops / name).write_bytes(data)
    (loops / "again").symlink_to(loops, target_is_directory=True)
    (loops / "ping.txt").symlink_to("pong.txt")
    (loops / "pong.txt").symlink_to("ping.txt")
    row.trials += 1
    row.faults += 2
    started = time.monotonic()
    try:
        result = cli(["index", loops, "--index", work / "loops-index", "-q"], timeout=HANG_SECONDS)
        if crashed(result.stderr) or "ping.txt" not in result.stderr:
            row.problem(f"symbolic-link loops: {result.stderr[-300:]}")
    except subprocess.TimeoutExpired:
        row.tracebacks += 1
        row.problem("symbolic-link loops: indexing hung")
    row.time("corpus with link loops", time.monotonic() - started)


# --------------------------------------------------------------------------- crafted pickles


PICKLE_SLOTS = ("toc segments", "toc schema", "segment directory", "whoosh 1 toc")
"""Where a gadget is planted: the TOC's pickled segment list or schema, a segment file's
pickled directory of parts, or the schema of a table of contents in Whoosh 1's format."""


def pickles_section(work: Path) -> Row:
    """Indexes whose pickles hold ``__reduce__`` gadgets that would create a marker file.

    Every command must say the index is damaged (or simply work, where it never
    reads the planted pickle), ``--rebuild`` must repair it, and the marker must
    never appear: a payload that ran is counted as a corrupted index.
    """
    from test_unpickling import (
        GADGETS,
        gadget_module_dir,
        payload_ran,
        plant_in_segment,
        plant_in_toc,
    )

    row = Row(f"crafted pickles: {len(GADGETS)} gadgets")
    corpus = WorkingCorpus.create(work / "pickles-corpus", initial=120, spare=0, seed=11)
    pristine = work / "pickles-pristine"
    cli(["index", corpus.folder, "--index", pristine, "-q"])
    doc_id = sorted(index_snapshot(pristine))[0]
    commands = [
        ["stats"],
        ["query", "government"],
        ["show", doc_id],
        ["index", corpus.folder, "-q"],
        ["index", corpus.folder, "-q", "--rebuild"],
    ]
    for name in GADGETS:
        for slot in PICKLE_SLOTS:
            case = work / "pickles-case"
            shutil.rmtree(case, ignore_errors=True)
            marker = case / "marker"
            env = user_environment()
            env["PYTHONPATH"] = str(gadget_module_dir(case / "modules", marker))
            row.faults += 1
            for number, args in enumerate(commands):
                # Each command gets its own crafted copy: a run that commits rewrites the TOC.
                index = case / f"index-{number}"
                shutil.copytree(pristine, index)
                if slot == "segment directory":
                    plant_in_segment(index, name, marker)
                elif slot == "whoosh 1 toc":
                    plant_in_toc(index, name, marker, slot="schema", version=-110)
                else:
                    plant_in_toc(index, name, marker, slot=slot.split()[1])
                row.trials += 1
                what = f"{name} in the {slot}: `{' '.join(map(str, args[:1] + args[-1:]))}`"
                started = time.monotonic()
                try:
                    result = subprocess.run(
                        [*searchkit_command(), *map(str, args), "--index", str(index)],
                        capture_output=True,
                        text=True,
                        timeout=HANG_SECONDS,
                        env=env,
                        check=False,
                    )
                except subprocess.TimeoutExpired:
                    row.tracebacks += 1
                    row.problem(f"{what} hung")
                    continue
                row.time(what, time.monotonic() - started)
                if crashed(result.stderr):
                    row.tracebacks += 1
                    row.problem(f"{what}: {result.stderr[-300:]}")
                elif result.returncode != 0 and (
                    REBUILD_HINT not in result.stderr or str(index) not in result.stderr
                ):
                    row.problem(f"{what} unclear: {result.stderr[-200:]}")
            if payload_ran(marker, name):
                row.corrupted += 1
                row.problem(f"{name} in the {slot}: the payload ran")
            documents, _error = usable(index)  # the --rebuild copy
            missing = len(corpus.present) - (documents or 0)
            if missing:
                row.documents_lost += missing
                row.problem(f"{name} in the {slot}: --rebuild did not restore every document")
    return row


# --------------------------------------------------------------------------- power loss


def powerloss_section(work: Path) -> Row:
    """Several kinds of commit, each recorded write by write, flush by flush; after every
    event, the folder is rebuilt in each way a power cut there could leave it and opened.

    It must open at the old commit or the new one (anything else is a corrupted
    index, or a traceback for an unexpected exception), and once the commit has
    returned, at the new one (otherwise its documents count as lost).
    """
    from test_durability import NAMINGS, rebuild_folder, record

    row = Row("power loss at every durable point")
    corpus = WorkingCorpus.create(work / "power-corpus", initial=60, spare=200, seed=13)
    index = work / "power-index"
    searchkit.build_index([corpus.folder], index)
    synonyms = work / "power-synonyms.txt"
    synonyms.write_text("harbour, port\ngovernment, cabinet\n", encoding="utf-8")

    def build(**options: Any) -> Callable[[], None]:
        return lambda: (searchkit.build_index([corpus.folder], index, **options), None)[1]

    def by_hand() -> None:
        with searchkit.Indexer(index) as indexer:
            for n in range(3):
                indexer.add(searchkit.Article(f"hand-{n}", "Harbour news", "The harbour is open."))
            indexer.delete(sorted(index_snapshot(index))[0])

    commits: list[tuple[str, Callable[[], None], Callable[[], None]]] = [
        ("incremental build", lambda: corpus.mutate(adds=10, edits=5, deletes=5), build()),
        ("bulk build in workers", lambda: corpus.mutate(adds=150, edits=0, deletes=0), build()),
        ("Indexer adds and a delete", lambda: None, by_hand),
        ("new synonyms: re-analysis", lambda: None, build(synonyms=synonyms)),
        ("rebuild", lambda: corpus.mutate(adds=0, edits=3, deletes=3), build(rebuild=True)),
    ]
    for number, (label, prepare, commit) in enumerate(commits):
        prepare()
        recorded = record(index, work / f"power-events-{number}.log", commit)
        row.faults += len(recorded.recorder.states)
        seen: set[str] = set()
        for point, state in enumerate(recorded.recorder.states):
            for naming in NAMINGS:
                for unflushed in ("missing", "empty"):
                    copy = work / "power-cut"
                    shutil.rmtree(copy, ignore_errors=True)
                    started = time.monotonic()
                    rebuild_folder(state, naming, unflushed, copy)
                    key = repr(sorted((p.name, p.read_bytes()) for p in copy.iterdir()))
                    if key in seen:
                        continue
                    seen.add(key)
                    row.trials += 1
                    where = f"{label}, cut after {state.after} ({naming}, unflushed {unflushed})"
                    outcome, detail = power_cut_outcome(recorded.before, recorded.after, copy)
                    row.time(f"{label}: open after a cut", time.monotonic() - started)
                    if outcome == "traceback":
                        row.tracebacks += 1
                    elif outcome in ("damaged", "mix"):
                        row.corrupted += 1
                    if detail:
                        row.problem(f"{where}: {outcome}: {detail[:200]}")
                    finished = point == len(recorded.recorder.states) - 1
                    strict = naming == "flushed" and unflushed == "missing"
                    if finished and strict and outcome == "old":
                        lost = set(recorded.after.items()) - set(recorded.before.items())
                        row.documents_lost += len(lost)
                        row.problem(f"{label}: the finished commit did not survive a power cut")
    return row


def power_cut_outcome(before: dict[str, str], after: dict[str, str], copy: Path) -> tuple[str, str]:
    """Which commit the folder a power cut left opens at ("old", "new", "damaged", "mix"
    or "traceback"), and the detail of what went wrong."""
    from test_reliability_support import check_index_usable

    try:
        check_index_usable(copy)
        documents = index_snapshot(copy)
    except SearchkitError as exc:
        return "damaged", str(exc)
    except Exception as exc:
        return "traceback", f"{type(exc).__name__}: {exc}"
    if documents == before:
        return "old", ""
    if documents == after:
        return "new", ""
    return "mix", f"{len(documents)} documents, neither commit"


# --------------------------------------------------------------------------- sync and names


def sync_section(work: Path, cycles: int, rng: random.Random) -> Row:
    """Random edits of feeds, records, captures and a linked folder; after every run the
    index must hold exactly the records present (every fifth run is first killed)."""
    row = Row("sync: random file/record edit cycles converge")
    corpus = FeedCorpus.create(work / "sync", seed=rng.randrange(2**32))
    index = work / "sync" / "index"
    args = ["index", corpus.folder, "--index", index, "-q", "--follow-links"]
    searchkit.build_index([corpus.folder], index, follow_links=True)
    for cycle in range(cycles):
        row.trials += 1
        for _ in range(rng.randint(1, 3)):
            corpus.edit()
            row.faults += 1
        started = time.monotonic()
        try:
            if cycle % 5 == 4:
                row.faults += kill_after(start_cli(args), rng.uniform(0.2, 1.2))
                result = cli(args)
                if crashed(result.stderr) or result.returncode not in (0, 1):
                    row.tracebacks += crashed(result.stderr)
                    row.problem(f"cycle {cycle}: exit {result.returncode}: {result.stderr[-300:]}")
            else:
                report = searchkit.build_index([corpus.folder], index, follow_links=True)
                failing = len(report.failures) + len(report.still_failing)  # new and old
                if failing != corpus.expected_duplicates():
                    row.problem(f"cycle {cycle}: {failing} failures, expected duplicates")
        except Exception as exc:
            row.tracebacks += 1
            row.problem(f"cycle {cycle}: {type(exc).__name__}: {exc}")
            continue
        row.time(f"cycle {cycle}", time.monotonic() - started)
        (want_records, want_captures) = corpus.expected()
        (got_records, got_captures) = sync_indexed(index)
        wrong = {
            i
            for i in want_records.keys() | got_records.keys()
            if want_records.get(i) != got_records.get(i)
        }
        wrong_captures = want_captures ^ got_captures
        if wrong or wrong_captures:
            row.documents_lost += len(wrong) + len(wrong_captures)
            row.problem(
                f"cycle {cycle}: differs in {sorted(wrong)[:5]} {sorted(wrong_captures)[:3]}"
                f" after {corpus.log[-3:]}"
            )
        documents, error = usable(index)
        if documents is None:
            row.corrupted += 1
            row.problem(f"cycle {cycle}: index unusable: {error}")
    return row


def names_section(work: Path, trials: int, rng: random.Random) -> Row:
    """File names with bytes that are not UTF-8 and records whose fields hold lone
    surrogates, among good files: each bad record fails alone, each bad name is indexed
    under the same id on every run and after --rebuild, and nothing says "damaged"."""
    row = Row("names: bad file names and ids")
    for trial in range(trials):
        row.trials += 1
        folder = work / "names" / f"t{trial}"
        folder.mkdir(parents=True)
        index = work / "names" / f"i{trial}"
        odd_names = [
            bytes(folder)
            + b"/"
            + bytes([rng.choice([*range(0x80, 0xC0), *range(0xF8, 0x100)])])  # never UTF-8
            + rng.choice("abc").encode()
            + f"-{n}.txt".encode()
            for n in range(rng.randint(1, 3))
        ]
        for n, name in enumerate(odd_names):
            with open(name, "wb") as handle:
                handle.write(f"Odd name {n}\n\nThe harbour council met about odd {n}.\n".encode())
        field_name = rng.choice(["id", "title", "source", "author", "url"])
        bad = {"id": f"bad-{trial}", "title": "Bad", "body": "harbour bad"}
        bad[field_name] = rng.choice(["\ud800", "x\udfff", "\udc80y"])
        good = {"id": f"good-{trial}", "title": "Good", "body": "harbour good"}
        (folder / "feed.jsonl").write_text(
            json.dumps(bad) + "\n" + json.dumps(good) + "\n", encoding="utf-8"
        )
        row.faults += len(odd_names) + 1
        started = time.monotonic()
        seen: list[list[tuple[str, str | None]]] = []
        for extra in ([], [], ["--rebuild"]):
            result = cli(["index", folder, "--index", index, "-q", *extra])
            if crashed(result.stderr):
                row.tracebacks += 1
            failures = [line for line in result.stderr.splitlines() if line.startswith("failed:")]
            # an id cannot be repaired, so it fails; other fields may lose the surrogate instead
            allowed = (1,) if field_name == "id" else (0, 1)
            # an emptied title fails as "record has no title": still that record alone
            where = f"feed.jsonl:1: field '{field_name}'" if field_name == "id" else "feed.jsonl:1:"
            named = all(where in line for line in failures)
            if len(failures) not in allowed or not named or "damaged" in result.stderr:
                row.problem(f"trial {trial} ({field_name}): {result.stderr[-300:]}")
            seen.append(odd_documents(row, index, len(odd_names), f"good-{trial}"))
        row.time(f"trial {trial} ({field_name})", time.monotonic() - started)
        if seen[0] != seen[1] or seen[1] != seen[2]:
            row.problem(f"trial {trial}: ids or paths changed between runs: {seen}")
        paths = [path or "" for hit in seen[-1] for path in hit[1:]]
        if any("%" not in path for path in paths):
            row.problem(f"trial {trial}: odd names not stored percent-encoded: {paths}")
    return row


def odd_documents(row: Row, index: Path, odd: int, good: str) -> list[tuple[str, str | None]]:
    """(id, path) of each odd-named file's document; a missing one counts as lost."""
    found: list[tuple[str, str | None]] = []
    try:
        with searchkit.Searcher(index) as searcher:
            for n in range(odd):
                hits = searcher.search(f'"odd name {n}"').hits
                found += [(hit.id, hit.path) for hit in hits[:1]]
                row.documents_lost += len(hits) != 1
            searcher.get(good)
    except SearchkitError as exc:
        row.documents_lost += 1
        row.problem(f"{index.name}: {exc}")
    except Exception as exc:
        row.corrupted += 1
        row.problem(f"{index.name}: {type(exc).__name__}: {exc}")
    return found


# --------------------------------------------------------------------------- synonyms

SYNONYM_SIZES = (0, 2_000, 8_000, 100_000)
"""Alias groups per trial; 0 is the baseline: only the probed groups, the same documents."""
SYNONYM_PROBES = (0, 990, 1_990)
"""Groups a probe document uses (present at every size, so every index holds the same hits)."""
SYNONYM_TARGETS = (10.0, 0.005)
"""Index 100,000 groups in under 10 s; a query costs at most 5 ms more than the baseline."""
SYNONYM_QUERIES = ("harbour council", "Zq{k}x", "vorb{k} talka", "Pel{k}", '"ferry Vorb{k}-Q"')
SYNONYM_ROUNDS = 7
"""Times each query is timed (the median of all of them is reported)."""


def synonym_file(path: Path, count: int) -> None:
    """Write ``count`` groups, every tenth extended by a later line (or only the probed ones)."""
    numbers = range(count) if count else SYNONYM_PROBES
    lines = [f"Vorb{n} Talka, Vorb{n}-Q, Zq{n}x" for n in numbers]
    lines += [f"Zq{n}x, Pel{n}" for n in numbers if n % 10 == 0]  # merged into group n
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def synonyms_section(work: Path) -> Row:
    """Many alias groups: index time, every alias found, and what the groups add per query."""
    row = Row("synonyms: 2k-100k alias groups")
    base = work / "synonyms"
    corpus = base / "corpus"
    corpus.mkdir(parents=True)
    for name, data in source_texts(200, seed=6):
        (corpus / name).write_bytes(data)
    for k in SYNONYM_PROBES:
        (corpus / f"probe-{k}.txt").write_text(
            f"Probe {k}\n\nThe ferry Vorb{k}-Q met the harbour council today.\n"
        )
    baseline: dict[str, float] = {}
    for count in SYNONYM_SIZES:
        aliases = base / f"aliases-{count}.txt"
        synonym_file(aliases, count)
        index = base / f"index-{count}"
        started = time.perf_counter()
        result = cli(["index", corpus, "--index", index, "-q", "--synonyms", aliases])
        index_seconds = time.perf_counter() - started
        row.trials += 1
        row.faults += count
        if result.returncode != 0 or crashed(result.stderr):
            row.tracebacks += crashed(result.stderr)
            row.problem(f"{count:,} groups: index exit {result.returncode}: {result.stderr[-300:]}")
            continue
        row.time(f"index with {count:,} groups", index_seconds)
        per_query, lost = synonym_queries(row, index, count)
        row.documents_lost += lost
        probe = f"Zq{SYNONYM_PROBES[-1]}x"
        cli_seconds = sorted(timed(["query", probe, "--index", index]) for _ in range(3))[1]
        if not count:
            baseline = {"query": per_query, "cli": cli_seconds}
        extra_query = per_query - baseline["query"]
        extra_cli = cli_seconds - baseline["cli"]
        print(
            f"  {count or len(SYNONYM_PROBES):,} groups: index {index_seconds:.2f} s; query p50 "
            f"{per_query * 1000:.1f} ms ({extra_query * 1000:+.1f} ms); `searchkit query` p50 "
            f"{cli_seconds:.2f} s ({extra_cli:+.2f} s)",
            flush=True,
        )
        if count == max(SYNONYM_SIZES) and index_seconds > SYNONYM_TARGETS[0]:
            row.problem(f"{count:,} groups took {index_seconds:.1f} s to index")
        if count and extra_query > SYNONYM_TARGETS[1]:
            row.problem(f"{count:,} groups add {extra_query * 1000:.1f} ms per query")
    return row


def timed(args: list[Any]) -> float:
    """Wall seconds of one `searchkit ARGS` run."""
    started = time.perf_counter()
    cli(args)
    return time.perf_counter() - started


def synonym_queries(row: Row, index: Path, count: int) -> tuple[float, int]:
    """(median seconds per query, probe documents an alias query missed) on one index."""
    seconds: list[float] = []
    lost = 0
    with searchkit.Searcher(index) as searcher:
        for template in SYNONYM_QUERIES:  # warm up: the first search loads what it needs
            searcher.search(template.format(k=SYNONYM_PROBES[0]), limit=50)
        for k in SYNONYM_PROBES:
            for template in SYNONYM_QUERIES:
                query = template.format(k=k)
                for _round in range(SYNONYM_ROUNDS):
                    started = time.perf_counter()
                    results = searcher.search(query, limit=50)
                    seconds.append(time.perf_counter() - started)
                row.trials += 1
                if "{k}" in template and f"Probe {k}" not in {hit.title for hit in results}:
                    lost += 1
                    row.problem(f"{count:,} groups: {query!r} missed the document using it")
    return sorted(seconds)[len(seconds) // 2], lost


# --------------------------------------------------------------------------- main


def print_table(rows: list[Row]) -> None:
    header = (
        "| section | trials | faults injected | documents lost | corrupted indexes "
        "| tracebacks | worst seconds | worst case |"
    )
    print()
    print(header)
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        print(
            f"| {row.section} | {row.trials:,} | {row.faults:,} | {row.documents_lost} "
            f"| {row.corrupted} | {row.tracebacks} | {row.worst_seconds:.2f} | {row.worst_what} |"
        )
    total = Row("total")
    for row in rows:
        total.trials += row.trials
        total.faults += row.faults
        total.documents_lost += row.documents_lost
        total.corrupted += row.corrupted
        total.tracebacks += row.tracebacks
    print(
        f"| **total** | {total.trials:,} | {total.faults:,} | {total.documents_lost} "
        f"| {total.corrupted} | {total.tracebacks} | | |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=30, help="SIGKILLs of indexers (30)")
    parser.add_argument("--docs", type=int, default=10_000, help="hostile documents (10,000)")
    parser.add_argument("--queries", type=int, default=10_000, help="hostile queries (10,000)")
    parser.add_argument("--flips", type=int, default=300, help="byte-flipped index copies (300)")
    parser.add_argument("--rounds", type=int, default=100, help="writer commits for readers")
    parser.add_argument("--budgets", type=int, default=20, help="full-disk trials (20)")
    parser.add_argument("--cycles", type=int, default=200, help="sync edit cycles (200)")
    parser.add_argument("--names", type=int, default=20, help="bad-name trials (20)")
    parser.add_argument("--phrases", type=int, default=100, help="hostile phrase queries (100)")
    parser.add_argument(
        "--monster-scale", type=float, default=1.0, help="scale the monster pages (1.0 = 19 MB)"
    )
    parser.add_argument("--seed", type=int, default=2026, help="seed for every random choice")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument(
        "--sections",
        default=(
            "crash,queries,readers,writers,damage,documents,monsters,files,"
            "pickles,powerloss,sync,names,synonyms,markup,phrases"
        ),
        help="comma-separated subset to run (queries needs crash's index)",
    )
    options = parser.parse_args(argv)
    rng = random.Random(options.seed)
    corpus_note = f"BBC collection at {BBC}" if bbc_available() else "generated text"
    print(f"searchkit {searchkit.__version__}; corpus: {corpus_note}", flush=True)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="searchkit-reliability-") as scratch:
        work = Path(scratch)
        sections: list[tuple[str, Callable[[], Row]]] = [
            ("crash", lambda: crash_section(work / "crash", options.kills, rng)),
            ("queries", lambda: queries_section(work / "crash" / "index", options.queries, rng)),
            ("readers", lambda: readers_section(work, options.rounds)),
            ("writers", lambda: writers_section(work, 6)),
            ("damage", lambda: damage_section(work, options.flips, rng)),
            ("documents", lambda: documents_section(work, options.docs, rng)),
            ("monsters", lambda: monsters_section(work, options.monster_scale)),
            ("files", lambda: files_section(work, options.budgets, rng)),
            ("pickles", lambda: pickles_section(work)),
            ("powerloss", lambda: powerloss_section(work)),
            ("sync", lambda: sync_section(work, options.cycles, rng)),
            ("names", lambda: names_section(work, options.names, rng)),
            ("synonyms", lambda: synonyms_section(work)),
            ("markup", lambda: markup_section(rng)),
            ("phrases", lambda: phrases_section(work, options.phrases, rng)),
        ]
        (work / "crash").mkdir()
        wanted = set(options.sections.split(","))
        for name, run in sections:
            if name not in wanted:
                continue
            started = time.monotonic()
            print(f"== {name}", flush=True)
            rows.append(run())
            print(f"   {time.monotonic() - started:.0f} s", flush=True)
    print_table(rows)
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps([asdict(row) for row in rows], indent=2))
    failed = sum(row.documents_lost + row.corrupted + row.tracebacks for row in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
