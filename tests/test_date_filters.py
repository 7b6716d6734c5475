"""--since/--until: a year, a month or a day, and a word about the undated matches left out.

The CLI tests run the installed ``searchkit`` on a real index built from a
real JSON Lines file in tmp_path.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from query_output import json_hits
from test_reliability_support import run_cli

import searchkit
from searchkit.date_bounds import parse_date_bound
from searchkit.errors import QueryError

DATED = {
    "apr30": "2008-04-30T23:00:00Z",
    "may01": "2008-05-01T00:00:00Z",
    "may31": "2008-05-31T22:00:00Z",
    "jun01": "2008-06-01T08:00:00Z",
    "dec31": "2008-12-31T23:30:00Z",
    "y2009": "2009-01-01T00:00:00Z",
}
UNDATED = ("nodate1", "nodate2")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dates")
    records = [
        {"id": doc_id, "title": f"Pakistan {doc_id}", "body": "pakistan talks", "published": when}
        for doc_id, when in DATED.items()
    ]
    records += [
        {"id": doc_id, "title": f"Pakistan {doc_id}", "body": "pakistan talks", "source": "Wire"}
        for doc_id in UNDATED
    ]
    (folder / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    index = folder / "index"
    assert searchkit.build_index([folder / "feed.jsonl"], index).failed == 0
    return index


def _query(index: Path, *options: str) -> tuple[set[str], str, int]:
    result = run_cli(["query", "pakistan", "--index", index, "--json", "--limit", "50", *options])
    ids = {hit["id"] for hit in json_hits(result.stdout)}
    return ids, result.stderr, result.returncode


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (("--since", "2008-05", "--until", "2008-05"), {"may01", "may31"}),
        (("--until", "2008-05"), {"apr30", "may01", "may31"}),
        (("--since", "2008-06"), {"jun01", "dec31", "y2009"}),
        (("--until", "2008"), set(DATED) - {"y2009"}),
        (("--since", "2009"), {"y2009"}),
        (("--since", "2008", "--until", "2008"), set(DATED) - {"y2009"}),
        (("--since", "2008-05-31", "--until", "2008-05-31"), {"may31"}),
    ],
)
def test_a_year_or_month_means_the_whole_period(
    index: Path, options: tuple[str, ...], expected: set[str]
) -> None:
    ids, _stderr, status = _query(index, *options)
    assert status == 0
    assert ids == expected


def test_the_undated_matches_left_out_are_counted_on_stderr(index: Path) -> None:
    ids, stderr, _status = _query(index, "--since", "2000")
    assert ids == set(DATED)
    assert "note: 2 matches have no date and were left out by --since" in stderr
    _ids, stderr, _status = _query(index, "--since", "2008-05", "--until", "2008-05")
    assert "2 matches have no date and were left out by --since and --until" in stderr
    _ids, stderr, _status = _query(index)
    assert "no date" not in stderr  # no date filter: nothing was left out
    _ids, stderr, _status = _query(index, "--since", "2000", "--source", "Nobody")
    assert "no date" not in stderr


def test_the_count_comes_from_the_library_within_the_outlet(index: Path) -> None:
    with searchkit.Searcher(index) as searcher:
        assert searcher.search("pakistan", since="2008").undated_left_out == 2
        assert searcher.search("pakistan", until="2008-05", source="Wire").undated_left_out == 2
        assert searcher.search("pakistan").undated_left_out == 0
        assert searcher.search("nodate1", since="2008").undated_left_out == 1


@pytest.mark.parametrize("value", ["2008-13", "08", "2008-5", "2008/05", "0000", "May 2008"])
def test_other_forms_are_usage_errors_naming_the_forms(index: Path, value: str) -> None:
    result = run_cli(["query", "pakistan", "--index", index, "--since", value])
    assert result.returncode == 2
    assert "YYYY, YYYY-MM or YYYY-MM-DD" in result.stderr


def test_since_after_until_is_judged_on_the_whole_periods(index: Path) -> None:
    ok = run_cli(
        ["query", "pakistan", "--index", index, "--since", "2008-05-31", "--until", "2008-05"]
    )
    assert ok.returncode == 0
    bad = run_cli(
        ["query", "pakistan", "--index", index, "--since", "2008-06", "--until", "2008-05"]
    )
    assert bad.returncode == 2 and "later than --until" in bad.stderr


@pytest.mark.parametrize(
    ("value", "end", "expected"),
    [
        ("2024", False, datetime(2024, 1, 1)),
        ("2024", True, datetime(2024, 12, 31, 23, 59, 59, 999999)),
        ("2024-02", True, datetime(2024, 2, 29, 23, 59, 59, 999999)),
        ("2023-02", True, datetime(2023, 2, 28, 23, 59, 59, 999999)),
        ("2024-12", True, datetime(2024, 12, 31, 23, 59, 59, 999999)),
        ("2024-12", False, datetime(2024, 12, 1)),
        ("9999", True, datetime.max),
        ("9999-12-31", True, datetime.max),
        (" 2024-06-30 ", True, datetime(2024, 6, 30, 23, 59, 59, 999999)),
        ("2024-06-30T12:00:00+02:00", True, datetime(2024, 6, 30, 10, 0)),
        (date(2024, 6, 30), False, datetime(2024, 6, 30)),
    ],
)
def test_parse_date_bound(value: str | date, end: bool, expected: datetime) -> None:
    assert parse_date_bound(value, end_of_day=end, name="until") == expected


def test_parse_date_bound_names_the_option_and_the_forms() -> None:
    with pytest.raises(QueryError, match=r"since must be a date written YYYY, YYYY-MM or"):
        parse_date_bound("2024-00", end_of_day=False, name="since")
