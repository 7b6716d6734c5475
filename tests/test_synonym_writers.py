"""Changing an index's alias groups: every document gets the new groups, whoever writes it.

Adding `--synonyms` to an existing index re-analyses every document. Big
transactions are analysed in worker processes, which must use the new groups
and not the ones pickled in the last commit; and when two writers with
different groups race, the groups recorded in the index must be the ones its
documents were analysed with.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from query_output import json_hits
from test_reliability_support import run_cli
from whoosh.filedb.filestore import FileStorage

import searchkit
import searchkit.engine.writer as writer_module
import searchkit.indexer as indexer_module
from searchkit.engine.storage import INDEX_NAME, read_metadata
from searchkit.synonyms import fingerprint, resolve_groups

DOCUMENTS = indexer_module.WORKER_BATCH * 4 + 50
"""Enough for several worker batches (a smaller transaction is indexed in-process)."""
MARKED_EVERY = 15


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def write_corpus(folder: Path, count: int = DOCUMENTS) -> set[str]:
    """A JSON Lines corpus; returns the ids of the records that mention "Zorblax"."""
    folder.mkdir(parents=True, exist_ok=True)
    marked = set()
    with (folder / "wire.jsonl").open("w", encoding="utf-8") as stream:
        for n in range(count):
            body = f"The harbour council met on day {n} to discuss the ferry timetable."
            if n % MARKED_EVERY == 0:
                body += " Zorblax officials attended."
                marked.add(f"w{n}")
            record = {"id": f"w{n}", "title": f"Council story {n}", "body": body}
            stream.write(json.dumps(record) + "\n")
    return marked


def synonyms_file(folder: Path, text: str = "Zorblax, Quuxland\n") -> Path:
    path = folder / "aliases.txt"
    path.write_text(text, encoding="utf-8")
    return path


def cli_hits(index: Path, query: str, *extra: str) -> set[str]:
    result = run_cli(
        ["query", query, "--index", index, "--json", "--limit", "1000", "--all-copies", *extra]
    )
    assert result.returncode == 0, result.stderr
    return {hit["id"] for hit in json_hits(result.stdout)}


def library_hits(index: Path, query: str, *, use_synonyms: bool = True) -> set[str]:
    with searchkit.Searcher(index) as searcher:
        results = searcher.search(query, limit=1000, use_synonyms=use_synonyms, collapse=False)
        return {hit.id for hit in results}


# ------------------------------------------------------------ workers use the new groups


@pytest.mark.skipif(usable_cores() < 2, reason="searchkit starts indexing workers on 2+ cores")
@pytest.mark.parametrize("rebuild", [False, True], ids=["incremental", "rebuild"])
def test_cli_adding_synonyms_to_an_existing_index_finds_both_names(
    tmp_path: Path, rebuild: bool
) -> None:
    marked = write_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    aliases = synonyms_file(tmp_path)
    assert run_cli(["index", tmp_path / "corpus", "--index", index, "-q"]).returncode == 0
    again = ["index", tmp_path / "corpus", "--index", index, "-q", "--synonyms", aliases]
    result = run_cli([*again, "--rebuild"] if rebuild else again)
    assert result.returncode == 0, result.stderr

    assert cli_hits(index, "Zorblax") == marked
    assert cli_hits(index, "Quuxland") == marked
    assert cli_hits(index, "Zorblax", "--no-synonyms") == marked
    assert cli_hits(index, "Quuxland", "--no-synonyms") == set()


def test_workers_analyse_with_the_groups_of_the_running_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexer_module, "worker_count", lambda: 2)
    started = []
    original_start = writer_module._WorkerTask.start

    def counting_start(self: writer_module._WorkerTask) -> None:
        started.append(self)
        original_start(self)

    monkeypatch.setattr(writer_module._WorkerTask, "start", counting_start)
    marked = write_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    searchkit.build_index([tmp_path / "corpus"], index)
    started.clear()
    searchkit.build_index([tmp_path / "corpus"], index, synonyms=synonyms_file(tmp_path))
    assert started, "the re-analysis never reached a worker process: the case proved nothing"
    assert library_hits(index, "Quuxland") == marked
    assert library_hits(index, "Zorblax") == marked

    # And back: dropping the groups again must drop the alias terms too.
    searchkit.build_index([tmp_path / "corpus"], index, use_synonyms=False)
    assert library_hits(index, "Quuxland") == set()
    assert library_hits(index, "Zorblax") == marked


# ------------------------------------------------------------ two writers, different groups


def consistent_alias_hits(index: Path, marked: set[str]) -> tuple[set[str], set[str]]:
    """(what "Quuxland" finds, what it should find given the groups the index records)."""
    recorded = read_metadata(index).synonyms_fingerprint
    with_group = fingerprint(resolve_groups(synonyms_file(index.parent)))
    expected = marked if recorded == with_group else set()
    return library_hits(index, "Quuxland"), expected


def small_corpus(index: Path, *, use_synonyms: bool) -> set[str]:
    marked = {f"old-{n}" for n in range(0, 30, 3)}
    aliases = synonyms_file(index.parent)
    with searchkit.Indexer(index, synonyms=aliases, use_synonyms=use_synonyms) as writer:
        for n in range(30):
            extra = " Zorblax officials attended." if f"old-{n}" in marked else ""
            writer.add(searchkit.Article(f"old-{n}", f"Old story {n}", f"The harbour met.{extra}"))
    return marked


def zorblax_story(doc_id: str) -> searchkit.Article:
    return searchkit.Article(doc_id, "New story", "Zorblax officials met the ferry council.")


def test_a_writer_overtaken_before_its_lock_decides_re_analysis_under_the_lock(
    tmp_path: Path,
) -> None:
    # The index has the Zorblax group; writer A has it too, so before the lock it sees
    # nothing to re-analyse. Writer B, without groups, commits first and re-analyses
    # every document without the group. A must notice once it holds the lock.
    index = tmp_path / "index"
    marked = small_corpus(index, use_synonyms=True)
    first = searchkit.Indexer(index, synonyms=synonyms_file(tmp_path))
    with searchkit.Indexer(index, use_synonyms=False) as second:
        second.add(zorblax_story("from-b"))
    with first:
        first.add(zorblax_story("from-a"))

    found, expected = consistent_alias_hits(index, marked | {"from-a", "from-b"})
    assert found == expected
    assert expected, "A committed last: its groups should be the index's"
    assert library_hits(index, "Zorblax") == marked | {"from-a", "from-b"}


def test_a_writer_starting_between_a_commit_and_its_metadata_sees_the_new_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Writer A (with the group) re-analyses an index built without it. Writer B
    # (without) starts right after A's documents are committed: B must see A's
    # groups, never the ones A's documents replaced.
    index = tmp_path / "index"
    marked = small_corpus(index, use_synonyms=False)
    real_write_metadata = indexer_module.write_metadata
    racers: list[threading.Thread] = []
    failures: list[BaseException] = []

    def second_writer() -> None:
        try:
            with searchkit.Indexer(index, use_synonyms=False, lock_timeout=60) as second:
                second.add(zorblax_story("from-b"))
        except BaseException as exc:  # reported by the test below
            failures.append(exc)

    def race_then_write(index_dir: Any, metadata: Any) -> None:
        if not racers and Path(index_dir) == index:
            lock = FileStorage(str(index)).lock(f"{INDEX_NAME}_WRITELOCK")  # the writers' lock
            racer = threading.Thread(target=second_writer)
            racers.append(racer)
            if lock.acquire(blocking=False):  # A's lock is already released: B runs now
                lock.release()
                racer.run()
            else:  # A still holds its lock: B waits for it
                racer.start()
        real_write_metadata(index_dir, metadata)

    monkeypatch.setattr(indexer_module, "write_metadata", race_then_write)
    with searchkit.Indexer(index, synonyms=synonyms_file(tmp_path)) as first:
        first.add(zorblax_story("from-a"))
    for racer in racers:
        if racer.ident is not None:
            racer.join(timeout=120)
    assert racers, "the race was never staged"
    assert not failures, failures

    found, expected = consistent_alias_hits(index, marked | {"from-a", "from-b"})
    assert found == expected
    assert library_hits(index, "Zorblax") == marked | {"from-a", "from-b"}
