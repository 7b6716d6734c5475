"""The folder sync: after a run the index holds exactly the records the files hold.

Records deleted from a feed go, files reached through a linked folder go with
the files or the link, a name that is not text fails alone (a file name that
is not UTF-8 is indexed under a safe id), and an id held by two files stays
with the file whose path sorts first, reported on the run that causes the
clash. ``FeedCorpus`` makes random edits and knows what the index should then
hold; the property test and benchmarks/reliability.py both drive it.
"""

from __future__ import annotations

import json
import random
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from query_output import json_hits
from test_reliability_support import run_cli, start_cli

import searchkit
from searchkit import Article, IngestError

# --------------------------------------------------------------------------- a corpus that knows


EDITS = (
    "add feed",
    "add capture",
    "add record",
    "change record",
    "drop record",
    "change capture",
    "delete file",
    "toggle link",
    "edit linked folder",
)
"""What FeedCorpus.edit can do, one of each per call."""

ID_POOL = tuple(f"r{n}" for n in range(8))
"""Record ids are drawn from a small pool, so the same id often sits in two files."""

LINK_NAME = "zz-linked"


@dataclass
class FeedCorpus:
    """JSON Lines feeds and text captures under ``folder`` (and a folder linked into it).

    Every record and capture version gets a title of its own, so what the
    index holds can be checked exactly: ``expected`` says it from the files
    alone (for each id, the file whose path sorts first), ``indexed`` reads
    the index with Whoosh directly.
    """

    folder: Path
    outside: Path
    rng: random.Random
    serial: int = 0
    log: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, root: Path, seed: int) -> FeedCorpus:
        corpus = cls(root / "corpus", root / "elsewhere", random.Random(seed))
        corpus.folder.mkdir(parents=True)
        corpus.outside.mkdir(parents=True)
        for _ in range(3):
            corpus.edit("add feed")
        corpus.edit("add capture")
        return corpus

    # -- editing ---------------------------------------------------------------

    def edit(self, what: str | None = None) -> str:
        """Make one random edit (or the one named); returns what it did."""
        what = what or self.rng.choice(EDITS)
        feeds = self._files(".jsonl")
        captures = self._files(".txt")
        if what == "add feed" or (
            what in ("add record", "change record", "drop record") and not feeds
        ):
            folder = self.outside if self.rng.random() < 0.25 else self.folder
            path = folder / f"f{self._next()}.jsonl"
            self._write_feed(path, [self._record() for _ in range(self.rng.randint(1, 4))])
        elif what == "add capture" or (what == "change capture" and not captures):
            path = self.folder / f"c{self._next()}.txt"
            self._write_capture(path)
        elif what == "add record":
            path = self.rng.choice(feeds)
            self._write_feed(path, [*self._read_feed(path), self._record()])
        elif what == "change record":
            path = self.rng.choice(feeds)
            records = self._read_feed(path)
            records[self.rng.randrange(len(records))] = self._record(
                own_id=self.rng.choice(records)["id"]
            )
            self._write_feed(path, records)
        elif what == "drop record":
            path = self.rng.choice(feeds)
            records = self._read_feed(path)
            records.pop(self.rng.randrange(len(records)))
            if records:
                self._write_feed(path, records)
            else:
                path.unlink()
        elif what == "change capture":
            path = self.rng.choice(captures)
            self._write_capture(path)
        elif what == "delete file":
            files = feeds + captures
            if files:
                self.rng.choice(files).unlink()
        elif what == "toggle link":
            link = self.folder / LINK_NAME
            if link.is_symlink():
                link.unlink()
            else:
                link.symlink_to(self.outside, target_is_directory=True)
        elif what == "edit linked folder":
            linked = sorted(self.outside.glob("*.jsonl"))
            if linked and self.rng.random() < 0.5:
                self.rng.choice(linked).unlink()
            else:
                self._write_feed(self.outside / f"f{self._next()}.jsonl", [self._record()])
        else:
            raise ValueError(what)
        self.log.append(what)
        return what

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def _record(self, own_id: str | None = None) -> dict[str, str]:
        number = self._next()
        return {
            "id": own_id or self.rng.choice(ID_POOL),
            "title": f"Record version {number}",
            "body": f"The harbour council met about berth {number}.",
        }

    def _write_feed(self, path: Path, records: list[dict[str, str]]) -> None:
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    def _read_feed(self, path: Path) -> list[dict[str, str]]:
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def _write_capture(self, path: Path) -> None:
        number = self._next()
        text = f"Capture version {number}\n\nThe harbour council met about pier {number}.\n"
        path.write_text(text, encoding="utf-8")

    def _files(self, suffix: str) -> list[Path]:
        """The files of one kind an indexing run sees (the linked folder only while linked)."""
        found = sorted(self.folder.glob(f"*{suffix}"))
        link = self.folder / LINK_NAME
        if link.is_symlink():
            found += sorted(link.glob(f"*{suffix}"))
        return found

    # -- what the index should hold ----------------------------------------------

    def expected(self) -> tuple[dict[str, str], set[str]]:
        """Record id -> title (the first path in sorted order keeps an id), and capture titles."""
        records: dict[str, str] = {}
        for path in sorted(self._files(".jsonl")):
            for record in self._read_feed(path):
                records.setdefault(record["id"], record["title"])
        captures = {path.read_text("utf-8").split("\n", 1)[0] for path in self._files(".txt")}
        return records, captures

    def expected_duplicates(self) -> int:
        """How many record copies lose their id to an earlier one (each is a failure)."""
        ids = [r["id"] for path in self._files(".jsonl") for r in self._read_feed(path)]
        return len(ids) - len(set(ids))


def indexed(index: Path) -> tuple[dict[str, str], set[str]]:
    """What the index holds, read with Whoosh directly: record id -> title, capture titles."""
    from whoosh import index as whoosh_index

    records: dict[str, str] = {}
    captures: set[str] = set()
    ix = whoosh_index.open_dir(str(index))
    with ix.searcher() as searcher:
        for doc in searcher.documents():
            if str(doc.get("path", "")).endswith(".jsonl"):
                records[doc["id"]] = doc["title"]
            else:
                captures.add(doc["title"])
    ix.close()
    return records, captures


def sync(corpus: FeedCorpus, index: Path) -> searchkit.IndexReport:
    return searchkit.build_index([corpus.folder], index, follow_links=True)


# --------------------------------------------------------------------------- stale documents


def feed(path: Path, *ids: str) -> Path:
    lines = [json.dumps({"id": i, "title": f"Story {i}", "body": f"harbour {i}"}) for i in ids]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_a_record_deleted_from_a_feed_is_gone_after_the_next_run(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    feed(corpus / "m.jsonl", "r1", "r2", "r3")
    index = tmp_path / "index"
    assert run_cli(["index", corpus, "--index", index, "-q"]).returncode == 0
    assert run_cli(["show", "r2", "--index", index]).returncode == 0
    feed(corpus / "m.jsonl", "r1", "r3")
    result = run_cli(["index", corpus, "--index", index, "-q"])
    assert result.returncode == 0 and "removed 1" in result.stdout, result.stdout
    assert run_cli(["show", "r2", "--index", index]).returncode == 1
    assert run_cli(["show", "r3", "--index", index]).returncode == 0


def test_files_through_a_linked_folder_go_with_the_files_and_the_link(tmp_path: Path) -> None:
    corpus, elsewhere = tmp_path / "corpus", tmp_path / "elsewhere"
    corpus.mkdir()
    elsewhere.mkdir()
    feed(corpus / "own.jsonl", "own")
    feed(elsewhere / "one.jsonl", "one")
    feed(elsewhere / "two.jsonl", "two")
    (corpus / "linked").symlink_to(elsewhere, target_is_directory=True)
    index = tmp_path / "index"
    run = ["index", corpus, "--index", index, "-q", "--follow-links"]
    assert run_cli(run).returncode == 0
    assert run_cli(["show", "one", "--index", index]).stdout.count(str(corpus / "linked")) == 1
    (elsewhere / "one.jsonl").unlink()
    assert "removed 1" in run_cli(run).stdout
    assert run_cli(["show", "one", "--index", index]).returncode == 1
    (corpus / "linked").unlink()
    assert "removed 1" in run_cli(run).stdout
    assert run_cli(["show", "two", "--index", index]).returncode == 1
    assert run_cli(["show", "own", "--index", index]).returncode == 0


def test_a_partly_broken_feed_keeps_its_old_records_until_it_is_fixed(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    index = tmp_path / "index"
    feed(corpus / "m.jsonl", "r1", "r2", "r3")
    searchkit.build_index([corpus], index)
    path = feed(corpus / "m.jsonl", "r1", "r3")
    path.write_text(path.read_text("utf-8") + '{"id": "r4", "title": "cut off\n', "utf-8")
    first = searchkit.build_index([corpus], index)
    assert (first.failed, first.removed) == (1, 0)
    assert first.failures[0].line == 3
    assert indexed(index)[0].keys() == {"r1", "r2", "r3"}
    # the next run reports it as still failing (not new), and r2 is still kept
    again = searchkit.build_index([corpus], index)
    assert (again.failed, len(again.still_failing), again.removed) == (0, 1, 0)
    assert again.still_failing[0].line == 3
    assert indexed(index)[0].keys() == {"r1", "r2", "r3"}
    feed(corpus / "m.jsonl", "r1", "r3")
    assert searchkit.build_index([corpus], index).removed == 1
    assert indexed(index)[0].keys() == {"r1", "r3"}


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    edits=st.lists(st.sampled_from(EDITS), min_size=1, max_size=10),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_any_sequence_of_edits_converges_to_exactly_the_records_present(
    edits: list[str], seed: int
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        corpus = FeedCorpus.create(Path(scratch), seed)
        index = Path(scratch) / "index"
        sync(corpus, index)
        for what in edits:
            corpus.edit(what)
            report = sync(corpus, index)
            assert indexed(index) == corpus.expected(), corpus.log
            failing = report.failures + report.still_failing
            assert len(failing) == corpus.expected_duplicates(), failing
        # and a run with nothing changed changes nothing
        again = sync(corpus, index)
        assert (again.added, again.updated, again.removed) == (0, 0, 0)


def kill_after(process: subprocess.Popen[str], seconds: float) -> bool:
    """SIGKILL a child after ``seconds`` and reap it; False if it had already finished."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    running = process.poll() is None
    if running:
        process.kill()
    process.communicate(timeout=60)
    return running


@pytest.mark.slow
def test_killed_runs_then_a_full_run_converge(tmp_path: Path) -> None:
    corpus = FeedCorpus.create(tmp_path, seed=9)
    index = tmp_path / "index"
    args = ["index", corpus.folder, "--index", index, "-q", "--follow-links"]
    started = time.monotonic()
    assert run_cli(args).returncode in (0, 1)
    run_seconds = time.monotonic() - started
    rng = random.Random(4)
    killed = 0
    for _ in range(5):
        for _ in range(3):
            corpus.edit()
        killed += kill_after(start_cli(args), rng.uniform(0.2, 0.9) * run_seconds)
        result = run_cli(args)
        assert result.returncode in (0, 1), result.stderr
        assert indexed(index) == corpus.expected(), corpus.log
    assert killed >= 3  # most runs really were cut short


# --------------------------------------------------------------------------- names not text


def test_a_file_name_that_is_not_utf8_is_indexed_under_a_stable_safe_id(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    name = b"bad\xff.txt"
    with open(bytes(corpus) + b"/" + name, "wb") as handle:
        handle.write(b"Odd name\n\nThe harbour council met about the odd name.\n")
    feed(corpus / "good.jsonl", "good")
    index = tmp_path / "index"
    ids = []
    for extra in ([], [], ["--rebuild"]):
        result = run_cli(["index", corpus, "--index", index, "-q", *extra])
        assert result.returncode == 0, result.stderr
        hits = run_cli(["query", "odd name", "--index", index, "--json"]).stdout.splitlines()
        [hit] = json_hits("\n".join(hits))
        assert hit["path"] == str(corpus / "bad%FF.txt")
        assert hit["id"].isascii()
        ids.append(hit["id"])
    assert len(set(ids)) == 1
    shown = run_cli(["show", ids[0], "--index", index])
    assert shown.returncode == 0 and "bad%FF.txt" in shown.stdout
    assert run_cli(["show", "good", "--index", index]).returncode == 0


def test_a_record_whose_id_is_not_text_fails_alone(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "s.jsonl").write_text(
        '{"id": "\\ud800", "title": "Bad id", "body": "harbour bad"}\n'
        '{"id": "fine", "title": "Fine id", "body": "harbour fine"}\n'
        '{"id": "outlet", "title": "Odd outlet", "body": "harbour", "source": "Wire\\udfff"}\n',
        encoding="utf-8",
    )
    feed(corpus / "other.jsonl", "other")
    index = tmp_path / "index"
    # new on the first run, still failing on the next; never as a damaged index
    for expected, strict in (("failed 1", ()), ("still failing 1", ("--strict",))):
        result = run_cli(["index", corpus, "--index", index, "-q", *strict])
        assert result.returncode == 1
        assert expected in result.stdout
        assert f"{corpus / 's.jsonl'}:1: field 'id'" in result.stderr
        assert "damaged" not in result.stderr and "--rebuild" not in result.stderr
    for doc_id in ("fine", "other"):
        assert run_cli(["show", doc_id, "--index", index]).returncode == 0
    assert "source: Wire\n" in run_cli(["show", "outlet", "--index", index]).stdout


def test_the_indexer_refuses_an_article_it_cannot_store(tmp_path: Path) -> None:
    index = tmp_path / "index"
    with searchkit.Indexer(index) as indexer:
        indexer.add(Article("fine", "Fine", "harbour fine"))
        with pytest.raises(IngestError, match="lone surrogate"):
            indexer.add(Article("bad", "Bad \ud800 title", "harbour bad"))
        indexer.add(Article("path", "Path", "harbour path", path="/x/bad\udcff.txt"))
    with searchkit.Searcher(index) as searcher:
        assert searcher.stats().documents == 2
        assert searcher.get("path").path == "/x/bad%FF.txt"


# --------------------------------------------------------------------------- duplicate ids


def test_a_duplicate_id_is_reported_on_the_run_that_adds_it(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    feed(corpus / "m.jsonl", "r1", "r2")
    index = tmp_path / "index"
    assert run_cli(["index", corpus, "--index", index, "-q"]).returncode == 0
    (corpus / "a.jsonl").write_text(
        json.dumps({"id": "r1", "title": "Copy in a", "body": "harbour copy"}) + "\n", "utf-8"
    )
    # new on the run that adds a.jsonl (exit 1), still failing on every run after (exit 0)
    for status, verbose in ((1, ()), (0, ("--verbose",))):
        result = run_cli(["index", corpus, "--index", index, "-q", *verbose])
        assert result.returncode == status, result.stderr
        assert f"{corpus / 'm.jsonl'}: duplicate id 'r1' (also in {corpus / 'a.jsonl'}" in (
            result.stderr
        )
        shown = run_cli(["show", "r1", "--index", index]).stdout
        assert "Copy in a" in shown  # a.jsonl sorts first, so it keeps r1
    (corpus / "a.jsonl").unlink()
    result = run_cli(["index", corpus, "--index", index, "-q"])
    assert result.returncode == 0, result.stderr
    assert "Story r1" in run_cli(["show", "r1", "--index", index]).stdout
    assert run_cli(["show", "r2", "--index", index]).returncode == 0


def test_which_copy_keeps_an_id_does_not_depend_on_history(tmp_path: Path) -> None:
    """a.jsonl keeps r1 whether it came first, came later, or both came at once."""
    winners = []
    for order in (("a", "z"), ("z", "a"), ("az",)):
        corpus, index = tmp_path / f"{order}-corpus", tmp_path / f"{order}-index"
        corpus.mkdir()
        for step in order:
            for name in step:
                (corpus / f"{name}.jsonl").write_text(
                    json.dumps({"id": "r1", "title": f"From {name}", "body": "harbour"}) + "\n",
                    "utf-8",
                )
                feed(corpus / f"{name}-own.jsonl", f"own-{name}")
            report = searchkit.build_index([corpus], index)
        assert report.failed == 1 and "duplicate id 'r1'" in report.failures[0].reason
        winners.append(indexed(index)[0])
    assert winners[0] == winners[1] == winners[2]
    assert winners[0]["r1"] == "From a"
