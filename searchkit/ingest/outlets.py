"""Outlet names as data: one display name per outlet, whatever the page or the URL says.

Pages name their outlet in many spellings ("Reuters", "Reuters.com",
"Reuters UK"), some of them junk ("6.0", "Article", "Business |"), and many
name none. A table maps host names and spelled variants to one display name.
It ships as ``searchkit/data/outlets.txt``; users add their own with
``searchkit index --outlets FILE`` (or ``outlets=`` of ``Indexer`` and
``build_index``). The format is the synonyms file's: one outlet per line,
comma-separated, the display name first, then its variants; a variant that is
a host name ("reuters.com") also names the outlet's site, and every host under
it ("uk.reuters.com"). ``#`` starts a comment.

Which name an article gets (``resolve_outlet``), in order:

1. the declared name (page metadata, a record's ``source``), through the table
   ("Reuters.com" -> "Reuters"), unless a ``NOT_OUTLET_RULES`` rule calls it junk;
2. the table's name for the URL's host (or the host above it);
3. a guessed name (the site part of a page title), through the table, unless junk;
4. the URL's host name without "www." (it names the site, if not nicely).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from searchkit.errors import OutletsError
from searchkit.ingest.normalize import collapse_whitespace
from searchkit.ingest.rules import NOT_OUTLET_RULES, first_match
from searchkit.ingest.urls import host_name

_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
MAX_OUTLET_CHARS = 80
"""Longer declared names are slogans or sentences, not outlet names."""


def outlet_variant_key(name: str) -> str:
    """What two spellings must share to be one variant: the words, in any case."""
    return collapse_whitespace(name).casefold()


@dataclass(frozen=True)
class OutletTable:
    """Display names by host and by spelled variant (keys from ``outlet_variant_key``)."""

    hosts: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def merged(self, other: OutletTable) -> OutletTable:
        """This table with ``other``'s entries added; ``other`` wins where both name a key."""
        return OutletTable({**self.hosts, **other.hosts}, {**self.names, **other.names})

    def for_host(self, host: str | None) -> str | None:
        """The display name of ``host`` or of the nearest domain above it in the table."""
        if not host:
            return None
        labels = host.lower().rstrip(".").split(".")
        for start in range(len(labels) - 1):
            name = self.hosts.get(".".join(labels[start:]))
            if name is not None:
                return name
        return None

    def for_name(self, declared: str | None) -> str | None:
        """The display name a declared spelling stands for, if the table lists it."""
        return self.names.get(outlet_variant_key(declared)) if declared else None


def parse_outlets(text: str, source: str = "<outlets>") -> OutletTable:
    """Read outlet lines ("Display Name, variant, host.com"); a malformed line raises.

    Raises OutletsError naming the line, so a user can fix their file instead of
    wondering why a name does not merge.
    """
    hosts: dict[str, str] = {}
    names: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        entries = [collapse_whitespace(entry) for entry in line.split(",")]
        if any(not entry for entry in entries):
            raise OutletsError(source, "empty name between commas", number)
        display = entries[0]
        if is_junk_outlet(display):
            raise OutletsError(source, f"{display!r} is not an outlet name", number)
        for entry in entries:
            names[outlet_variant_key(entry)] = display
            host = entry.lower().removeprefix("www.")
            if _HOST.match(host):
                hosts[host] = display
    return OutletTable(hosts, names)


def load_outlets(path: str | os.PathLike[str]) -> OutletTable:
    """Read a user's outlets file; unreadable files raise OutletsError, never OSError."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise OutletsError(str(path), f"cannot read outlets file ({exc})") from exc
    return parse_outlets(text, str(path))


@lru_cache(maxsize=1)
def builtin_outlets() -> OutletTable:
    """The outlet table that ships with searchkit (searchkit/data/outlets.txt), read once."""
    text = resources.files("searchkit").joinpath("data/outlets.txt").read_text("utf-8")
    return parse_outlets(text, "searchkit/data/outlets.txt")


def resolve_outlets(extra_file: str | os.PathLike[str] | None = None) -> OutletTable:
    """The effective table: the shipped one plus the user's file (whose entries win)."""
    table = builtin_outlets()
    return table.merged(load_outlets(extra_file)) if extra_file is not None else table


def is_junk_outlet(name: str) -> bool:
    """True for a declared name that names no outlet ("6.0", "Article", "Business |")."""
    text = collapse_whitespace(name)
    return (
        not text or len(text) > MAX_OUTLET_CHARS or first_match(NOT_OUTLET_RULES, text) is not None
    )


def resolve_outlet(
    declared: str | None,
    url: str | None,
    table: OutletTable | None = None,
    *,
    guessed: str | None = None,
) -> str | None:
    """The outlet an article is filed under (the order is in the module docstring).

    ``guessed`` is a name read from less trustworthy text (the site part of the
    page title): it comes after the table's name for the host, before the bare host.
    """
    table = builtin_outlets() if table is None else table
    host = host_name(url)
    named = _named(declared, table)
    if named is not None:
        return named
    named = table.for_host(host) or _named(guessed, table)
    return named if named is not None else host


def _named(candidate: str | None, table: OutletTable) -> str | None:
    """The table's name for a spelling (or a host written as one), else the spelling if not junk."""
    text = collapse_whitespace(candidate) if candidate else ""
    if not text:
        return None
    listed = table.for_name(text) or table.for_host(text.lower().removeprefix("www."))
    if listed is not None:
        return listed
    return None if is_junk_outlet(text) else text
