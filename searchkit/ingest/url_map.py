"""The user's URL map (``--url-map FILE``): where files or articles were fetched from.

A tab-separated file, one row a line: a key, a tab, the URL. The key is a
file's path (relative to the map's own folder, or absolute), a file's name
(``page.html``, or without its suffixes, ``page``), or an article id. A key
written as a WARC record id, ``<urn:uuid:X>``, names the file ``X`` (the
form crawl tools write). Blank lines and lines starting with ``#`` are
ignored. The map is the last source of a URL (``urls.py``): it fills in
only what neither the page nor its archive says. Rows that cannot be used
(no tab, not an http(s) URL, a path to nothing) are problems to report, never
fatal: the rest of the map still applies.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from searchkit.errors import IngestError
from searchkit.ingest.formats import name_stem
from searchkit.ingest.urls import is_web_address

MAX_MAP_BYTES = 64 * 1024 * 1024
"""A map larger than this is refused: a million rows of long URLs fit well within it."""

_KEY_WRAPPERS: tuple[tuple[str, str], ...] = (("<", ">"),)
_KEY_PREFIXES = ("urn:uuid:",)
"""Taken off keys, so a WARC-style ``<urn:uuid:X>`` names the file X."""


@dataclass
class UrlMap:
    """A loaded URL map, and which of its rows this run used."""

    source: str
    by_path: dict[str, tuple[str, int]] = field(default_factory=dict)
    by_name: dict[str, tuple[str, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    used: set[int] = field(default_factory=set)

    def url_for_file(self, path: str | os.PathLike[str]) -> str | None:
        """The URL the map gives the file at ``path`` (by path, name or stem), if any."""
        resolved = str(Path(path).resolve())
        name = Path(path).name
        for found in (self.by_path.get(resolved), self.by_name.get(name),
                      self.by_name.get(name_stem(name))):  # fmt: skip
            if found is not None:
                self.used.add(found[1])
                return found[0]
        return None

    def url_for_id(self, article_id: str) -> str | None:
        """The URL the map gives the article with this id, if any."""
        found = self.by_name.get(article_id)
        if found is None:
            return None
        self.used.add(found[1])
        return found[0]

    def unused_rows(self) -> list[str]:
        """Rows naming a file name or id that nothing in this run had ("line N: key")."""
        rows = {line: key for key, (_url, line) in self.by_name.items()}
        return [f"line {line}: {rows[line]}" for line in sorted(rows) if line not in self.used]


def load_url_map(path: str | os.PathLike[str]) -> UrlMap:
    """Read a URL map; IngestError when the file itself cannot be read (bad rows are
    ``problems``, not errors)."""
    where = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_MAP_BYTES + 1)
    except OSError as exc:
        raise IngestError(where, f"cannot read the URL map ({exc.strerror or exc})") from None
    if len(data) > MAX_MAP_BYTES:
        raise IngestError(where, f"the URL map is larger than {MAX_MAP_BYTES // 2**20} MB")
    text = data.decode("utf-8", errors="replace")
    folder = Path(path).resolve().parent
    mapping = UrlMap(source=where)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, tab, url = line.partition("\t")
        key, url = _clean_key(key), url.strip()
        if not tab or not key:
            mapping.problems.append(f"line {number}: not KEY<tab>URL")
            continue
        if not is_web_address(url):
            mapping.problems.append(f"line {number}: {url!r} is not an http(s) URL")
            continue
        if "/" in key or os.sep in key:
            target = (folder / key).resolve()
            if not target.exists():
                mapping.problems.append(f"line {number}: {key} does not exist")
                continue
            mapping.by_path[str(target)] = (url, number)
        else:
            mapping.by_name.setdefault(key, (url, number))
    return mapping


def _clean_key(key: str) -> str:
    key = key.strip()
    for start, end in _KEY_WRAPPERS:
        if key.startswith(start) and key.endswith(end):
            key = key[len(start) : -len(end)].strip()
    for prefix in _KEY_PREFIXES:
        if key.lower().startswith(prefix):
            key = key[len(prefix) :]
    return key
