"""The `searchkit` command line: a thin adapter over the public Python API.

Every command parses its options, calls one library function and formats what
comes back. Library errors (the ``SearchkitError`` tree) become one-line
messages with exit status 1 in exactly one place, ``_SearchkitGroup.invoke``.
Nothing heavy is imported at module level: ``searchkit --help`` stays instant
and ``searchkit query`` never loads the HTML parser.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from searchkit.models import Article, Hit, IndexStats, SearchResults

EXIT_INTERRUPTED = 130
"""Exit status after Ctrl-C during indexing (128 + SIGINT, as shells report it)."""

DEBUG_ENVVAR = "SEARCHKIT_DEBUG"
"""Set to 1 to let unexpected errors end with their traceback (for bug reports)."""

_Function = TypeVar("_Function", bound=Callable[..., Any])


class _SearchkitGroup(click.Group):
    """A click group that turns library errors into clean messages, once for all commands."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the chosen command; report any failure as one line instead of a traceback.

        Library errors carry their own advice. Anything else is a bug in
        searchkit: the message says so, and ``SEARCHKIT_DEBUG=1`` shows the
        traceback for the bug report.
        """
        from searchkit.errors import SearchkitError

        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except SearchkitError as error:
            raise click.ClickException(str(error)) from error
        except OSError as error:
            if error.errno == errno.EPIPE:
                raise  # click's own handler quietly ends a broken pipe (`| head`)
            raise click.ClickException(_describe_os_error(error)) from error
        except Exception as error:
            if os.environ.get(DEBUG_ENVVAR):
                raise
            detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            raise click.ClickException(
                f"unexpected {detail} — this is a bug in searchkit; "
                f"rerun with {DEBUG_ENVVAR}=1 and report the traceback"
            ) from error


def _describe_os_error(error: OSError) -> str:
    """Say which file the operating system refused, and what to check next."""
    where = f" ({error.filename})" if error.filename else ""
    reason = error.strerror or str(error)
    return f"{reason}{where}; check that the path exists and that you may read and write it"


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """Turn a YYYY-MM-DD option into a date before any index is opened.

    A bad value is a usage error (exit 2) that shows the expected form, rather
    than a library QueryError after the index has been loaded.
    """
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2024-06-30", ctx, param
        ) from None


def _index_option(function: _Function) -> _Function:
    """The shared ``--index DIR`` option: flag, then $SEARCHKIT_INDEX, then ./index."""
    option = click.option(
        "--index",
        "index_dir",
        envvar="SEARCHKIT_INDEX",
        show_envvar=True,
        default="./index",
        show_default=True,
        metavar="DIR",
        type=click.Path(file_okay=False, dir_okay=True),
        help="Index directory.",
    )
    return option(function)


def _synonym_options(function: _Function) -> _Function:
    """The shared ``--synonyms FILE`` / ``--no-synonyms`` pair."""
    no_synonyms = click.option(
        "--no-synonyms",
        is_flag=True,
        help="Match words literally: no alias expansion (Daesh = ISIS-K = IS-Khorasan ...).",
    )
    synonyms = click.option(
        "--synonyms",
        "synonyms_file",
        metavar="FILE",
        type=click.Path(exists=True, dir_okay=False),
        help="Extra synonym groups (Solr format) added to the built-in ones.",
    )
    return synonyms(no_synonyms(function))


def _json_option(function: _Function) -> _Function:
    option = click.option(
        "--json", "as_json", is_flag=True, help="Print JSON instead of text (for scripts)."
    )
    return option(function)


def _check_synonym_flags(synonyms_file: str | None, no_synonyms: bool) -> None:
    if synonyms_file is not None and no_synonyms:
        raise click.UsageError("--synonyms and --no-synonyms contradict each other; pick one")


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from searchkit import __version__

    click.echo(f"searchkit {__version__}")
    ctx.exit()


@click.group(cls=_SearchkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
def main() -> None:
    """Full-text search for news archives.

    Index a folder of articles, then search it:

        searchkit index corpus/

        searchkit query "border security"
    """


# --------------------------------------------------------------------------- index


class _ProgressReporter:
    """Feeds build_index's on_progress(done, total) into a click progress bar on stderr.

    The bar is created on the first call because only then is the total known.
    """

    def __init__(self) -> None:
        self._bar: Any = None
        self._shown = 0

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = click.progressbar(length=max(total, 1), label="indexing", file=sys.stderr)
            self._bar.__enter__()
        self._bar.update(done - self._shown)
        self._shown = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@contextmanager
def _progress(enabled: bool) -> Iterator[_ProgressReporter | None]:
    reporter = _ProgressReporter() if enabled else None
    try:
        yield reporter
    finally:
        if reporter is not None:
            reporter.close()


@main.command("index")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...", type=click.Path(exists=True))
@_index_option
@click.option(
    "--rebuild", is_flag=True, help="Throw the old index away and index everything again."
)
@_synonym_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option(
    "--follow-links",
    is_flag=True,
    help="Follow every symbolic link, also those pointing outside PATH... "
    "(devices, FIFOs and /proc are never read).",
)
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for another indexer to finish.",
)
@click.pass_context
def index_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    index_dir: str,
    rebuild: bool,
    synonyms_file: str | None,
    no_synonyms: bool,
    quiet: bool,
    follow_links: bool,
    lock_timeout: float,
) -> None:
    """Add, update and remove articles so the index matches PATH... (files or folders).

    Unchanged files are skipped, so running it again is cheap. Symbolic links
    are followed only into PATH... unless --follow-links; what was left out
    (links, FIFOs, devices, index folders) is listed on stderr. Exit status 1
    when any file failed (each is listed with its reason on stderr).
    """
    _check_synonym_flags(synonyms_file, no_synonyms)
    import searchkit

    show_progress = not quiet and sys.stderr.isatty()
    try:
        with _progress(show_progress) as reporter:
            report = searchkit.build_index(
                list(paths),
                index_dir,
                synonyms=synonyms_file,
                rebuild=rebuild,
                use_synonyms=not no_synonyms,
                lock_timeout=lock_timeout,
                on_progress=reporter,
                follow_links=follow_links,
            )
    except KeyboardInterrupt:
        click.echo("interrupted; the last committed index is intact", err=True)
        ctx.exit(EXIT_INTERRUPTED)
    click.echo(report.summary())
    for left_out in report.passed_over:
        click.echo(f"left out: {left_out}", err=True)
    for failure in report.failures:
        click.echo(f"failed: {failure}", err=True)
    if report.failed:
        click.echo(
            "everything else was indexed; fix or remove the failed files above and run "
            "`searchkit index` again",
            err=True,
        )
        ctx.exit(1)


# --------------------------------------------------------------------------- query


def _color_wanted(stream: IO[str]) -> bool:
    """Colour only on a terminal, and never when the user set NO_COLOR (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _mark_spans(text: str, spans: Sequence[tuple[int, int]], color: bool) -> str:
    """Return ``text`` with the (start, end) spans styled; unchanged when colour is off."""
    if not color or not spans:
        return text
    pieces: list[str] = []
    position = 0
    for start, end in sorted(spans):
        start, end = max(start, position), min(end, len(text))
        if start >= end:
            continue
        pieces.append(text[position:start])
        pieces.append(click.style(text[start:end], fg="yellow", bold=True))
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _format_date(value: datetime | None) -> str:
    return value.date().isoformat() if value is not None else "undated"


def _format_hit(hit: Hit, color: bool) -> str:
    """Render one hit as the few lines a person scans: title, who/when/score, where, snippet."""
    title = click.style(hit.title, bold=True) if color else hit.title
    details = " | ".join(
        [hit.source or "unknown outlet", _format_date(hit.published), f"score {hit.score:.2f}"]
    )
    lines = [f"{hit.rank:>3}. {title}", f"     {details} | id {hit.id}"]
    location = hit.url or hit.path
    if location:
        lines.append(f"     {location}")
    if hit.snippet:
        lines.append(f"     {_mark_spans(hit.snippet, hit.highlights, color)}")
    return "\n".join(lines)


def _page_summary(results: SearchResults) -> str:
    """E.g. '12 results, page 1 of 2 (showing 1-10)'."""
    noun = "result" if results.total == 1 else "results"
    last_page = max(1, -(-results.total // max(results.limit, 1)))
    summary = f"{results.total} {noun}, page {results.page} of {last_page}"
    if results.hits:
        summary += f" (showing {results.hits[0].rank}-{results.hits[-1].rank})"
    return summary


def _report_no_hits(results: SearchResults) -> None:
    if results.total:
        click.echo(f"no results on page {results.page}: {_page_summary(results)}", err=True)
    else:
        click.echo(
            f"no results for {results.query!r}; try fewer words, a prefix like secur*, "
            "or fewer filters",
            err=True,
        )


@main.command("query")
@click.argument("words", nargs=-1, required=True, metavar="QUERY")
@_index_option
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    metavar="N",
    help="Hits per page.",
)
@click.option(
    "--page",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    metavar="P",
    help="Which page of hits to show.",
)
@click.option("--source", metavar="S", help="Only articles from this outlet.")
@click.option(
    "--since",
    callback=_parse_date,
    metavar="DATE",
    help="Only articles published on or after DATE.",
)
@click.option(
    "--until",
    callback=_parse_date,
    metavar="DATE",
    help="Only articles published on or before DATE.",
)
@click.option(
    "--sort",
    type=click.Choice(["relevance", "date"]),
    default="relevance",
    show_default=True,
    help="Best match first, or newest first.",
)
@_json_option
@click.option("--explain", is_flag=True, help="Show the parsed and expanded query on stderr.")
@_synonym_options
def query_command(
    words: tuple[str, ...],
    index_dir: str,
    limit: int,
    page: int,
    source: str | None,
    since: date | None,
    until: date | None,
    sort: str,
    as_json: bool,
    explain: bool,
    synonyms_file: str | None,
    no_synonyms: bool,
) -> None:
    """Search the index for QUERY and print the ranked hits.

    QUERY supports "exact phrases", AND/OR/NOT, fields (title:, source:),
    prefixes (secur*) and date ranges (published:[2024-01-01 TO 2024-06-30]).
    Unquoted words may be given as separate arguments.
    """
    _check_synonym_flags(synonyms_file, no_synonyms)
    import searchkit

    with searchkit.Searcher(index_dir, synonyms=synonyms_file) as searcher:
        results = searcher.search(
            " ".join(words),
            limit=limit,
            page=page,
            source=source,
            since=since,
            until=until,
            sort=sort,
            use_synonyms=not no_synonyms,
        )
    if explain:
        click.echo(f"parsed query:   {results.parsed_query}", err=True)
        click.echo(f"expanded query: {results.expanded_query}", err=True)
    for warning in results.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not results.hits:
        _report_no_hits(results)
        return
    if as_json:
        for hit in results.hits:
            click.echo(json.dumps(hit.to_dict(), ensure_ascii=False))
        click.echo(_page_summary(results), err=True)
        return
    stdout = sys.stdout
    color = _color_wanted(stdout)
    click.echo(_page_summary(results))
    for hit in results.hits:
        click.echo()
        click.echo(_format_hit(hit, color))


# --------------------------------------------------------------------------- show / extract


def _format_article(article: Article) -> str:
    """Render an article as a header of metadata, a blank line, then its cleaned text."""
    fields = [
        ("id", article.id),
        ("source", article.source),
        ("published", article.published.isoformat() if article.published else None),
        ("author", article.author),
        ("url", article.url),
        ("path", article.path),
    ]
    header = [article.title] + [f"{name}: {value}" for name, value in fields if value]
    return "\n".join(header) + "\n\n" + article.body


@main.command("show")
@click.argument("doc_id", metavar="ID")
@_index_option
@_json_option
def show_command(doc_id: str, index_dir: str, as_json: bool) -> None:
    """Print the cleaned article with id ID (ids appear in `searchkit query` output)."""
    import searchkit

    with searchkit.Searcher(index_dir) as searcher:
        article = searcher.get(doc_id)
    if as_json:
        click.echo(json.dumps(article.to_dict(), ensure_ascii=False))
    else:
        click.echo(_format_article(article))


@main.command("extract")
@click.argument("file", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@_json_option
@click.pass_context
def extract_command(ctx: click.Context, file: str, as_json: bool) -> None:
    """Show what the ingester makes of FILE, without touching any index.

    Useful to check how a page is cleaned before indexing it. With --json,
    prints one JSON object per article (several for JSON Lines files).
    """
    import searchkit

    failures = 0
    printed = 0
    for item in searchkit.read_articles(file):
        if isinstance(item, searchkit.IngestFailure):
            failures += 1
            click.echo(f"failed: {item}", err=True)
            continue
        if as_json:
            click.echo(json.dumps(item.to_dict(), ensure_ascii=False))
        else:
            if printed:
                click.echo("\n" + "-" * 72 + "\n")
            click.echo(_format_article(item))
        printed += 1
    if failures:
        ctx.exit(1)


# --------------------------------------------------------------------------- stats


def _format_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # unreachable; keeps mypy sure of the return


def _format_stats(stats: IndexStats, index_dir: str) -> str:
    """Render stats as aligned "name: value" rows, outlets largest first."""
    outlet_counts = [
        f"{name} {count}" for name, count in sorted(stats.sources.items(), key=lambda i: -i[1])
    ]
    unattributed = stats.documents - sum(stats.sources.values())
    if unattributed > 0:
        outlet_counts.append(f"{unattributed} without an outlet")
    outlets = ", ".join(outlet_counts)
    if stats.first_published or stats.last_published:
        span = f"{_format_date(stats.first_published)} to {_format_date(stats.last_published)}"
    else:
        span = "no dated articles"
    rows = [
        ("index", index_dir),
        ("documents", str(stats.documents)),
        ("outlets", outlets or "none"),
        ("published", span),
        ("index size", _format_bytes(stats.index_bytes)),
        ("last update", stats.updated.isoformat(timespec="seconds") if stats.updated else "never"),
        ("schema version", str(stats.schema_version)),
        ("synonym groups", str(stats.synonym_groups)),
    ]
    return "\n".join(f"{name + ':':<16}{value}" for name, value in rows)


@main.command("stats")
@_index_option
@_json_option
def stats_command(index_dir: str, as_json: bool) -> None:
    """Summarise the index: documents, outlets, date range, size, last update."""
    import searchkit

    with searchkit.Searcher(index_dir) as searcher:
        stats = searcher.stats()
    if as_json:
        click.echo(json.dumps(stats.to_dict(), ensure_ascii=False))
    else:
        click.echo(_format_stats(stats, index_dir))


if __name__ == "__main__":  # pragma: no cover - `python -m searchkit` goes through __main__
    sys.exit(main())
