"""Reading `searchkit query --json` output in tests: hit lines, then one summary line."""

from __future__ import annotations

import json
from typing import Any


def json_records(stdout: str) -> list[dict[str, Any]]:
    """Every JSON line of the output, checking that exactly the last one is the summary."""
    records = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    assert records, "query --json printed nothing: the summary line is missing"
    assert records[-1].get("type") == "summary", records[-1]
    assert all("type" not in record for record in records[:-1])
    return records


def json_hits(stdout: str) -> list[dict[str, Any]]:
    """The hit records of `searchkit query --json` output, in rank order."""
    return json_records(stdout)[:-1]


def json_summary(stdout: str) -> dict[str, Any]:
    """The final `{"type": "summary", ...}` record of `searchkit query --json` output."""
    return json_records(stdout)[-1]
