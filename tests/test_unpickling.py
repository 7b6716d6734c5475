"""A crafted index never runs code: every pickle Whoosh reads goes through one allow-list.

An index folder can come from anyone (the README invites searching indexes
other users built), and Whoosh keeps its table of contents (TOC), segment
directories and posting blocks as pickles. These tests plant ``__reduce__``
gadgets (``eval``, ``os.system``, ``subprocess.Popen``, ``builtins.exec``,
``importlib.import_module``) where Whoosh unpickles, each of which would create
a marker file, and check that nothing is created and that every command reports
the index as damaged, with the repair. They also check the other side: real
indexes (with and without synonyms, written by worker processes, merged, with
deletions) open, search and accept writes with nothing refused, and every entry
of the allow-list is needed.
"""

from __future__ import annotations

import gc
import importlib
import io
import os
import pickle
import pkgutil
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from test_reliability_support import (
    CLI_TIMEOUT,
    UNEXPECTED_ERROR,
    check_index_usable,
    searchkit_command,
    user_environment,
)

import searchkit
import searchkit.indexer as indexer_module
from searchkit import Article, IndexCorruptError, Indexer, Searcher, build_index
from searchkit.engine import unpickling

REBUILD_HINT = "searchkit index --rebuild CORPUS"
GADGET_MODULE = "searchkit_test_gadget"
"""A module whose import creates the marker: what ``importlib.import_module`` gadgets load."""


# --------------------------------------------------------------------------- gadgets


@dataclass
class Gadget:
    """An object whose unpickling calls ``call(*args)``: how pickles run code."""

    call: Callable[..., Any]
    args: tuple[Any, ...]

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return self.call, self.args


def eval_exploit(marker: Path, real: bytes) -> Gadget:
    """The exploit from the report: run a command, then return the real object, so
    that the index keeps working and nobody notices."""
    expression = (
        f"(__import__('os').system('touch {marker}'), __import__('pickle').loads({real!r}))[1]"
    )
    return Gadget(eval, (expression,))


GADGETS: dict[str, Callable[[Path, bytes], Gadget]] = {
    "eval": eval_exploit,
    "os.system": lambda marker, _real: Gadget(os.system, (f"touch {marker}",)),
    "subprocess.Popen": lambda marker, _real: Gadget(subprocess.Popen, (["touch", str(marker)],)),
    "builtins.exec": lambda marker, _real: Gadget(exec, (f"open({str(marker)!r}, 'w').close()",)),
    "importlib.import_module": lambda _marker, _real: Gadget(
        importlib.import_module, (GADGET_MODULE,)
    ),
}


def gadget_module_dir(folder: Path, marker: Path) -> Path:
    """A folder holding GADGET_MODULE, which creates ``marker`` when imported."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{GADGET_MODULE}.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8"
    )
    return folder


def gadget_bytes(
    name: str, marker: Path, real: bytes, protocol: int = pickle.HIGHEST_PROTOCOL
) -> bytes:
    return pickle.dumps(GADGETS[name](marker, real), protocol)


def payload_ran(marker: Path, gadget: str) -> bool:
    """Whether the marker appeared (a Popen gadget's child may need a moment to create it)."""
    for _ in range(10 if gadget == "subprocess.Popen" else 1):
        if marker.exists():
            return True
        time.sleep(0.05)
    return marker.exists()


# --------------------------------------------------------------------------- TOC files


@dataclass(frozen=True)
class Toc:
    """The parts of a Whoosh table of contents, as bytes where Whoosh pickles them."""

    sizes: tuple[int, int, int]
    version: int
    release: tuple[int, int, int]
    schema: bytes
    generation: int
    segments: bytes

    @classmethod
    def read(cls, path: Path) -> Toc:
        from whoosh.filedb.structfile import StructFile

        stream = StructFile(io.BytesIO(path.read_bytes()))
        sizes = (stream.read_varint(), stream.read_varint(), stream.read_varint())
        assert stream.read_int() == -12345
        version = stream.read_int()
        release = (stream.read_varint(), stream.read_varint(), stream.read_varint())
        schema = stream.read_string()
        generation = stream.read_int()
        stream.read_int()
        segments = stream.read()
        return cls(sizes, version, release, schema, generation, segments)

    def write(self, path: Path) -> None:
        from whoosh.filedb.structfile import StructFile

        buffer = io.BytesIO()
        stream = StructFile(buffer)
        for size in self.sizes:
            stream.write_varint(size)
        stream.write_int(-12345)
        stream.write_int(self.version)
        for number in self.release:
            stream.write_varint(number)
        stream.write_string(self.schema)
        stream.write_int(self.generation)
        stream.write_int(0)
        stream.write(self.segments)
        path.write_bytes(buffer.getvalue())


def latest_toc(index: Path) -> Path:
    return max(index.glob("_MAIN_*.toc"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))


def plant_in_toc(
    index: Path, name: str, marker: Path, slot: str = "segments", version: int | None = None
) -> None:
    """Replace the TOC's pickled segment list (or schema) by a gadget."""
    path = latest_toc(index)
    toc = Toc.read(path)
    gadget = gadget_bytes(name, marker, getattr(toc, slot))
    toc = replace(toc, **{slot: gadget})
    if version is not None:
        toc = replace(toc, version=version)
    toc.write(path)


def plant_in_segment(index: Path, name: str, marker: Path) -> None:
    """Replace a segment file's pickled directory of parts by a gadget."""
    from whoosh.filedb.structfile import StructFile

    segment = min(index.glob("*.seg"), key=lambda p: p.stat().st_size)
    data = segment.read_bytes()
    header = StructFile(io.BytesIO(data))
    directory_at = header.read_long()
    gadget = gadget_bytes(name, marker, b"") + pickle.dumps({}, 2)
    buffer = io.BytesIO()
    rewritten = StructFile(buffer)
    rewritten.write_long(directory_at)
    rewritten.write_int(len(gadget))
    head = buffer.getvalue()
    segment.write_bytes(head + data[len(head) : directory_at] + gadget)


# --------------------------------------------------------------------------- fixtures


def write_corpus(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        (folder / f"story-{number:03d}.txt").write_text(
            f"Harbour story {number}\n\nCrane drivers at the harbour struck on day {number}.\n",
            encoding="utf-8",
        )
    return folder


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(corpus, index): a small index of two commits, built with the library."""
    folder = tmp_path_factory.mktemp("crafted")
    corpus = write_corpus(folder / "corpus", 12)
    index = folder / "index"
    build_index([corpus], index)
    (corpus / "story-000.txt").unlink()
    write_corpus(folder / "more", 0)
    build_index([corpus], index)
    return corpus, index


def copy_of(index: Path, where: Path) -> Path:
    import shutil

    copy = where / "index"
    shutil.copytree(index, copy)
    return copy


def cli(args: list[Any], pythonpath: Path) -> subprocess.CompletedProcess[str]:
    env = user_environment()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), env.get("PYTHONPATH")]))
    return subprocess.run(
        [*searchkit_command(), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        env=env,
        check=False,
    )


def cli_together(
    commands: list[list[Any]], pythonpath: Path
) -> list[subprocess.CompletedProcess[str]]:
    env = user_environment()
    env["PYTHONPATH"] = str(pythonpath)
    started = [
        subprocess.Popen(
            [*searchkit_command(), *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for args in commands
    ]
    results = []
    for args, process in zip(commands, started, strict=True):
        output, errors = process.communicate(timeout=CLI_TIMEOUT)
        results.append(subprocess.CompletedProcess(args, process.returncode, output, errors))
    return results


def assert_reported_as_damage(result: subprocess.CompletedProcess[str], index: Path) -> None:
    command = str(result.args[0])
    assert "Traceback" not in result.stderr, result.stderr
    assert UNEXPECTED_ERROR not in result.stderr, result.stderr
    assert result.returncode == 1, f"{command} exited {result.returncode}: {result.stderr}"
    assert str(index) in result.stderr, f"{command}: {result.stderr}"
    assert REBUILD_HINT in result.stderr, f"{command}: {result.stderr}"


# --------------------------------------------------------------------------- the attacks


@pytest.mark.parametrize("name", list(GADGETS))
def test_each_gadget_runs_its_payload_when_unpickled_plainly(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guard against a vacuous pass: every gadget below is live under plain pickle."""
    marker = tmp_path / "marker"
    monkeypatch.syspath_prepend(str(gadget_module_dir(tmp_path / "modules", marker)))
    monkeypatch.delitem(sys.modules, GADGET_MODULE, raising=False)
    real = pickle.dumps(["the real segments"])
    loaded = pickle.loads(gadget_bytes(name, marker, real))
    if isinstance(loaded, subprocess.Popen):
        loaded.wait(timeout=30)
    assert payload_ran(marker, name)
    if name == "eval":
        assert loaded == ["the real segments"]  # the exploit keeps the index working


@pytest.mark.parametrize("name", list(GADGETS))
@pytest.mark.parametrize("slot", ["toc segments", "segment directory"])
def test_opening_a_crafted_index_refuses_it_without_running_code(
    pristine: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    slot: str,
) -> None:
    marker = tmp_path / "marker"
    monkeypatch.syspath_prepend(str(gadget_module_dir(tmp_path / "modules", marker)))
    monkeypatch.delitem(sys.modules, GADGET_MODULE, raising=False)
    index = copy_of(pristine[1], tmp_path)
    if slot == "toc segments":
        plant_in_toc(index, name, marker)
    else:
        plant_in_segment(index, name, marker)
    with pytest.raises(IndexCorruptError) as caught, Searcher(index) as searcher:
        searcher.search("harbour")
        searcher.stats()
    assert "which no index holds" in str(caught.value)
    assert REBUILD_HINT in str(caught.value)
    assert not payload_ran(marker, name)


@pytest.mark.parametrize("name", list(GADGETS))
def test_a_gadget_in_the_pickled_schema_is_refused_where_whoosh_reads_it(
    pristine: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """searchkit passes its own schema, but Whoosh's worker processes (and tools) unpickle it."""
    from whoosh import index as whoosh_index

    marker = tmp_path / "marker"
    monkeypatch.syspath_prepend(str(gadget_module_dir(tmp_path / "modules", marker)))
    monkeypatch.delitem(sys.modules, GADGET_MODULE, raising=False)
    index = copy_of(pristine[1], tmp_path)
    plant_in_toc(index, name, marker, slot="schema")
    with warnings.catch_warnings():  # Whoosh leaves the TOC it failed to read open
        warnings.simplefilter("ignore", ResourceWarning)
        with pytest.raises(unpickling.UnsafePickleError):
            whoosh_index.open_dir(str(index))
        gc.collect()
    monkeypatch.setattr(indexer_module, "worker_count", lambda: 2)
    bulk = [
        Article(f"bulk-{n}", f"Bulk {n}", "harbour crane")
        for n in range(indexer_module.WORKER_BATCH * 2 + 1)
    ]
    before = check_index_usable(index, "harbour")
    try:  # a bulk write: Whoosh's worker processes open the index without a schema
        with Indexer(index) as indexer:
            indexer.add_many(bulk)
    except searchkit.SearchkitError:  # a worker refused the schema: the commit fails whole
        assert check_index_usable(index, "harbour") == before
    else:
        assert check_index_usable(index, "harbour") == before + len(bulk)
    assert not payload_ran(marker, name)


def test_a_whoosh_1_table_of_contents_is_refused(
    pristine: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoosh reads a version -110 TOC's schema with an unpickler that imports any name."""
    from whoosh import index as whoosh_index

    marker = tmp_path / "marker"
    index = copy_of(pristine[1], tmp_path)
    plant_in_toc(index, "os.system", marker, slot="schema", version=-110)
    with pytest.raises(IndexCorruptError):
        Searcher(index)
    with warnings.catch_warnings():  # Whoosh leaves the TOC it failed to read open
        warnings.simplefilter("ignore", ResourceWarning)
        with pytest.raises(whoosh_index.IndexVersionError):
            whoosh_index.open_dir(str(index))
        gc.collect()
    assert not payload_ran(marker, "os.system")


@pytest.mark.parametrize("name", list(GADGETS))
def test_every_command_reports_a_crafted_index_as_damaged_and_rebuild_replaces_it(
    pristine: tuple[Path, Path], tmp_path: Path, name: str
) -> None:
    corpus, pristine_index = pristine
    marker = tmp_path / "marker"
    modules = gadget_module_dir(tmp_path / "modules", marker)
    index = copy_of(pristine_index, tmp_path)
    plant_in_toc(index, name, marker)
    results = cli_together(
        [
            ["stats", "--index", index],
            ["query", "harbour", "--index", index],
            ["index", corpus, "--index", index, "-q"],
        ],
        modules,
    )
    for result in results:
        assert_reported_as_damage(result, index)
    assert not payload_ran(marker, name)
    rebuilt = cli(["index", corpus, "--index", index, "-q", "--rebuild"], modules)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert not payload_ran(marker, name)
    assert check_index_usable(index, "harbour") == len(list(corpus.glob("*.txt")))


# --------------------------------------------------------------------------- the allow-list


@pytest.fixture
def used_globals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Record every global the restricted unpickler is asked for, in this process and in
    forked worker processes (which inherit the recorder), and every refusal."""
    log = tmp_path / "globals.log"
    original = unpickling.RestrictedUnpickler.find_class

    def recording(self: Any, module: str, name: str) -> Any:
        try:
            found = original(self, module, name)
        except unpickling.UnsafePickleError:
            outcome = "refused"
            raise
        else:
            outcome = "allowed"
            return found
        finally:
            with log.open("a", encoding="utf-8") as out:
                out.write(f"{outcome}\t{module}\t{name}\n")

    monkeypatch.setattr(unpickling.RestrictedUnpickler, "find_class", recording)
    yield log


def real_articles(count: int, prefix: str) -> list[Article]:
    published = datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)
    return [
        Article(
            f"{prefix}-{n}",
            f"Harbour story {n} about ISIS-K",
            f"Crane drivers at the harbour went on strike, day {n}. " + "More words. " * (n % 7),
            url=f"https://news.example/{prefix}/{n}",
            source="Harbour Daily" if n % 2 else "BBC News",
            author="Jo Bloggs",
            published=published if n % 3 else None,
        )
        for n in range(count)
    ]


def exercise(index: Path, synonyms: Path | None) -> None:
    """Write an index in every way searchkit does, then read it in every way."""
    many = indexer_module.WORKER_BATCH * 2 + 7  # more than one batch: worker processes
    with Indexer(index, synonyms=synonyms) as indexer:
        for article in real_articles(5, "single"):
            indexer.add(article)
    with Indexer(index, synonyms=synonyms) as indexer:
        indexer.add_many(real_articles(many, "bulk"))
    for round_ in range(8):  # small commits, so Whoosh merges segments
        with Indexer(index, synonyms=synonyms) as indexer:
            indexer.add(real_articles(1, f"round{round_}")[0])
            indexer.delete(f"bulk-{round_}")
    with Indexer(index, synonyms=synonyms) as indexer:  # updates, through the workers
        indexer.add_many(real_articles(many // 2, "bulk"))
    with Searcher(index) as searcher:
        for query in ("harbour", '"crane drivers"', '"harbour strike"~3', "ISIS-K", "harb*"):
            for sort in ("relevance", "date"):
                for hit in searcher.search(query, sort=sort, limit=5, facets=True):
                    searcher.get(hit.id)
        searcher.stats()
    with Indexer(index, synonyms=synonyms, rebuild=True) as indexer:
        indexer.add_many(real_articles(many, "rebuilt"))
    spill, indexer_module.WRITER_MEMORY_MB = indexer_module.WRITER_MEMORY_MB, SPILL_MB
    try:  # a writer that spills sorted runs to disk, as every big build does
        with Indexer(index, synonyms=synonyms) as indexer:
            for article in real_articles(many, "spilled"):
                indexer.add(article)
    finally:
        indexer_module.WRITER_MEMORY_MB = spill
    check_index_usable(index, "harbour")


SPILL_MB = 0.05
"""Writer memory so small that a few hundred articles spill sorted runs to disk."""


def test_a_transaction_larger_than_the_writer_memory_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The runs a writer spills hold ID postings, whose value is b"": protocol 2
    # pickles that as __builtin__.bytes(), which the unpickler once refused, so
    # any build past the writer's memory failed at commit as "damaged".
    monkeypatch.setattr(indexer_module, "WRITER_MEMORY_MB", SPILL_MB)
    index = tmp_path / "index"
    with Indexer(index) as indexer:
        for article in real_articles(300, "big"):
            indexer.add(article)
    with Searcher(index) as searcher:
        assert searcher.stats().documents == 300


def test_bytes_in_a_pickle_may_only_be_empty() -> None:
    assert unpickling.loads(pickle.dumps([b"", b"ab"], protocol=2)) == [b"", b"ab"]
    sized = b"\x80\x02c__builtin__\nbytes\nK\x05\x85R."  # bytes(5)
    with pytest.raises(unpickling.UnsafePickleError):
        unpickling.loads(sized)


def test_real_indexes_need_every_allowed_global_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, used_globals: Path
) -> None:
    from whoosh import index as whoosh_index

    assert unpickling.installed()
    monkeypatch.setattr(indexer_module, "worker_count", lambda: 2)
    synonyms = tmp_path / "synonyms.txt"
    synonyms.write_text("ISIS-K, Islamic State Khorasan\nharbour, port\n", encoding="utf-8")
    exercise(tmp_path / "plain", None)
    exercise(tmp_path / "aliases", synonyms)
    corpus = write_corpus(tmp_path / "corpus", indexer_module.WORKER_BATCH + 20)
    for rebuild in (False, True):
        build_index([corpus], tmp_path / "folder", synonyms=synonyms, rebuild=rebuild)
    for index in ("plain", "aliases", "folder"):  # as tools do: with the pickled schema
        with whoosh_index.open_dir(str(tmp_path / index)).searcher() as searcher:
            assert searcher.doc_count() > 0
    lines = used_globals.read_text(encoding="utf-8").splitlines()
    outcomes = {tuple(line.split("\t")) for line in lines}
    assert {o for o in outcomes if o[0] == "refused"} == set()
    used = {(module, name) for _outcome, module, name in outcomes}
    # Entries for classes that moved are only met in indexes written before the move.
    current = {(entry.module, entry.name) for entry in unpickling.ALLOWED if not entry.moved_to}
    assert used == current


def test_an_index_naming_the_analyzer_where_it_lived_before_the_engine_still_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Indexes written before NewsAnalyzer moved to searchkit.engine.analysis name it
    ``searchkit.analysis.NewsAnalyzer`` in their pickled schema, which tools and Whoosh read."""
    from whoosh import index as whoosh_index

    from searchkit.engine import analysis

    index = tmp_path / "index"
    with monkeypatch.context() as before_the_move:
        before_the_move.setitem(sys.modules, "searchkit.analysis", analysis)
        before_the_move.setattr(analysis.NewsAnalyzer, "__module__", "searchkit.analysis")
        with Indexer(index) as indexer:
            indexer.add(Article("a", "Harbour strike", "Crane drivers at the harbour struck."))
    assert "searchkit.analysis" not in sys.modules
    (toc,) = index.glob("*.toc")
    assert b"csearchkit.analysis\nNewsAnalyzer\n" in toc.read_bytes()
    ix = whoosh_index.open_dir(str(index))  # as tools do: with the pickled schema
    assert type(ix.schema["body"].analyzer) is analysis.NewsAnalyzer
    with ix.searcher() as searcher:
        assert searcher.doc_count() == 1
    ix.close()
    with Searcher(index) as searcher:
        assert [hit.id for hit in searcher.search("harbour")] == ["a"]
    with Indexer(index) as indexer:  # a write replaces the TOC with the current module path
        indexer.add(Article("b", "Ferry news", "The ferry ran late."))
    (toc,) = index.glob("*.toc")
    assert b"csearchkit.engine.analysis\nNewsAnalyzer\n" in toc.read_bytes()
    with whoosh_index.open_dir(str(index)).searcher() as searcher:
        assert searcher.doc_count() == 2


# --------------------------------------------------------------------------- the patches


def unrestricted_loaders() -> set[int]:
    import marshal

    return {id(f) for f in (pickle, pickle.load, pickle.loads, marshal.load, marshal.loads)}


def unpickling_references(module: Any) -> list[str]:
    """The names in a module bound to an unrestricted unpickler (or unmarshaller)."""
    loaders = unrestricted_loaders()
    found = []
    for attribute, value in vars(module).items():
        unpickler_class = (
            isinstance(value, type)
            and issubclass(value, pickle.Unpickler)
            and value is not unpickling.RestrictedUnpickler
        )
        if id(value) in loaders or unpickler_class:
            found.append(attribute)
    return found


def test_every_whoosh_module_that_unpickles_is_patched_or_unreachable() -> None:
    import whoosh

    unpickling.install()
    holders = {}
    for info in pkgutil.walk_packages(whoosh.__path__, "whoosh."):
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # Whoosh 1 leftovers that no longer import, optional dependencies
            continue
        names = unpickling_references(module)
        if names:
            holders[info.name] = names
    assert set(holders) == set(unpickling.UNREACHABLE), holders
    reachable = {entry.module for entry in unpickling.ALLOWED}
    assert not reachable & set(unpickling.UNREACHABLE)
    assert unpickling.installed()


def test_the_check_above_sees_an_unpatched_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    import whoosh.columns

    assert unpickling_references(whoosh.columns) == []
    monkeypatch.setattr(whoosh.columns, "loads", pickle.loads)
    assert unpickling_references(whoosh.columns) == ["loads"]
    assert not unpickling.installed()


def test_install_refuses_a_whoosh_that_binds_something_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import whoosh.formats

    monkeypatch.setattr(whoosh.formats, "loads", lambda data: data)
    with pytest.raises(RuntimeError, match=r"whoosh\.formats\.loads"):
        unpickling.install()


def test_refused_names_are_escaped_in_the_message() -> None:
    hostile = pickle.dumps(Gadget(os.system, ("true",)), 0).replace(b"system", b"sys\x1b[2J")
    with pytest.raises(unpickling.UnsafePickleError) as caught:
        unpickling.loads(hostile)
    assert "\x1b" not in str(caught.value)
    assert "\\x1b" in str(caught.value)


def test_bytes_spelled_for_protocol_2_load_and_other_encodings_do_not() -> None:
    assert unpickling.loads(pickle.dumps(b"\x00\xffdata", 2)) == b"\x00\xffdata"
    sneaky = pickle.dumps(b"data", 2).replace(b"latin1", b"rot_13")
    with pytest.raises(unpickling.UnsafePickleError):
        unpickling.loads(sneaky)
