"""Extraction benchmark: searchkit's article text against the article-extraction-benchmark.

Run ``python benchmarks/extraction.py [--data DIR] [--no-peers] [--json OUT]``.

The benchmark (``../shared/data/article-extraction-benchmark``, read in
place) holds 181 real article pages and the article body of each, written
by people. Every page is decompressed once to a temporary ``.html`` file and
extracted with ``searchkit.extract(path)``, the same call users make. The
metric is the benchmark's own: per page, the multisets of 4-word shingles
(tokens ``\\w+``, case kept) of the extracted text and of the truth give that
page's precision and recall; precision is averaged over the pages where
anything was extracted, recall over the pages with a truth, and F1 is the
harmonic mean of the two averages. The script first checks that this
implementation reproduces published rows from the extractors' published
outputs (``output/*.json.gz``), then prints searchkit's figures beside the
published table and, when ``trafilatura`` (the ``bench`` extra, never a
runtime dependency) is installed, trafilatura's in the same run.

Speed is measured in the same run for both extractors, page by page and in
turn, as CPU time of this process (the machine may be shared) and as wall
time. The pages are split into a tuning half (odd positions in id order,
which the cleaning rules were developed on) and a held-out half (even
positions), reported separately. Metadata (title, date, authors, outlet,
canonical URL) is checked against the hand-written fixture
``tests/data/metadata_fixture.json``.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import json
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "article-extraction-benchmark"
METADATA_FIXTURE = REPO_ROOT / "tests" / "data" / "metadata_fixture.json"
SHINGLE_WORDS = 4
WORST_SHOWN = 10
METADATA_FIELDS = ("title", "published", "authors", "source", "url")
CHECKED_OUTPUTS = {"trafilatura": "trafilatura", "beautifulsoup": "beautifulsoup"}
"""Published rows re-scored from ``output/<file>.json.gz`` to check the metric."""

_TOKEN = re.compile(r"\w+")


# --------------------------------------------------------------------------- the metric


def shingles(text: str | None) -> Counter[str]:
    """The multiset of 4-word shingles of ``text`` (texts shorter than 4 words: one shingle)."""
    tokens = _TOKEN.findall(text or "")
    count = max(1, len(tokens) - SHINGLE_WORDS + 1)
    return Counter(
        " ".join(tokens[i : i + SHINGLE_WORDS])
        for i in range(count)
        if tokens[i : i + SHINGLE_WORDS]
    )


@dataclass(frozen=True)
class PageScore:
    """One page's precision (None: nothing extracted) and recall (None: empty truth)."""

    precision: float | None
    recall: float | None

    @property
    def f1(self) -> float:
        """The page's own F1 (0 when either side is missing), used to rank the worst pages."""
        p, r = self.precision or 0.0, self.recall or 0.0
        return 2 * p * r / (p + r) if p + r else 0.0


def score_page(truth: str, prediction: str | None) -> PageScore:
    """Compare the shingle multisets of the truth and the extracted text of one page."""
    expected, found = shingles(truth), shingles(prediction)
    true_positives = sum((expected & found).values())
    false_positives = sum((found - expected).values())
    false_negatives = sum((expected - found).values())
    predicted = true_positives + false_positives
    relevant = true_positives + false_negatives
    return PageScore(
        precision=true_positives / predicted if predicted else None,
        recall=true_positives / relevant if relevant else None,
    )


@dataclass(frozen=True)
class Summary:
    """Mean precision, mean recall and their F1 over a set of pages."""

    f1: float
    precision: float
    recall: float
    pages: int


def summarise(scores: Iterable[PageScore]) -> Summary:
    """Average precision over pages with a prediction and recall over pages with a truth."""
    scores = list(scores)
    precisions = [s.precision for s in scores if s.precision is not None]
    recalls = [s.recall for s in scores if s.recall is not None]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Summary(f1=f1, precision=precision, recall=recall, pages=len(scores))


# --------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class Benchmark:
    """The pages' ids (sorted), their human-written article bodies and their URLs."""

    directory: Path
    ids: tuple[str, ...]
    truth: Mapping[str, str]
    urls: Mapping[str, str]

    def page_bytes(self, page_id: str) -> bytes:
        """The page's HTML as stored (decompressed from ``html/<id>.html.gz``)."""
        return gzip.decompress((self.directory / "html" / f"{page_id}.html.gz").read_bytes())

    def halves(self) -> dict[str, tuple[str, ...]]:
        """Tuning half (odd positions in id order) and held-out half (even positions)."""
        return {
            "tuning (odd)": self.ids[1::2],
            "held-out (even)": self.ids[0::2],
        }


def load_benchmark(directory: Path) -> Benchmark:
    """Read ``ground-truth.json`` and list the pages that have an HTML file."""
    records: dict[str, dict[str, str]] = json.loads(
        (directory / "ground-truth.json").read_text(encoding="utf-8")
    )
    ids = tuple(sorted(pid for pid in records if (directory / "html" / f"{pid}.html.gz").is_file()))
    return Benchmark(
        directory=directory,
        ids=ids,
        truth={pid: records[pid].get("articleBody") or "" for pid in ids},
        urls={pid: records[pid].get("url") or "" for pid in ids},
    )


def write_pages(benchmark: Benchmark, folder: Path) -> dict[str, Path]:
    """Decompress every page to ``folder/<id>.html``, the files users would hand to searchkit."""
    paths: dict[str, Path] = {}
    for page_id in benchmark.ids:
        path = folder / f"{page_id}.html"
        path.write_bytes(benchmark.page_bytes(page_id))
        paths[page_id] = path
    return paths


@dataclass(frozen=True)
class PublishedRow:
    """One row of ``published-results.txt``."""

    name: str
    version: str
    f1: float
    precision: float
    recall: float
    evaluation: str


def published_rows(directory: Path) -> list[PublishedRow]:
    """The rows of the latest and the previous evaluation in ``published-results.txt``."""
    path = directory / "published-results.txt"
    if not path.is_file():
        return []
    rows: list[PublishedRow] = []
    section = ""
    row = re.compile(
        r"^\s+(\S+)\s+(\S+)\s+([\d.]+) ± [\d.]+\s+([\d.]+) ± [\d.]+\s+([\d.]+) ± [\d.]+"
    )
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("Results of the latest"):
            section = "latest"
        elif line.startswith("Results of the previous"):
            section = "previous"
        elif line and not line.startswith(" "):
            section = "" if line.startswith(("Results", "Earlier")) else section
        match = row.match(line)
        if match and section:
            name, version, f1, precision, recall = match.groups()
            rows.append(
                PublishedRow(name, version, float(f1), float(precision), float(recall), section)
            )
    return rows


def check_metric(benchmark: Benchmark) -> list[tuple[str, Summary, PublishedRow | None]]:
    """Re-score published outputs with this metric, beside the published figures."""
    published = {row.name: row for row in published_rows(benchmark.directory)}
    checks: list[tuple[str, Summary, PublishedRow | None]] = []
    for name, output in CHECKED_OUTPUTS.items():
        path = benchmark.directory / "output" / f"{output}.json.gz"
        if not path.is_file():
            continue
        data: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
        predictions = data.get("output", data)
        scores = [
            score_page(benchmark.truth[pid], _body_of(predictions.get(pid)))
            for pid in benchmark.ids
        ]
        checks.append((name, summarise(scores), published.get(name)))
    return checks


def _body_of(prediction: object) -> str:
    if isinstance(prediction, dict):
        return str(prediction.get("articleBody") or "")
    return str(prediction or "")


# --------------------------------------------------------------------------- extractors


Extractor = Callable[[Path], "str | None"]


def searchkit_extractor() -> Extractor:
    """``searchkit.extract(path).body``; a page it refuses counts as nothing extracted."""
    import searchkit

    def extract(path: Path) -> str | None:
        try:
            return searchkit.extract(path).body
        except searchkit.IngestError:
            return None

    return extract


def trafilatura_extractor() -> Extractor | None:
    """trafilatura's ``extract`` on the same file's bytes (comments excluded), if installed."""
    try:
        import trafilatura
    except ImportError:
        return None

    def extract(path: Path) -> str | None:
        text: str | None = trafilatura.extract(path.read_bytes(), include_comments=False)
        return text

    return extract


@dataclass
class Run:
    """One extractor's output and the time it took, over the whole benchmark."""

    name: str
    version: str
    texts: dict[str, str | None] = field(default_factory=dict)
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0

    def pages_per_second(self, *, cpu: bool) -> float:
        seconds = self.cpu_seconds if cpu else self.wall_seconds
        return len(self.texts) / seconds if seconds else 0.0


def run_extractors(
    paths: Mapping[str, Path], extractors: Sequence[tuple[str, str, Extractor]]
) -> list[Run]:
    """Run every extractor on every page, in turn page by page, timing each call.

    Taking turns on each page means both extractors see the same machine
    load and the same warm file cache.
    """
    runs = [Run(name, version) for name, version, _ in extractors]
    for page_id, path in paths.items():
        for run, (_, _, extract) in zip(runs, extractors, strict=True):
            cpu, wall = time.process_time(), time.perf_counter()
            text = extract(path)
            run.cpu_seconds += time.process_time() - cpu
            run.wall_seconds += time.perf_counter() - wall
            run.texts[page_id] = text
    return runs


def score_run(benchmark: Benchmark, run: Run) -> dict[str, PageScore]:
    """Each page's score for one run."""
    return {pid: score_page(benchmark.truth[pid], run.texts.get(pid)) for pid in benchmark.ids}


# --------------------------------------------------------------------------- metadata


@dataclass(frozen=True)
class MetadataResult:
    """Per field: how many fixture pages were right, and what was wrong where."""

    correct: Mapping[str, int]
    total: int
    mismatches: tuple[tuple[str, str, object, object], ...]


def load_metadata_fixture(path: Path = METADATA_FIXTURE) -> list[dict[str, Any]]:
    """The hand-checked expected metadata of the fixture pages."""
    pages: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["pages"]
    return pages


def metadata_matches(expected: Mapping[str, Any], article: Any) -> dict[str, tuple[bool, object]]:
    """For each field, whether ``article`` (a searchkit Article) agrees with ``expected``.

    Titles compare with whitespace collapsed; dates by calendar day as the
    page states it; authors as a case-blind set of names; the outlet against
    the accepted spellings; URLs exactly.
    """
    published = article.published.date().isoformat() if article.published else None
    authors = sorted(
        {name.strip().casefold() for name in (article.author or "").split(",") if name.strip()}
    )
    found: dict[str, object] = {
        "title": " ".join(article.title.split()),
        "published": published,
        "authors": authors,
        "source": article.source,
        "url": article.url,
    }
    accepted_sources = {name.casefold() for name in expected["source"]}
    verdicts = {
        "title": found["title"] == " ".join(expected["title"].split()),
        "published": found["published"] == expected["published"],
        "authors": authors == sorted(name.casefold() for name in expected["authors"]),
        "source": (article.source or "").casefold() in accepted_sources,
        "url": found["url"] == expected["url"],
    }
    return {name: (verdicts[name], found[name]) for name in METADATA_FIELDS}


def check_metadata(paths: Mapping[str, Path], fixture: list[dict[str, Any]]) -> MetadataResult:
    """Extract every fixture page with ``searchkit.extract`` and compare field by field."""
    import searchkit

    correct = dict.fromkeys(METADATA_FIELDS, 0)
    mismatches: list[tuple[str, str, object, object]] = []
    pages = [page for page in fixture if page["id"] in paths]
    for page in pages:
        article = searchkit.extract(paths[page["id"]])
        for name, (right, value) in metadata_matches(page, article).items():
            if right:
                correct[name] += 1
            else:
                mismatches.append((page["id"], name, page[name], value))
    return MetadataResult(correct=correct, total=len(pages), mismatches=tuple(mismatches))


# --------------------------------------------------------------------------- report


def _row(name: str, summary: Summary | PublishedRow, note: str = "") -> str:
    return f"{name:<28} {summary.f1:6.3f} {summary.precision:9.3f} {summary.recall:7.3f}  {note}"


def report(
    benchmark: Benchmark,
    runs: list[Run],
    checks: list[tuple[str, Summary, PublishedRow | None]],
    metadata: MetadataResult | None,
) -> tuple[str, dict[str, Any]]:
    """The printed report and the same figures as a JSON-ready dict."""
    lines: list[str] = []
    data: dict[str, Any] = {"pages": len(benchmark.ids), "runs": {}, "metric_check": []}
    lines.append(f"article-extraction-benchmark: {len(benchmark.ids)} pages")
    lines.append("")
    lines.append("Metric check (published outputs re-scored with this script):")
    for name, summary, published in checks:
        quoted = (
            f"published {published.f1:.3f} ({published.precision:.3f}/{published.recall:.3f})"
            if published
            else "no published row"
        )
        lines.append(
            f"  {name:<14} {summary.f1:.3f} ({summary.precision:.3f}/{summary.recall:.3f})"
            f"  {quoted}"
        )
        data["metric_check"].append({"name": name, **summary.__dict__})
    scores = {run.name: score_run(benchmark, run) for run in runs}
    lines.append("")
    lines.append(f"{'extractor':<28} {'F1':>6} {'precision':>9} {'recall':>7}  note")
    ranked: list[tuple[float, str]] = []
    for run in runs:
        summary = summarise(scores[run.name].values())
        note = f"this run, {run.version}"
        ranked.append((summary.f1, _row(run.name, summary, note)))
        data["runs"][run.name] = {
            "version": run.version,
            "all": summary.__dict__,
            "pages_per_second_cpu": run.pages_per_second(cpu=True),
            "pages_per_second_wall": run.pages_per_second(cpu=False),
        }
    for row in published_rows(benchmark.directory):
        note = f"published, {row.evaluation} evaluation, {row.version}"
        ranked.append((row.f1, _row(row.name, row, note)))
    lines.extend(text for _, text in sorted(ranked, key=lambda item: -item[0]))
    lines.append("")
    lines.append("Halves (the rules were tuned on the odd pages only):")
    for run in runs:
        for half, ids in benchmark.halves().items():
            summary = summarise(scores[run.name][pid] for pid in ids)
            lines.append(_row(f"{run.name} {half}", summary, f"{summary.pages} pages"))
            data["runs"][run.name][half] = summary.__dict__
    lines.append("")
    lines.append("Speed (same run, extractors taking turns on each page):")
    for run in runs:
        lines.append(
            f"  {run.name:<14} {run.pages_per_second(cpu=True):6.1f} pages/s CPU time"
            f"   {run.pages_per_second(cpu=False):6.1f} pages/s wall time"
        )
    if runs:
        first = runs[0]
        worst = sorted(benchmark.ids, key=lambda pid: scores[first.name][pid].f1)[:WORST_SHOWN]
        lines.append("")
        lines.append(f"Worst {len(worst)} pages for {first.name}:")
        for pid in worst:
            score = scores[first.name][pid]
            lines.append(
                f"  {pid[:10]}  P {score.precision or 0.0:.3f}  R {score.recall or 0.0:.3f}  "
                f"{benchmark.urls[pid][:90]}"
            )
        data["worst"] = [
            {"id": pid, **scores[first.name][pid].__dict__, "url": benchmark.urls[pid]}
            for pid in worst
        ]
    if metadata is not None:
        lines.append("")
        lines.append(f"Metadata on the hand-checked fixture ({metadata.total} pages):")
        for name in METADATA_FIELDS:
            right = metadata.correct[name]
            share = right / metadata.total if metadata.total else 0.0
            lines.append(f"  {name:<10} {right:>3}/{metadata.total}  {share:6.1%}")
        for page_id, name, expected, found in metadata.mismatches:
            lines.append(f"  mismatch {page_id[:10]} {name}: expected {expected!r}, got {found!r}")
        data["metadata"] = {"pages": metadata.total, "correct": dict(metadata.correct)}
    return "\n".join(lines), data


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the report (exit status 2 when the data is missing)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark folder")
    parser.add_argument("--no-peers", action="store_true", help="run searchkit alone")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if not (args.data / "ground-truth.json").is_file():
        print(f"no benchmark at {args.data} (expected ground-truth.json there)", file=sys.stderr)
        return 2
    benchmark = load_benchmark(args.data)
    extractors: list[tuple[str, str, Extractor]] = [
        ("searchkit", _version("searchkit"), searchkit_extractor())
    ]
    peer = None if args.no_peers else trafilatura_extractor()
    if peer is not None:
        extractors.append(("trafilatura", _version("trafilatura"), peer))
    elif not args.no_peers:
        print("trafilatura is not installed: searchkit runs alone", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="searchkit-extraction-") as folder:
        paths = write_pages(benchmark, Path(folder))
        runs = run_extractors(paths, extractors)
        fixture = load_metadata_fixture() if METADATA_FIXTURE.is_file() else None
        metadata = check_metadata(paths, fixture) if fixture else None
    text, data = report(benchmark, runs, check_metric(benchmark), metadata)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
