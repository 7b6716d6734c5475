"""Whole-process timings for benchmarks/speed.py: the bare-minimum search and import costs.

The CLI's start-up is judged against the least a Python program can do to
answer the same query from the same index: import whoosh, open the index
searchkit built, run one search and print the ids. ``BARE_MINIMUM`` is that
program, run as ``python -c BARE_MINIMUM INDEX_DIR QUERY``. It uses Whoosh's
public API only and finds the index name from the table of contents on disk,
so it keeps working whatever searchkit calls its index. Opening the index
unpickles its schema, which imports whatever modules the schema's analyzers
live in (searchkit's, for a searchkit index): that cost is part of any
program that reads the index, so it stays in the minimum.

``parse_importtime`` and ``importtime_summary`` read ``python -X importtime``
output, to show which modules a command pays for at start-up.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

BARE_MINIMUM = """\
import sys
from pathlib import Path

from whoosh import index
from whoosh.qparser import MultifieldParser, OrGroup

folder, text = sys.argv[1], sys.argv[2]
tocs = sorted(Path(folder).glob("_*_*.toc"))
name = tocs[-1].name[1:].rsplit("_", 1)[0] if tocs else "MAIN"
ix = index.open_dir(folder, indexname=name, readonly=True)
names = ix.schema.names()
fields = [f for f in ("title", "body") if f in names] or list(ix.schema.scorable_names())
with ix.searcher() as searcher:
    parsed = MultifieldParser(fields, ix.schema, group=OrGroup).parse(text)
    for hit in searcher.search(parsed, limit=10):
        print(hit.get("id", hit.docnum))
"""

# "import time:       412 |        412 |   encodings.aliases"
_IMPORTTIME = re.compile(r"^import time:\s*(\d+)\s*\|\s*(\d+)\s*\|(\s*)(\S.*?)\s*$")


def parse_importtime(stderr: str) -> list[dict[str, Any]]:
    """The modules ``python -X importtime`` reported: name, self and cumulative µs, depth.

    Depth 0 is a module imported directly by the program (or by the interpreter's
    start-up); nested imports are indented by two spaces per level.
    """
    modules: list[dict[str, Any]] = []
    for line in stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match is None:
            continue
        self_us, cumulative_us, indent, name = match.groups()
        modules.append(
            {
                "module": name,
                "self_us": int(self_us),
                "cumulative_us": int(cumulative_us),
                "depth": (len(indent) - 1) // 2,
            }
        )
    return modules


def _median_by(runs: Sequence[Iterable[dict[str, Any]]], key: str) -> dict[str, float]:
    """Per module, the median of ``key`` over the runs (a module missing from a run counts 0)."""
    values: dict[str, list[float]] = {}
    for number, run in enumerate(runs):
        for module in run:
            values.setdefault(module["module"], [0.0] * len(runs))[number] += module[key]
    return {name: statistics.median(found) for name, found in values.items()}


def importtime_summary(runs: Sequence[list[dict[str, Any]]], top: int = 10) -> dict[str, Any]:
    """The costliest imports over several runs of one command (medians, milliseconds).

    ``top_cumulative`` lists modules by the time their import took including
    everything it imported; ``top_self`` by their own code only; ``packages``
    sums self time by top-level package (numpy, whoosh, searchkit, ...), which
    is what a command pays for each dependency.
    """
    if not runs:
        return {}
    cumulative = _median_by(runs, "cumulative_us")
    own = _median_by(runs, "self_us")
    packages: dict[str, float] = {}
    for name, value in own.items():
        root = name.split(".", 1)[0]
        packages[root] = packages.get(root, 0.0) + value

    def ranked(table: dict[str, float]) -> list[dict[str, Any]]:
        order = sorted(table.items(), key=lambda item: item[1], reverse=True)[:top]
        return [{"module": name, "ms": round(value / 1e3, 2)} for name, value in order]

    return {
        "runs": len(runs),
        "top_cumulative": ranked(cumulative),
        "top_self": ranked(own),
        "packages": ranked(packages),
        "total_self_ms": round(sum(own.values()) / 1e3, 1),
        "numpy_imported": "numpy" in packages,
        "numpy_cumulative_ms": round(cumulative.get("numpy", 0.0) / 1e3, 1),
    }
