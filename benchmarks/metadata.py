"""Metadata benchmark: titles, outlets, dates and authors beside trafilatura and htmldate.

Run ``python benchmarks/metadata.py [--data DIR] [--limit N] [--fields title,outlet,date,author]
[--json OUT]``; ``--body`` instead scores searchkit's article text on l3s-gn1-public (its
``x-nc-sel2`` full-text labels) with the extraction benchmark's metric. Peers come from
the ``bench`` extra (trafilatura, htmldate); a missing
peer is left out with a note. Every tool gets the same page bytes and the page's URL.

Sets and rules (all read in place from ``../shared/data``):

* **title**: l3s-gn1-public, 311 Google News pages of 2008. The truth is the text of
  each outermost ``x-nc-sel1`` (headline) span of the annotated page; pages with
  no such span are left out. A title is right when its normalized form equals
  that of one of the page's headline spans. Normalization: Unicode NFKC,
  case folded, every run of characters that is not a letter or digit turned into one
  space (the labelled copies lost their curly quotes to "?"), trimmed.
* **outlet**: the same pages, against the host of ``url-mapping.txt``. An outlet is
  right when it is a real name of that host: for a host listed in
  ``benchmarks/outlet_names.tsv`` (checked by hand: hosts whose name the host does
  not spell, and hosts of portals that carry other outlets) one of the names listed
  there; otherwise when its squashed form (letters and digits, case folded, with or
  without a leading "the") starts with a distinctive label of the host (not "www",
  "news", a country or a generic suffix) or that label starts with it (3 characters
  at least: "BBC News" for news.bbc.co.uk).
  The bare host name as the fallback writes it (lower case: "telegraph.co.uk") is
  counted apart, as "host only": it names the site but is not a display name; a brand
  that is a domain written as such ("Canada.com", "news.com.au" when listed) counts.
* **date**: htmldate-eval, 799 pages with gold publication dates; right when the
  calendar day (``YYYY-MM-DD``) equals the gold one.
* **author**: the 20-page hand-checked fixture ``tests/data/metadata_fixture.json``
  (pages of ``article-extraction-benchmark``): right when the case-blind set of names
  equals the fixture's (an empty set when the page names nobody).

searchkit is run as users run it, ``searchkit.extract_html(page, url=...)``; a page it
refuses ("no article text found") yields nothing for every field.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import json
import re
import sys
import unicodedata
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA = REPO_ROOT.parent / "shared" / "data"
OUTLET_NAMES = Path(__file__).resolve().parent / "outlet_names.tsv"
FIXTURE = REPO_ROOT / "tests" / "data" / "metadata_fixture.json"
FIELDS = ("title", "outlet", "date", "author")
EXAMPLES_SHOWN = 3

_NOT_WORD = re.compile(r"[\W_]+")
_GENERIC_LABELS = frozenset(
    {"www", "news", "com", "co", "org", "net", "uk", "au", "ca", "nz", "za", "in", "de", "ch",
     "mu", "pk", "tw", "cn", "az", "ie", "tv", "go", "online", "story", "blog", "blogs", "sport",
     "sports",
     "english", "international", "edition", "origin", "network", "ap", "www2"}
)  # fmt: skip
"""Host labels that name no outlet on their own ("news" of news.bbc.co.uk, country codes)."""


# --------------------------------------------------------------------------- rules


def normalize_title(text: str | None) -> str:
    """The form two titles must share to count as the same (see the module docstring)."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return _NOT_WORD.sub(" ", folded).strip()


def squash(text: str) -> str:
    """Letters and digits only, case folded, without a leading "the"."""
    squashed = _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())
    return squashed[3:] if squashed.startswith("the") and len(squashed) > 6 else squashed


def _forms(text: str) -> set[str]:
    """``text`` squashed with and without a leading "the" (hosts keep it: theherald.co.uk)."""
    whole = _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())
    return {whole, squash(text)}


def host_of(url: str) -> str:
    """The URL's host, lower case, without "www."."""
    host = url.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
    return host[4:] if host.startswith("www.") else host


def distinctive_labels(host: str) -> list[str]:
    """The labels of ``host`` that can name an outlet (not "www", "news", "co", "uk", ...)."""
    return [label for label in host.split(".") if label not in _GENERIC_LABELS and len(label) > 1]


def judge_outlet(outlet: str | None, host: str, checked: Mapping[str, frozenset[str]]) -> str:
    """ "right", "host only", "missing" or "wrong" for one page's outlet (module docstring)."""
    if not outlet or not outlet.strip():
        return "missing"
    if host in checked:
        return "right" if squash(outlet) in checked[host] else "wrong"
    if outlet.strip().removeprefix("www.") == host:
        return "host only"
    for label in (squash(label) for label in distinctive_labels(host)):
        for name in _forms(outlet):
            if min(len(label), len(name)) >= 3 and (
                name.startswith(label) or label.startswith(name)
            ):
                return "right"
    return "wrong"


def load_checked_outlets(path: Path = OUTLET_NAMES) -> dict[str, frozenset[str]]:
    """``host TAB name TAB name ...``: the accepted names of hosts the label rule misjudges."""
    checked: dict[str, frozenset[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        host, *names = line.split("\t")
        checked[host.strip().lower()] = frozenset(squash(name) for name in names if name.strip())
    return checked


def judge_title(title: str | None, headlines: Sequence[str]) -> str:
    """ "right", "missing", "has affix" (a headline plus site or section text), "partial" or
    "wrong" (another text: a site name, a section, the first sentence)."""
    found = normalize_title(title)
    if not found:
        return "missing"
    wanted = [normalize_title(headline) for headline in headlines]
    if found in wanted:
        return "right"
    padded = f" {found} "
    if any(f" {headline} " in padded for headline in wanted if headline):
        return "has affix"
    if any(padded in f" {headline} " for headline in wanted):
        return "partial"
    return "wrong"


def judge_date(found: str | None, gold: str) -> str:
    """ "right", "missing", "near" (within 3 days: a time zone or an update) or "wrong"."""
    if not found:
        return "missing"
    if found == gold:
        return "right"
    from datetime import date

    try:
        gap = abs((date.fromisoformat(found) - date.fromisoformat(gold)).days)
    except ValueError:
        return "wrong"
    return "near" if gap <= 3 else "wrong"


def judge_authors(found: Iterable[str], gold: Iterable[str]) -> str:
    """ "right", "missing", "extra" (the right names plus junk), "partial" or "wrong"."""
    have = {name.strip().casefold() for name in found if name.strip()}
    want = {name.strip().casefold() for name in gold}
    if have == want:
        return "right"
    if not have:
        return "missing"
    if want and want < have:
        return "extra"
    if have < want:
        return "partial"
    return "wrong"


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Page:
    """One page of a set: its bytes, the URL it came from and its truth."""

    id: str
    html: bytes
    url: str
    truth: Any


def _outermost_headlines(annotated: bytes, label: str = "x-nc-sel1") -> list[str]:
    """Distinct texts of the outermost ``label`` spans (the headline), in page order."""
    from bs4 import BeautifulSoup

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        soup = BeautifulSoup(annotated, "lxml")
    texts: list[str] = []
    for span in soup.select(f".{label}"):
        if span.find_parent(class_=label) is not None:
            continue
        text = " ".join(span.get_text(" ").split())
        if text and text not in texts:
            texts.append(text)
    return texts


def load_l3s(directory: Path, limit: int | None = None) -> list[Page]:
    """l3s-gn1-public pages with their URL and their headline labels (``truth``)."""
    urls: dict[str, str] = {}
    for line in (directory / "url-mapping.txt").read_text(encoding="utf-8").splitlines():
        key, _, url = line.partition("\t")
        urls[key.strip().removeprefix("<urn:uuid:").removesuffix(">")] = url.strip()
    pages: list[Page] = []
    for path in sorted((directory / "original").glob("*.html.gz"))[:limit]:
        page_id = path.name.removesuffix(".html.gz")
        annotated = gzip.decompress((directory / "annotated" / path.name).read_bytes())
        pages.append(
            Page(page_id, gzip.decompress(path.read_bytes()), urls[page_id],
                 _outermost_headlines(annotated))
        )  # fmt: skip
    return pages


def load_l3s_bodies(directory: Path, limit: int | None = None) -> list[Page]:
    """l3s-gn1-public pages with their labelled full text (``x-nc-sel2`` spans) as ``truth``."""
    pages: list[Page] = []
    for page in load_l3s(directory, limit):
        annotated = gzip.decompress((directory / "annotated" / f"{page.id}.html.gz").read_bytes())
        body = "\n".join(_outermost_headlines(annotated, "x-nc-sel2"))
        pages.append(Page(page.id, page.html, page.url, body))
    return pages


def score_bodies(pages: Sequence[Page]) -> str:
    """searchkit's body F1 on l3s-gn1-public, with the extraction benchmark's shingle metric."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import extraction

    from searchkit import IngestError
    from searchkit.ingest import extract_html

    scores = []
    refused = 0
    for page in pages:
        try:
            body: str | None = extract_html(page.html, url=page.url).body
        except IngestError:
            body, refused = None, refused + 1
        scores.append(extraction.score_page(page.truth, body))
    summary = extraction.summarise(scores)
    return (
        f"## body ({summary.pages} pages)\n\nF1 {summary.f1:.3f}, precision "
        f"{summary.precision:.3f}, recall {summary.recall:.3f}; refused (no article text) "
        f"{refused} of {len(pages)}\n"
    )


def load_htmldate_eval(directory: Path, limit: int | None = None) -> list[Page]:
    """htmldate-eval pages with their URL and gold date (``truth``, YYYY-MM-DD)."""
    gold: dict[str, dict[str, str]] = json.loads((directory / "gold.json").read_text("utf-8"))
    pages: list[Page] = []
    for name in sorted(gold)[:limit]:
        path = directory / "pages" / f"{name}.gz"
        if path.is_file():
            entry = gold[name]
            pages.append(
                Page(name, gzip.decompress(path.read_bytes()), entry["url"], entry["date"])
            )
    return pages


def load_fixture_pages(directory: Path, fixture: Path = FIXTURE) -> list[Page]:
    """The fixture's pages from article-extraction-benchmark, their authors as ``truth``."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import extraction  # the extraction benchmark's loaders

    benchmark = extraction.load_benchmark(directory)
    return [
        Page(entry["id"], benchmark.page_bytes(entry["id"]), benchmark.urls[entry["id"]],
             entry["authors"])
        for entry in extraction.load_metadata_fixture(fixture)
        if entry["id"] in benchmark.ids
    ]  # fmt: skip


# --------------------------------------------------------------------------- tools


@dataclass(frozen=True)
class Found:
    """What one tool says of one page (None: it says nothing)."""

    title: str | None = None
    outlet: str | None = None
    date: str | None = None
    authors: tuple[str, ...] = ()
    refused: bool = False


Tool = Callable[[Page], Found]


def searchkit_tool() -> Tool:
    """``searchkit.extract_html(page, url=...)``; a refused page yields nothing."""
    from searchkit import IngestError
    from searchkit.ingest import extract_html

    def run(page: Page) -> Found:
        try:
            article = extract_html(page.html, url=page.url)
        except IngestError:
            return Found(refused=True)
        authors = tuple(name for name in (article.author or "").split(", ") if name)
        return Found(
            title=article.title,
            outlet=article.source,
            date=article.published.date().isoformat() if article.published else None,
            authors=authors,
        )

    return run


def trafilatura_tool() -> Tool | None:
    """``trafilatura.extract_metadata`` (extensive date search), if installed."""
    try:
        import trafilatura
    except ImportError:
        return None

    def run(page: Page) -> Found:
        html = page.html.decode("utf-8", errors="replace")
        document = trafilatura.extract_metadata(html, default_url=page.url)
        if document is None:
            return Found()
        authors = tuple(name.strip() for name in (document.author or "").split(";"))
        return Found(
            title=document.title,
            outlet=document.sitename,
            date=(document.date or None),
            authors=tuple(name for name in authors if name),
        )

    return run


def htmldate_tool(*, extensive: bool) -> Tool | None:
    """``htmldate.find_date`` (original publication date), if installed; dates only."""
    try:
        from htmldate import find_date
    except ImportError:
        return None

    def run(page: Page) -> Found:
        found = find_date(page.html, url=page.url, extensive_search=extensive, original_date=True)
        return Found(date=found)

    return run


# --------------------------------------------------------------------------- scoring


@dataclass
class FieldResult:
    """One tool on one field: a verdict per page and what it found there."""

    verdicts: dict[str, str] = field(default_factory=dict)
    found: dict[str, object] = field(default_factory=dict)

    def accuracy(self) -> float:
        """Share of pages judged "right"."""
        total = len(self.verdicts)
        return sum(v == "right" for v in self.verdicts.values()) / total if total else 0.0


def score(
    field_name: str, pages: Sequence[Page], tools: Mapping[str, Tool],
    checked: Mapping[str, frozenset[str]], cache: dict[tuple[str, str], Found],
) -> dict[str, FieldResult]:  # fmt: skip
    """Run every tool on every page (taking turns page by page) and judge one field.

    ``cache`` keeps what a tool found on a page, so the title and outlet fields,
    read from the same pages, run each tool once.
    """
    results = {name: FieldResult() for name in tools}
    for page in pages:
        if field_name == "title" and not page.truth:
            continue
        for name, tool in tools.items():
            found = cache.get((name, page.id))
            if found is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    found = cache[(name, page.id)] = tool(page)
            result = results[name]
            if field_name == "title":
                result.found[page.id] = found.title
                result.verdicts[page.id] = judge_title(found.title, page.truth)
            elif field_name == "outlet":
                result.found[page.id] = found.outlet
                result.verdicts[page.id] = judge_outlet(found.outlet, host_of(page.url), checked)
            elif field_name == "date":
                result.found[page.id] = found.date
                result.verdicts[page.id] = judge_date(found.date, page.truth)
            else:
                result.found[page.id] = list(found.authors)
                result.verdicts[page.id] = judge_authors(found.authors, page.truth)
            if found.refused:
                result.found[page.id] = "(page refused)"
    return results


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def report(
    results: Mapping[str, Mapping[str, FieldResult]], pages: Mapping[str, Sequence[Page]]
) -> tuple[str, dict[str, Any]]:
    """The printed tables (accuracy, then errors by category with examples) and a JSON dict."""
    lines: list[str] = []
    data: dict[str, Any] = {}
    for field_name, by_tool in results.items():
        truth = {page.id: page for page in pages[field_name]}
        counted = len(next(iter(by_tool.values())).verdicts) if by_tool else 0
        lines.append(f"## {field_name} ({counted} pages)")
        lines.append("")
        categories = sorted({v for r in by_tool.values() for v in r.verdicts.values()} - {"right"})
        header = ["tool", "accuracy", *categories]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        data[field_name] = {}
        for tool, result in by_tool.items():
            counts = Counter(result.verdicts.values())
            row = [tool, f"{result.accuracy():.3f}", *(str(counts[c]) for c in categories)]
            lines.append("| " + " | ".join(row) + " |")
            data[field_name][tool] = {"accuracy": result.accuracy(), "counts": dict(counts)}
        first = next(iter(by_tool), None)
        if first is not None:
            lines.append("")
            lines.append(f"Worst cases of {first} by category (up to {EXAMPLES_SHOWN} each):")
            examples: dict[str, list[str]] = defaultdict(list)
            for page_id, verdict in by_tool[first].verdicts.items():
                if verdict != "right" and len(examples[verdict]) < EXAMPLES_SHOWN:
                    page = truth[page_id]
                    wanted = (
                        page.truth[0] if isinstance(page.truth, list) and page.truth else page.truth
                    )
                    if field_name == "outlet":
                        wanted = host_of(page.url)
                    got = by_tool[first].found.get(page_id)
                    examples[verdict].append(f"  - {verdict}: got {got!r}, want {wanted!r}")
            for verdict in categories:
                lines.extend(examples.get(verdict, []))
        lines.append("")
    return "\n".join(lines), data


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the report (exit status 2 when the data is missing)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder")
    parser.add_argument("--limit", type=int, help="only the first N pages of each set")
    parser.add_argument("--fields", default=",".join(FIELDS), help="comma-separated fields")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument(
        "--body", action="store_true", help="only searchkit's body F1 on l3s-gn1-public"
    )
    args = parser.parse_args(argv)
    if args.body:
        print(score_bodies(load_l3s_bodies(args.data / "l3s-gn1-public", args.limit)))
        return 0
    wanted = [name.strip() for name in args.fields.split(",") if name.strip()]
    folders = {
        "title": args.data / "l3s-gn1-public",
        "outlet": args.data / "l3s-gn1-public",
        "date": args.data / "htmldate-eval",
        "author": args.data / "article-extraction-benchmark",
    }
    missing = [str(folders[name]) for name in wanted if not folders[name].is_dir()]
    if missing or any(name not in FIELDS for name in wanted):
        print(f"missing data or unknown field: {missing or wanted}", file=sys.stderr)
        return 2
    searchkit = searchkit_tool()
    peers: dict[str, Tool | None] = {
        f"trafilatura {_version('trafilatura')}": trafilatura_tool(),
        f"htmldate {_version('htmldate')} extensive": htmldate_tool(extensive=True),
        f"htmldate {_version('htmldate')} fast": htmldate_tool(extensive=False),
    }
    for name, tool in peers.items():
        if tool is None:
            print(
                f"{name.split()[0]} is not installed (the bench extra): left out", file=sys.stderr
            )
    l3s = load_l3s(folders["title"], args.limit) if {"title", "outlet"} & set(wanted) else []
    pages = {
        "title": l3s,
        "outlet": l3s,
        "date": load_htmldate_eval(folders["date"], args.limit) if "date" in wanted else [],
        "author": load_fixture_pages(folders["author"]) if "author" in wanted else [],
    }
    checked = load_checked_outlets()
    results: dict[str, dict[str, FieldResult]] = {}
    cache: dict[tuple[str, str], Found] = {}
    for name in wanted:
        tools: dict[str, Tool] = {f"searchkit {_version('searchkit')}": searchkit}
        for peer, tool in peers.items():
            if tool is not None and (name == "date" or peer.startswith("trafilatura")):
                tools[peer] = tool
        results[name] = score(name, pages[name], tools, checked, cache)
    text, data = report(results, pages)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
