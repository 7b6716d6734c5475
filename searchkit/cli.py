"""The `searchkit` command line: a thin adapter over the public Python API.

Every command parses its options, calls one library function and formats what
comes back. Library errors (the ``SearchkitError`` tree) become one-line
messages with exit status 1 in exactly one place, ``_SearchkitGroup.invoke``;
a bad option value is a usage error (exit 2) raised by the option's click
type or callback before any index is opened. Every human output goes through
``_echo`` and every JSON line through ``_echo_json``, which neutralise
terminal controls that page text (or an old index) may hold.
Nothing heavy is imported at module level: ``searchkit --help`` stays instant
and ``searchkit query`` never loads the HTML parser.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from searchkit.characters import INVISIBLE_CHARACTERS, TERMINAL_CONTROLS, terminal_safe
from searchkit.options import FACET_FIELDS, HISTOGRAM_INTERVALS, MAX_LIMIT, SORT_ORDERS

if TYPE_CHECKING:
    from searchkit.models import (
        Article,
        Histogram,
        Hit,
        IndexReport,
        IndexStats,
        SearchResults,
    )

EXIT_INTERRUPTED = 130
"""Exit status after Ctrl-C during indexing (128 + SIGINT, as shells report it)."""

DEBUG_ENVVAR = "SEARCHKIT_DEBUG"
"""Set to 1 to let unexpected errors end with their traceback (for bug reports)."""

_Function = TypeVar("_Function", bound=Callable[..., Any])


# --------------------------------------------------------------------------- output


class _Safe(str):
    """Text already neutralised for a terminal; the only kind ``_echo`` prints unchanged.

    Styling (``_styled``) adds searchkit's own escape sequences to neutralised
    text, so the result is ``_Safe`` too. Anything else, including a ``_Safe``
    concatenated with a plain string, is plain ``str`` and gets neutralised.
    """


def _neutral(text: str) -> _Safe:
    """``text`` with its terminal controls shown as U+FFFD (see ``searchkit.characters``)."""
    return text if isinstance(text, _Safe) else _Safe(terminal_safe(text))


def _styled(text: str, **style: Any) -> _Safe:
    """``text`` neutralised, then styled with click's ANSI codes."""
    return _Safe(click.style(_neutral(text), **style))


def _joined(pieces: Iterable[str], separator: str = "") -> _Safe:
    """Join neutralised and plain pieces; plain ones are neutralised first."""
    return _Safe(_neutral(separator).join(_neutral(piece) for piece in pieces))


def _echo(text: str = "", *, err: bool = False) -> None:
    """Print one human message: the one place the CLI writes text for people.

    Titles, outlets, ids, URLs, paths and errors may hold ESC, BEL or C1
    controls, from pages or from an index built before ingest removed them;
    click strips only ``ESC [`` sequences, and only when piped. Here every
    control except tab and newline becomes U+FFFD, whatever the stream.
    """
    click.echo(_neutral(text), err=err)


_JSON_UNSAFE = re.compile(
    "[" + "".join(chars for chars, _ in TERMINAL_CONTROLS + INVISIBLE_CHARACTERS) + "]"
)


def _json_line(data: Mapping[str, Any]) -> str:
    """``data`` as one line of JSON that is also safe to print on a terminal.

    ``json.dumps`` escapes C0 controls but writes DEL, C1 controls and
    invisible or direction characters as they are; they are written as
    ``\\uXXXX`` escapes here, so the JSON still decodes to exactly the stored
    text while a terminal showing it obeys none of them.
    """
    text = json.dumps(data, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _echo_json(data: Mapping[str, Any]) -> None:
    """Print one JSON line on stdout (see ``_json_line``)."""
    click.echo(_json_line(data))


class _SearchkitGroup(click.Group):
    """A click group that turns library errors into clean messages, once for all commands."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the chosen command; report any failure as one line instead of a traceback.

        Library errors carry their own advice. Anything else is a bug in
        searchkit: the message says so, and ``SEARCHKIT_DEBUG=1`` shows the
        traceback for the bug report.
        """
        from searchkit.errors import QueryError, SearchkitError

        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # click quotes what was typed with repr(), which escapes controls
        except QueryError as error:
            # A value the options' own checks let through: still the caller's usage.
            raise click.UsageError(terminal_safe(str(error)), ctx) from error
        except SearchkitError as error:
            raise click.ClickException(terminal_safe(str(error))) from error
        except OSError as error:
            if error.errno == errno.EPIPE:
                raise  # click's own handler quietly ends a broken pipe (`| head`)
            raise click.ClickException(terminal_safe(_describe_os_error(error))) from error
        except Exception as error:
            if os.environ.get(DEBUG_ENVVAR):
                raise
            detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            raise click.ClickException(
                terminal_safe(
                    f"unexpected {detail} — this is a bug in searchkit; "
                    f"rerun with {DEBUG_ENVVAR}=1 and report the traceback"
                )
            ) from error


def _describe_os_error(error: OSError) -> str:
    """Say which file the operating system refused, and what to check next."""
    where = f" ({error.filename})" if error.filename else ""
    reason = error.strerror or str(error)
    return f"{reason}{where}; check that the path exists and that you may read and write it"


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Check a YYYY, YYYY-MM or YYYY-MM-DD option before any index is opened.

    The text itself goes to the library, which reads a year or month as the
    whole period (its first day for --since, its last for --until). A bad
    value is a usage error (exit 2) that shows the expected forms, rather
    than a library QueryError after the index has been loaded.
    """
    if value is None:
        return None
    from searchkit.date_bounds import DATE_FORMS, parse_date_bound
    from searchkit.errors import QueryError

    try:
        parse_date_bound(value, end_of_day=param.name == "until", name=param.name or "date")
    except QueryError:
        raise click.BadParameter(
            f"{value!r} is not a date; write it as {DATE_FORMS}, e.g. 2024, 2024-06 or 2024-06-30",
            ctx,
            param,
        ) from None
    return value.strip()


def _check_date_order(since: str | None, until: str | None) -> None:
    """Refuse --since later than --until (a usage error, before any index is opened)."""
    if since is None or until is None:
        return
    from searchkit.date_bounds import parse_date_bound

    start = parse_date_bound(since, end_of_day=False, name="since")
    end = parse_date_bound(until, end_of_day=True, name="until")
    if start is not None and end is not None and start > end:
        raise click.BadParameter(
            f"{since} is later than --until {until}: no date can match",
            param_hint="'--since'",
        )


def _not_blank(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse an empty value: ``--index ""`` or ``--source ""`` can name nothing.

    Without this an empty outlet silently meant "every outlet" and an empty
    index path was reported as a missing index (exit 1), not as the usage
    error it is.
    """
    if value is not None and not value.strip():
        raise click.BadParameter("must not be empty", ctx, param)
    return value


def _globs(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """Refuse an empty --exclude: it could only mean "exclude nothing" by accident."""
    for glob in value:
        if not glob.strip():
            raise click.BadParameter("must not be empty", ctx, param)
    return value


def _finite_seconds(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """Refuse NaN (FloatRange lets it through): no lock wait can be "not a number" seconds."""
    if math.isnan(value):
        raise click.BadParameter("must be a number of seconds, not nan", ctx, param)
    return value


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
        callback=_not_blank,
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

    _echo(f"searchkit {__version__}")
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
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    metavar="PATH...",
    type=click.Path(exists=True, allow_dash=True),
)
@_index_option
@click.option(
    "--rebuild", is_flag=True, help="Throw the old index away and index everything again."
)
@_synonym_options
@click.option(
    "--outlets",
    "outlets_file",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Extra outlet names: lines of 'Display Name, variant, host.com' (added to the "
    "built-in table; run with --rebuild after changing it).",
)
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
    callback=_finite_seconds,
    metavar="SECONDS",
    help="How long to wait for another indexer to finish.",
)
@click.option(
    "--exclude",
    "exclude_globs",
    multiple=True,
    metavar="GLOB",
    callback=_globs,
    help="Do not read files or folders whose path under PATH, or whose name, matches GLOB "
    "(repeatable; README*, LICENSE*, PROVENANCE* and .* are excluded inside folders too, "
    "unless --no-default-excludes).",
)
@click.option(
    "--no-default-excludes",
    is_flag=True,
    help="Read README*, LICENSE*, PROVENANCE* and .* files too (a page named "
    "license-fee.html, say).",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Also list each excluded, skipped and still-failing file, with why.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 when any file fails, also one that failed on an earlier run.",
)
@click.option(
    "--url-map",
    "url_map",
    type=click.Path(exists=True, dir_okay=False),
    metavar="FILE",
    help="Tab-separated PATH-or-ID<tab>URL rows: the URL of pages and records that state none.",
)
@click.option(
    "--shards",
    type=click.IntRange(min=1),
    metavar="N",
    help="Build a sharded index of N shards on a Dask cluster (needs searchkit[distributed]); "
    "an index that is already sharded keeps its count.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler for a sharded build (default: a local cluster, one worker per core).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    metavar="N",
    help="Worker processes of the local cluster of a sharded build (default: one per core).",
)
@click.pass_context
def index_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    index_dir: str,
    rebuild: bool,
    synonyms_file: str | None,
    no_synonyms: bool,
    outlets_file: str | None,
    quiet: bool,
    follow_links: bool,
    lock_timeout: float,
    exclude_globs: tuple[str, ...],
    no_default_excludes: bool,
    verbose: bool,
    strict: bool,
    url_map: str | None,
    shards: int | None,
    scheduler: str | None,
    workers: int | None,
) -> None:
    """Add, update and remove articles so the index matches PATH... (files or folders).

    `searchkit index -` reads JSON Lines records from standard input instead
    and adds them (ids from each record's id, else url, else its text).

    Unchanged files are skipped, so running it again is cheap, and a file
    that failed before is not read again until its bytes change (it counts
    as "still failing"). Symbolic links are followed only into PATH... unless
    --follow-links; what was left out (links, FIFOs, devices, index folders)
    is listed on stderr. Exit status 1 when a file failed for the first time
    (each is listed with its reason on stderr), or with --strict when any did.
    """
    _check_synonym_flags(synonyms_file, no_synonyms)
    import searchkit

    if "-" in paths:
        if len(paths) > 1 or rebuild or url_map:
            raise click.UsageError(
                "`searchkit index -` reads standard input alone: name no other PATH, "
                "and use neither --rebuild nor --url-map with it",
                ctx,
            )
        _index_stdin(ctx, index_dir, synonyms_file, no_synonyms, lock_timeout, verbose, strict)
        return
    from searchkit.distributed.manifest import is_sharded

    if shards is not None or scheduler is not None or is_sharded(index_dir):
        if "-" in paths:
            raise click.UsageError("a sharded index is built from files, not standard input", ctx)
        _index_sharded(ctx, paths, index_dir, shards, scheduler, workers, rebuild,
                       synonyms_file, no_synonyms, verbose, strict)  # fmt: skip
        return
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
                exclude=exclude_globs,
                default_excludes=not no_default_excludes,
                url_map=url_map,
                outlets=outlets_file,
            )
    except KeyboardInterrupt:
        _echo("interrupted; the last committed index is intact", err=True)
        ctx.exit(EXIT_INTERRUPTED)
    _report_index_run(ctx, report, verbose=verbose, strict=strict)


def _index_sharded(
    ctx: click.Context,
    paths: tuple[str, ...],
    index_dir: str,
    shards: int | None,
    scheduler: str | None,
    workers: int | None,
    rebuild: bool,
    synonyms_file: str | None,
    no_synonyms: bool,
    verbose: bool,
    strict: bool,
) -> None:
    """Build or update a sharded index on Dask, all shards or none."""
    from searchkit.distributed.build import build_sharded_index
    from searchkit.models import IndexReport

    try:
        built = build_sharded_index(
            list(paths),
            index_dir,
            shards=shards,
            scheduler=scheduler,
            workers=workers,
            synonyms=synonyms_file,
            use_synonyms=not no_synonyms,
            rebuild=rebuild,
        )
    except KeyboardInterrupt:
        _echo("interrupted; the last committed generation of every shard is intact", err=True)
        ctx.exit(EXIT_INTERRUPTED)
    report = IndexReport(
        added=built.added,
        updated=built.updated,
        removed=built.removed,
        failed=len(built.failures),
        seconds=built.seconds,
        failures=built.failures,
    )
    _echo(
        f"sharded index: generation {built.generation}, {len(built.shards)} shards, "
        f"{built.documents:,} documents, {built.workers} workers",
        err=True,
    )
    _report_index_run(ctx, report, verbose=verbose, strict=strict)


def _index_stdin(
    ctx: click.Context,
    index_dir: str,
    synonyms_file: str | None,
    no_synonyms: bool,
    lock_timeout: float,
    verbose: bool,
    strict: bool,
) -> None:
    from searchkit.sync import index_stream

    try:
        report = index_stream(
            sys.stdin.buffer,
            index_dir,
            synonyms=synonyms_file,
            use_synonyms=not no_synonyms,
            lock_timeout=lock_timeout,
        )
    except KeyboardInterrupt:
        _echo("interrupted; the last committed index is intact", err=True)
        ctx.exit(EXIT_INTERRUPTED)
    _report_index_run(ctx, report, verbose=verbose, strict=strict)


_NOTES_SHOWN = 10
"""Notes (URL-map rows that matched nothing) listed before the rest are only counted."""


def _report_index_run(
    ctx: click.Context, report: IndexReport, *, verbose: bool = False, strict: bool = False
) -> None:
    """Print an index run's summary, what it left out, its notes and failures; exit 1 on a
    failure."""
    _echo(report.summary())
    for note in report.notes[:_NOTES_SHOWN]:
        _echo(f"note: {note}", err=True)
    if len(report.notes) > _NOTES_SHOWN:
        _echo(f"note: {len(report.notes) - _NOTES_SHOWN} more like these", err=True)
    _report_index_details(report, verbose=verbose, strict=strict)
    if report.failed or (strict and not report.clean):
        _echo(
            "everything else was indexed; fix or remove the failed files above and run "
            "`searchkit index` again",
            err=True,
        )
        ctx.exit(1)


def _report_index_details(report: IndexReport, *, verbose: bool, strict: bool) -> None:
    """List on stderr what the summary counts: always the new failures and what the scan
    left out; excluded, skipped and still-failing files with --verbose (still failing
    ones with --strict too, since they decide the exit status then)."""
    for left_out in report.passed_over:
        _echo(f"left out: {left_out}", err=True)
    if verbose:
        for excluded in report.excluded:
            _echo(f"excluded: {excluded.path} (matches {excluded.reason})", err=True)
        for skipped in report.skipped_files:
            _echo(f"skipped: {skipped}", err=True)
    if verbose or strict:
        for failure in report.still_failing:
            _echo(f"still failing: {failure}", err=True)
    for failure in report.failures:
        _echo(f"failed: {failure}", err=True)


# --------------------------------------------------------------------------- query


def _color_wanted(stream: IO[str]) -> bool:
    """Colour only on a terminal, and never when the user set NO_COLOR (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _mark_spans(text: str, spans: Sequence[tuple[int, int]], color: bool) -> _Safe:
    """Return ``text`` neutralised, with the (start, end) spans styled when colour is on.

    The spans index the stored text, so it is cut first and each piece
    neutralised after (one character for one, so nothing shifts either way).
    """
    if not color or not spans:
        return _neutral(text)
    pieces: list[str] = []
    position = 0
    for start, end in sorted(spans):
        start, end = max(start, position), min(end, len(text))
        if start >= end:
            continue
        pieces.append(text[position:start])
        pieces.append(_styled(text[start:end], fg="yellow", bold=True))
        position = end
    pieces.append(text[position:])
    return _joined(pieces)


def _format_date(value: datetime | None) -> str:
    return value.date().isoformat() if value is not None else "undated"


def _format_hit(hit: Hit, color: bool) -> _Safe:
    """Render one hit as the few lines a person scans: title, who/when/score, where, snippet."""
    title = _styled(hit.title, bold=True) if color else _neutral(hit.title)
    details = " | ".join(
        [hit.source or "unknown outlet", _format_date(hit.published), f"score {hit.score:.2f}"]
    )
    lines = [_joined([f"{hit.rank:>3}. ", title]), f"     {details} | id {hit.id}"]
    if hit.copies:
        lines.append(f"     {_copies_line(hit)}")
    location = hit.url or hit.path
    if location:
        lines.append(f"     {location}")
    if hit.snippet:
        lines.append(_joined(["     ", _mark_spans(hit.snippet, hit.highlights, color)]))
    return _joined(lines, "\n")


def _copies_line(hit: Hit) -> str:
    """E.g. '+2 copies: Reuters, AP' (each outlet once)."""
    outlets = dict.fromkeys(source or "unknown outlet" for source in hit.copy_sources)
    noun = "copy" if len(hit.copies) == 1 else "copies"
    return f"+{len(hit.copies)} {noun}: {', '.join(outlets)}"


def _date_span(first: datetime | None, last: datetime | None) -> str:
    if first is None or last is None:
        return "undated"
    if first.date() == last.date():
        return _format_date(first)
    return f"{_format_date(first)} to {_format_date(last)}"


def _format_story_hit(hit: Hit) -> str:
    """One line per story: its best hit, then '+N articles from M outlets' (left out when
    the story matched only this article) and the date span."""
    story = hit.story
    parts = [hit.title, hit.source or "unknown outlet", f"id {hit.id}"]
    if story and story.articles:
        noun = "article" if story.articles == 1 else "articles"
        outlets = len(story.outlets)
        parts.append(f"+{story.articles} {noun} from {outlets} outlet{'' if outlets == 1 else 's'}")
    span = _date_span(story.first, story.last) if story else _format_date(hit.published)
    parts.append(span)
    if hit.story_id:
        parts.append(f"story {hit.story_id}")
    return f"{hit.rank:>3}. " + " | ".join(parts)


def _page_summary(results: SearchResults) -> str:
    """E.g. '12 results, page 1 of 2 (showing 1-10)'; collapsed results also say how many
    documents they stand for."""
    noun = "result" if results.total == 1 else "results"
    shown = results.groups if results.groups is not None else results.total
    last_page = max(1, -(-shown // max(results.limit, 1)))
    summary = f"{results.total} {noun}, page {results.page} of {last_page}"
    if results.groups is not None and results.groups != results.total:
        groups = "group" if results.groups == 1 else "groups"
        summary = (
            f"{results.total} {noun} in {results.groups} {groups}, "
            f"page {results.page} of {last_page}"
        )
    if results.hits:
        summary += f" (showing {results.hits[0].rank}-{results.hits[-1].rank})"
    return summary


def _report_no_hits(results: SearchResults) -> None:
    if results.total:
        _echo(f"no results on page {results.page}: {_page_summary(results)}", err=True)
    else:
        _echo(
            f"no results for {results.query!r}; try fewer words, a prefix like secur*, "
            "or fewer filters",
            err=True,
        )


_LONG_OPTION = re.compile(r"--[A-Za-z][\w-]*(=|$)")


def _words_behind_separator(args: Sequence[str], takes_value: Mapping[str, bool]) -> list[str]:
    """Reorder ``args`` as options, then ``--``, then every query word, keeping their order.

    People write exclusions as ``-brexit``, and click would read
    ``searchkit query "-brexit economy"`` as the short options ``-b -r ...``
    (exit 2, or help for a word containing ``h``). Here an argument is an
    option only if it is one of the command's options (or looks like a long
    option, so a mistyped ``--limt`` is still reported); the value after an
    option that takes one stays with it; everything after a ``--`` of the
    user's own is query text as before.
    """
    options: list[str] = []
    words: list[str] = []
    expecting_value = False
    for position, arg in enumerate(args):
        if expecting_value:
            options.append(arg)
            expecting_value = False
        elif arg == "--":
            words.extend(args[position + 1 :])
            break
        elif _LONG_OPTION.match(arg):
            options.append(arg)
            expecting_value = "=" not in arg and takes_value.get(arg, False)
        elif arg in takes_value:
            options.append(arg)
            expecting_value = takes_value[arg]
        else:
            words.append(arg)
    return [*options, "--", *words] if words else options


class _QueryCommand(click.Command):
    """``searchkit query``: query text may start with ``-`` (see ``_words_behind_separator``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Put the query words behind ``--``, then let click parse as usual."""
        takes_value: dict[str, bool] = {}
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    takes_value[name] = not (param.is_flag or param.count)
        return super().parse_args(ctx, _words_behind_separator(args, takes_value))


@main.command("query", cls=_QueryCommand)
@click.argument("words", nargs=-1, required=True, metavar="QUERY")
@_index_option
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=MAX_LIMIT),
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
@click.option("--source", metavar="S", callback=_not_blank, help="Only articles from this outlet.")
@click.option(
    "--since",
    callback=_parse_date,
    metavar="DATE",
    help="Only articles published on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD: "
    "from the first day of that year or month).",
)
@click.option(
    "--until",
    callback=_parse_date,
    metavar="DATE",
    help="Only articles published on or before DATE (YYYY, YYYY-MM or YYYY-MM-DD: "
    "to the last day of that year or month).",
)
@click.option(
    "--sort",
    type=click.Choice(SORT_ORDERS),
    default="relevance",
    show_default=True,
    help="Best match first, or newest first.",
)
@_json_option
@click.option("--explain", is_flag=True, help="Show the parsed and expanded query on stderr.")
@click.option(
    "--all-copies",
    is_flag=True,
    help="Show every copy of a text (by default copies count as one result, '+N copies').",
)
@click.option(
    "--by-story", is_flag=True, help="One line per story: its best hit, then the rest summarised."
)
@_synonym_options
@click.option(
    "--facet",
    "facet_fields",
    type=click.Choice(FACET_FIELDS),
    multiple=True,
    help="After the hits, count every match per outlet or per author (may be repeated).",
)
@click.option(
    "--histogram",
    "interval",
    type=click.Choice(HISTOGRAM_INTERVALS),
    help="After the hits, count every match per day, week, month or year (UTC).",
)
@click.option(
    "--exact",
    is_flag=True,
    help="Search the query as typed even when it finds nothing and a correction would.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Search a sharded index's shards on this Dask scheduler (default: in this process).",
)
@click.option(
    "--require-all",
    is_flag=True,
    help="With a sharded index, fail when a shard cannot be searched (default: warn and "
    "answer from the others).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    callback=_finite_seconds,
    metavar="SECONDS",
    help="How long each phase of a sharded search waits for its shards on a cluster.",
)
def query_command(
    words: tuple[str, ...],
    index_dir: str,
    limit: int,
    page: int,
    source: str | None,
    since: str | None,
    until: str | None,
    sort: str,
    as_json: bool,
    explain: bool,
    all_copies: bool,
    by_story: bool,
    synonyms_file: str | None,
    no_synonyms: bool,
    scheduler: str | None,
    require_all: bool,
    timeout: float,
    facet_fields: tuple[str, ...] = (),
    interval: str | None = None,
    exact: bool = False,
) -> None:
    """Search the index for QUERY and print the ranked hits.

    QUERY supports "exact phrases", AND/OR/NOT, -word (not), +word (must),
    fields (title:, source:), prefixes (secur*) and date ranges
    (published:[2024-01-01 TO 2024-06-30]). Unquoted words may be given as
    separate arguments, and query text may start with "-".
    """
    _check_synonym_flags(synonyms_file, no_synonyms)
    _check_date_order(since, until)
    import searchkit
    from searchkit.distributed.manifest import is_sharded

    searcher: searchkit.Searcher
    if is_sharded(index_dir):
        from searchkit.distributed.coordinator import ShardedSearcher

        searcher = ShardedSearcher(
            index_dir,
            synonyms=synonyms_file,
            scheduler=scheduler,
            require_all=require_all,
            timeout=timeout,
        )
    elif scheduler is not None:
        raise click.UsageError(f"{index_dir} is not a sharded index: --scheduler needs one")
    else:
        searcher = searchkit.Searcher(index_dir, synonyms=synonyms_file)
    with searcher:
        results = searcher.search(
            " ".join(words),
            limit=limit,
            page=page,
            source=source,
            since=since,
            until=until,
            sort=sort,
            use_synonyms=not no_synonyms,
            collapse=not all_copies,
            by_story=by_story,
            facet=facet_fields,
            histogram=interval,
            exact=exact,
        )
    _report_suggestion(results)
    if explain:
        _echo(f"parsed query:   {results.parsed_query}", err=True)
        _echo(f"expanded query: {results.expanded_query}", err=True)
    for warning in results.warnings:
        _echo(f"warning: {warning}", err=True)
    if results.undated_left_out:
        count = results.undated_left_out
        given = " and ".join(
            flag for flag, value in (("--since", since), ("--until", until)) if value
        )
        noun, verb = ("match has", "was") if count == 1 else ("matches have", "were")
        _echo(f"note: {count} {noun} no date and {verb} left out by {given}", err=True)
    if as_json:
        for hit in results.hits:
            _echo_json(hit.to_dict())
        _echo_json(results.summary())
        if results.hits:
            _echo(_page_summary(results), err=True)
        else:
            _report_no_hits(results)
        return
    if not results.hits:
        _report_no_hits(results)
        return
    stdout = sys.stdout
    color = _color_wanted(stdout)
    _echo(_page_summary(results))
    if by_story:
        for hit in results.hits:
            _echo(_format_story_hit(hit))
        return
    for hit in results.hits:
        _echo()
        _echo(_format_hit(hit, color))
    for name, counts in results.facet_counts.items():
        _echo()
        _echo(_format_facet(name, counts))
    if results.histogram is not None:
        _echo()
        _echo(_format_histogram(results.histogram))


def _report_suggestion(results: SearchResults) -> None:
    """Say on stderr what the speller found: a correction searched instead, or a hint."""
    if results.suggestion is None:
        return
    if results.searched_suggestion:
        _echo(
            f"showing results for {results.suggestion}; "
            f"search instead for {results.query} with --exact",
            err=True,
        )
    else:
        _echo(f"did you mean: {results.suggestion}", err=True)


FACET_TITLES = {"source": "outlet", "author": "author"}
FACET_SHOWN = 20
"""Values printed per facet on a terminal; --json has them all."""


def _format_facet(name: str, counts: Mapping[str, int]) -> _Safe:
    """A facet as aligned 'count  value' lines, most common first (the first FACET_SHOWN)."""
    noun = FACET_TITLES.get(name, name)
    if not counts:
        return _neutral(f"by {noun}: no match has one")
    shown = list(counts.items())[:FACET_SHOWN]
    width = len(f"{shown[0][1]:,}")
    lines: list[str] = [f"by {noun}:"]
    lines += [_joined([f"  {count:>{width},}  ", _neutral(value)]) for value, count in shown]
    if len(counts) > FACET_SHOWN:
        lines.append(f"  ... and {len(counts) - FACET_SHOWN:,} more (all of them with --json)")
    return _joined(lines, "\n")


HISTOGRAM_BAR = 40
"""Characters of the longest histogram bar."""
HISTOGRAM_GAP_ROWS = 400
"""Empty buckets between matches are drawn only when the whole span takes at most this many rows."""


def _format_histogram(timeline: Histogram) -> str:
    """The matches over time as one text bar per bucket, oldest first.

    Empty buckets between the first and last match are drawn too (a gap in
    the news shows), unless that would take more than HISTOGRAM_GAP_ROWS rows.
    """
    rows = [(timeline.label(bucket.start), bucket.count) for bucket in timeline.buckets]
    filled = _filled_buckets(timeline)
    if filled is not None:
        rows = filled
    lines = [f"matches by {timeline.interval}:"]
    if rows:
        top = max(count for _label, count in rows)
        label_width = max(len(label) for label, _count in rows)
        count_width = len(f"{top:,}")
        for label, count in rows:
            bar = "#" * (round(HISTOGRAM_BAR * count / top) if count else 0)
            if count and not bar:
                bar = "#"
            lines.append(f"  {label:<{label_width}}  {count:>{count_width},}  {bar}")
    if timeline.undated:
        lines.append(f"  undated: {timeline.undated:,}")
    if not rows and not timeline.undated:
        lines.append("  no match")
    return "\n".join(lines)


def _filled_buckets(timeline: Histogram) -> list[tuple[str, int]] | None:
    """Every bucket from the first match to the last, empty ones included (None: too many)."""
    if not timeline.buckets:
        return None
    present = {bucket.start: bucket.count for bucket in timeline.buckets}
    first, last = timeline.buckets[0].start, timeline.buckets[-1].start
    rows: list[tuple[str, int]] = []
    current = first
    while current <= last:
        if len(rows) >= HISTOGRAM_GAP_ROWS:
            return None
        rows.append((timeline.label(current), present.get(current, 0)))
        current = timeline.bucket_after(current)
    return rows


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
@click.argument("doc_id", metavar="ID", callback=_not_blank)
@_index_option
@_json_option
def show_command(doc_id: str, index_dir: str, as_json: bool) -> None:
    """Print the cleaned article with id ID (ids appear in `searchkit query` output)."""
    import searchkit

    with searchkit.Searcher(index_dir) as searcher:
        article = searcher.get(doc_id)
    if as_json:
        _echo_json(article.to_dict())
    else:
        _echo(_format_article(article))


@main.command("story")
@click.argument("story_id", metavar="ID", callback=_not_blank)
@_index_option
@_json_option
def story_command(story_id: str, index_dir: str, as_json: bool) -> None:
    """List the articles of story ID in time order, with outlet and title (story ids
    appear in `searchkit query --json` and `--by-story` output)."""
    import searchkit

    with searchkit.Searcher(index_dir) as searcher:
        story = searcher.story(story_id)
    if as_json:
        for article in story.articles:
            _echo_json(article.to_dict())
        return
    count = len(story.articles)
    outlets = len(story.outlets)
    _echo(
        f"story {story.id}: {count} article{'' if count == 1 else 's'} from {outlets} "
        f"outlet{'' if outlets == 1 else 's'}, {_date_span(story.first, story.last)}"
    )
    for article in story.articles:
        _echo(
            f"{_format_date(article.published)} | {article.source or 'unknown outlet'} | "
            f"{article.title} | id {article.id}"
        )


@main.command("similar")
@click.argument("doc_id", metavar="ID", callback=_not_blank)
@_index_option
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=MAX_LIMIT),
    default=10,
    show_default=True,
    metavar="N",
    help="How many similar articles.",
)
@_json_option
def similar_command(doc_id: str, index_dir: str, limit: int, as_json: bool) -> None:
    """Print articles about the same subject as article ID (its own copies left out)."""
    import searchkit

    with searchkit.Searcher(index_dir) as searcher:
        results = searcher.similar(doc_id, limit=limit)
    if not results.hits:
        _echo(f"no articles similar to {doc_id!r}", err=True)
        return
    if as_json:
        for hit in results.hits:
            _echo_json(hit.to_dict())
        return
    color = _color_wanted(sys.stdout)
    for hit in results.hits:
        _echo()
        _echo(_format_hit(hit, color))


@main.command("extract")
@click.argument(
    "file", metavar="FILE", type=click.Path(exists=True, dir_okay=False, allow_dash=True)
)
@_json_option
@click.pass_context
def extract_command(ctx: click.Context, file: str, as_json: bool) -> None:
    """Show what the ingester makes of FILE, without touching any index.

    Useful to check how a page is cleaned before indexing it. With --json,
    prints one JSON object per article (several for JSON Lines files, feeds
    and web archives). `searchkit extract -` reads one HTML page from
    standard input.
    """
    import searchkit

    if file == "-":
        article = _extract_stdin_page()
        if as_json:
            _echo_json(article.to_dict())
        else:
            _echo(_format_article(article))
        return
    failures = 0
    printed = 0
    for item in searchkit.read_articles(file):
        if isinstance(item, searchkit.IngestFailure):
            failures += 1
            _echo(f"failed: {item}", err=True)
            continue
        if as_json:
            _echo_json(item.to_dict())
        else:
            if printed:
                _echo("\n" + "-" * 72 + "\n")
            _echo(_format_article(item))
        printed += 1
    if failures:
        ctx.exit(1)


def _extract_stdin_page() -> Article:
    """The article in the HTML page on standard input (at most ``MAX_FILE_BYTES``)."""
    from searchkit.errors import IngestError
    from searchkit.ingest import MAX_FILE_BYTES, extract_html

    data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        limit_mb = MAX_FILE_BYTES // (1024 * 1024)
        raise IngestError("<stdin>", f"the page is larger than {limit_mb} MB")
    if not data.strip():
        raise IngestError("<stdin>", "standard input is empty; pipe an HTML page in")
    return extract_html(data)


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
        _echo_json(stats.to_dict())
    else:
        _echo(_format_stats(stats, index_dir))


@main.command("serve")
@_index_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    callback=_not_blank,
    help="Address to listen on; anything but loopback needs --token.",
)
@click.option(
    "--port", default=8750, show_default=True, type=click.IntRange(0, 65535), help="TCP port."
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (each opens the index; more use more cores).",
)
@click.option(
    "--token",
    envvar="SEARCHKIT_TOKEN",
    show_envvar=True,
    default=None,
    metavar="TOKEN",
    callback=_not_blank,
    help="Answer only requests with `Authorization: Bearer TOKEN`.",
)
@click.option(
    "--cors",
    "cors_origin",
    default=None,
    metavar="ORIGIN",
    callback=_not_blank,
    help="Let web pages from ORIGIN call the API (no CORS headers without it).",
)
def serve_command(
    index_dir: str, host: str, port: int, workers: int, token: str | None, cors_origin: str | None
) -> None:
    """Serve the index over HTTP: a JSON API (see /openapi.json) and a search page at /."""
    from searchkit.serve import require_extra

    require_extra()
    from searchkit.serve.app import ServeConfig
    from searchkit.serve.run import check_bind, serve

    check_bind(host, token)
    shown = f"[{host}]" if ":" in host else host
    _echo(f"searchkit: serving {index_dir} on http://{shown}:{port}/ (Ctrl-C stops)", err=True)
    serve(
        ServeConfig(index_dir=index_dir, token=token, cors_origin=cors_origin),
        host=host,
        port=port,
        workers=workers,
    )


if __name__ == "__main__":  # pragma: no cover - `python -m searchkit` goes through __main__
    sys.exit(main())
