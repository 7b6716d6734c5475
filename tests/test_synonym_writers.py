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
from pathlib import Path

import pytest
from test_reliability_support import run_cli

import searchkit
import searchkit.indexer as indexer_module

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
    result = run_cli(["query", query, "--index", index, "--json", "--limit", "1000", *extra])
    assert result.returncode == 0, result.stderr
    return {json.loads(line)["id"] for line in result.stdout.splitlines()}


def library_hits(index: Path, query: str, *, use_synonyms: bool = True) -> set[str]:
    with searchkit.Searcher(index) as searcher:
        results = searcher.search(query, limit=1000, use_synonyms=use_synonyms)
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
    original_start = indexer_module._WorkerTask.start

    def counting_start(self: indexer_module._WorkerTask) -> None:
        started.append(self)
        original_start(self)

    monkeypatch.setattr(indexer_module._WorkerTask, "start", counting_start)
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
