"""Damaged indexes: every command names the index and says to rebuild it, never a traceback.

Each kind of file in an index directory (table of contents, segments,
searchkit.json, the lock file) is emptied, cut in half, garbled or deleted in
turn; then `index` (without --rebuild), `query`, `stats` and `show` run as
real processes with a time limit. Each either still works (the damage did not
touch what it needs, as with the lock file) or exits 1 with a message naming
the index and the `searchkit index --rebuild CORPUS` that repairs it. The full
matrix, with many more garbled copies, is `python benchmarks/reliability.py`.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from test_reliability_support import (
    WorkingCorpus,
    check_index_usable,
    index_snapshot,
    run_cli,
    run_cli_together,
)

REBUILD_HINT = "searchkit index --rebuild CORPUS"


def empty(path: Path) -> None:
    path.write_bytes(b"")


def halve(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def garble(path: Path, seed: int = 0) -> None:
    """Overwrite about 2% of the bytes (at least one) with random values."""
    rng = random.Random(seed)
    data = bytearray(path.read_bytes())
    for _ in range(max(1, len(data) // 50)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    path.write_bytes(bytes(data))


def delete(path: Path) -> None:
    path.unlink()


DAMAGES: dict[str, Callable[[Path], None]] = {
    "emptied": empty,
    "halved": halve,
    "garbled": garble,
    "deleted": delete,
}


def file_of_kind(index: Path, kind: str) -> Path:
    """The file playing one role in an index directory."""
    segments = sorted(index.glob("*.seg"), key=lambda path: path.stat().st_size)
    choices = {
        "toc": sorted(index.glob("*.toc"))[-1:],
        "big segment": segments[-1:],
        "small segment": segments[:1],
        "metadata": [index / "searchkit.json"],
        "lock": sorted(index.glob("*WRITELOCK")),
    }
    found = choices[kind]
    assert found and found[0].exists(), f"no {kind} file in {sorted(index.iterdir())}"
    return found[0]


KINDS = ["toc", "big segment", "small segment", "metadata", "lock"]
HARMLESS = {"lock"}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """(corpus, index, a document id): an index of two commits, so two segments and a deletion."""
    folder = tmp_path_factory.mktemp("damage")
    corpus = WorkingCorpus.create(folder / "corpus", initial=30, spare=6, seed=9)
    index = folder / "index"
    assert run_cli(["index", corpus.folder, "--index", index, "-q"]).returncode == 0
    corpus.mutate(adds=6, edits=0, deletes=2)
    assert run_cli(["index", corpus.folder, "--index", index, "-q"]).returncode == 0
    assert len(list(index.glob("*.seg"))) >= 2, sorted(index.iterdir())
    return corpus.folder, index, sorted(index_snapshot(index))[0]


def damaged_copy(pristine_index: Path, where: Path, kind: str, damage: str) -> Path:
    index = where / "index"
    shutil.copytree(pristine_index, index)
    DAMAGES[damage](file_of_kind(index, kind))
    return index


def every_command(corpus: Path, index: Path, doc_id: str) -> list[subprocess.CompletedProcess[str]]:
    return run_cli_together(
        [
            ["index", corpus, "--index", index, "-q"],
            ["query", "government", "--index", index],
            ["stats", "--index", index],
            ["show", doc_id, "--index", index],
        ]
    )


def assert_clear(result: subprocess.CompletedProcess[str], index: Path, harmless: bool) -> None:
    command = " ".join(result.args[:1])
    if harmless:
        assert result.returncode == 0, f"{command}: {result.stderr}"
        return
    if result.returncode == 0:
        return  # the damage did not touch what this command reads
    assert result.returncode == 1, f"{command}: {result.stderr}"
    assert str(index) in result.stderr, f"{command} does not name the index: {result.stderr}"
    assert REBUILD_HINT in result.stderr, f"{command} does not say how to repair: {result.stderr}"


# The default run damages each kind of file in two ways; the slow run does all of them.
QUICK_CASES = [(kind, list(DAMAGES)[n % 4]) for n, kind in enumerate(KINDS)]
"""One damage per kind of file for the quick run; the slow run covers every pair."""
ALL_CASES = [(kind, damage) for kind in KINDS for damage in DAMAGES]


@pytest.mark.parametrize(("kind", "damage"), QUICK_CASES)
def test_damage_gets_a_clear_message_from_every_command(
    pristine: tuple[Path, Path, str], tmp_path: Path, kind: str, damage: str
) -> None:
    corpus, pristine_index, doc_id = pristine
    index = damaged_copy(pristine_index, tmp_path, kind, damage)
    for result in every_command(corpus, index, doc_id):
        assert_clear(result, index, harmless=kind in HARMLESS)


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "damage"), [c for c in ALL_CASES if c not in QUICK_CASES])
def test_every_damage_gets_a_clear_message(
    pristine: tuple[Path, Path, str], tmp_path: Path, kind: str, damage: str
) -> None:
    corpus, pristine_index, doc_id = pristine
    index = damaged_copy(pristine_index, tmp_path, kind, damage)
    for result in every_command(corpus, index, doc_id):
        assert_clear(result, index, harmless=kind in HARMLESS)


@pytest.mark.parametrize(
    ("kind", "damage"), [("toc", "garbled"), ("big segment", "emptied"), ("metadata", "deleted")]
)
def test_rebuild_repairs_the_damage(
    pristine: tuple[Path, Path, str], tmp_path: Path, kind: str, damage: str
) -> None:
    corpus, pristine_index, _doc_id = pristine
    expected = index_snapshot(pristine_index)
    index = damaged_copy(pristine_index, tmp_path, kind, damage)
    result = run_cli(["index", corpus, "--index", index, "-q", "--rebuild"])
    assert result.returncode == 0, result.stderr
    assert check_index_usable(index) == len(expected)
    assert index_snapshot(index) == expected


@pytest.mark.parametrize("seed", range(6))
def test_single_flipped_bytes_in_a_segment(
    pristine: tuple[Path, Path, str], tmp_path: Path, seed: int
) -> None:
    """One or a few flipped bytes: the subtle damage a bad disk sector or copy leaves."""
    corpus, pristine_index, doc_id = pristine
    index = tmp_path / "index"
    shutil.copytree(pristine_index, index)
    segment = file_of_kind(index, "big segment")
    data = bytearray(segment.read_bytes())
    rng = random.Random(seed)
    for _ in range(rng.choice([1, 4, 16])):
        data[rng.randrange(len(data))] = rng.randrange(256)
    segment.write_bytes(bytes(data))
    for result in every_command(corpus, index, doc_id):
        assert_clear(result, index, harmless=False)


def test_garbled_column_value_is_reported_as_damage(tmp_path: Path) -> None:
    import searchkit

    index = tmp_path / "index"
    with searchkit.Indexer(index) as indexer:
        for number in range(5):
            indexer.add(
                searchkit.Article(
                    f"d{number}", f"Ferry {number}", "harbour", source="Harbour Daily"
                )
            )
    (segment,) = index.glob("*.seg")
    data = bytearray(segment.read_bytes())
    # The `source` column holds the five values back to back (the term list and stored
    # fields hold them apart); make the last value in the column invalid UTF-8.
    column = data.index(b"Harbour Daily" * 5)
    data[column + 4 * len(b"Harbour Daily") + 1] = 0xFF
    segment.write_bytes(bytes(data))
    result = run_cli(["stats", "--index", index])
    assert result.returncode == 1
    assert REBUILD_HINT in result.stderr


@pytest.mark.parametrize("name", [b"_codecs", b"latin1"])
def test_garbled_names_inside_stored_pickles_are_damage(tmp_path: Path, name: bytes) -> None:
    """Whoosh pickles block metadata; a flipped letter in a module or codec name there
    makes unpickling import or look up something that does not exist (found by flipping
    every byte of a small segment in turn). Plain words are scored from the arrays
    file, so the phrase below is what reads the postings."""
    import searchkit

    pristine = tmp_path / "pristine"
    with searchkit.Indexer(pristine) as indexer:
        indexer.add(searchkit.Article("d0", "Harbour ferry", "The ferry left at dawn."))
        indexer.add(searchkit.Article("d1", "Border talks", "Officials discussed the ferry."))
    (segment,) = pristine.glob("*.seg")
    data = segment.read_bytes()
    places = [at for at in range(len(data)) if data.startswith(name, at)]
    assert places, "the segment no longer pickles this name; pick another"
    outcomes = set()
    for at in places:
        index = tmp_path / f"flipped-{at}"
        shutil.copytree(pristine, index)
        flipped = bytearray(data)
        flipped[at + 1] ^= 0x55
        (index / segment.name).write_bytes(bytes(flipped))
        try:
            with searchkit.Searcher(index) as searcher:
                searcher.search("ferry", facets=True)
                # A phrase is matched on Whoosh's postings (positions), which is
                # where their block metadata is read.
                searcher.search('"ferry left"')
                searcher.stats()
                searcher.get("d1")
            outcomes.add("worked")
        except searchkit.IndexCorruptError as exc:
            assert "searchkit index --rebuild" in str(exc)
            outcomes.add("damage")
    assert "damage" in outcomes


def test_writing_to_an_index_with_damaged_postings_reports_damage(tmp_path: Path) -> None:
    """Replacing and deleting read the old postings of the ids; damage there is damage too.

    Whoosh keeps short posting lists inside the term file, next to their term,
    so the bytes around the ids "d1" and "d2" in it are flipped one at a time.
    """
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.structfile import StructFile

    import searchkit

    pristine = tmp_path / "pristine"
    with searchkit.Indexer(pristine) as indexer:
        for number, body in enumerate(["ferry harbour dawn", "border talks", "wheat harbour"]):
            indexer.add(searchkit.Article(f"d{number}", f"Story {number}", body))
    (segment,) = pristine.glob("*.seg")
    with segment.open("rb") as handle:
        compound = CompoundStorage(StructFile(handle), use_mmap=False)
        (terms,) = [name for name in compound.list() if name.endswith(".trm")]
        start, length = compound.range(terms)
    data = segment.read_bytes()
    near_ids = sorted(
        {
            offset
            for at in range(start, start + length)
            if data.startswith((b"d1", b"d2"), at)
            for offset in range(max(start, at - 8), min(start + length, at + 24))
        }
    )
    assert near_ids
    outcomes = []
    for offset in near_ids:
        index = tmp_path / f"flipped-{offset}"
        shutil.copytree(pristine, index)
        flipped = bytearray(data)
        flipped[offset] ^= 0x55
        (index / segment.name).write_bytes(bytes(flipped))
        try:
            with searchkit.Indexer(index) as indexer:
                indexer.add(searchkit.Article("d1", "Border talks again", "talks resumed"))
                indexer.delete("d2")
            outcomes.append("written")
        except searchkit.IndexCorruptError as exc:
            assert "searchkit index --rebuild" in str(exc)
            outcomes.append("damage")
        shutil.rmtree(index)
    assert "damage" in outcomes
