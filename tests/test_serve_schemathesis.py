"""Fuzz the running server from its own /openapi.json with schemathesis: every check, 0 failures.

The schemathesis command itself runs against a real uvicorn server over the
corpus index: its coverage phase (boundaries, missing and wrong parameters,
undeclared methods) and its fuzzing phase (100 examples per operation, valid
and invalid), with all checks on. Valid requests must be accepted, invalid ones
refused with a 4xx, no response may be a 5xx, and every response must match
the schema. About 15 s on two cores; the seed is fixed so CI is repeatable
(SEARCHKIT_FUZZ_SEED picks another).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from serve_support import live_server

import searchkit

EXAMPLES = 100
TESTS_DIR = Path(__file__).resolve().parent


def _schemathesis() -> Path:
    command = Path(sys.executable).parent / "schemathesis"
    if not command.exists():
        pytest.skip("schemathesis is not installed (pip install -e '.[test]')")
    return command


def _fuzzing_cases(report_dir: Path) -> Counter[str]:
    """Cases the fuzzing phase ran, per operation, from schemathesis's NDJSON report."""
    cases: Counter[str] = Counter()
    for report in report_dir.glob("*.ndjson"):
        for line in report.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if finished and finished.get("phase") == "fuzzing":
                recorder = finished["recorder"]
                cases[recorder["label"]] += len(recorder.get("cases", {}))
    return cases


def test_the_api_keeps_its_own_spec(tmp_path: Path, repo_root: Path) -> None:
    command = _schemathesis()
    index = tmp_path / "index"
    searchkit.build_index([repo_root / "corpus"], index)
    reports = tmp_path / "reports"
    environment = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "serve_schemathesis_hooks",
        "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    with live_server(index) as server:
        run = subprocess.run(
            [
                str(command),
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                str(EXAMPLES),
                "--seed",
                os.environ.get("SEARCHKIT_FUZZ_SEED", "1"),
                "--no-color",
                "--report",
                "ndjson",
                "--report-dir",
                str(reports),
            ],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert " passed" in run.stdout and "failure" not in run.stdout.split("SUMMARY")[-1]
    cases = _fuzzing_cases(reports)
    # Operations with inputs get the full count; /stats and /healthz take none, so one case
    # is all there is to generate for them.
    for operation in ("GET /search", "POST /search", "GET /articles/{id}"):
        assert cases[operation] >= EXAMPLES, cases
    assert cases["GET /stats"] >= 1 and cases["GET /healthz"] >= 1
