"""Alias groups: names that refer to the same thing ("Daesh", "ISIS-K", "IS-Khorasan").

Groups are read from files in the Solr synonyms format (one group per line,
comma-separated equivalents, ``#`` comments). A variant is stored as its
lowercased words plus the separators between them, so "IS-K" only matches the
hyphenated form and never the unrelated words "is" and "k" in running text.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import overload

from searchkit.errors import SynonymError

WORD = re.compile(r"\w+")
_WORD_SPLIT = re.compile(r"(\w+)")
HYPHENS = frozenset("-\u2010\u2011\u2012\u2013\u2014")
"""The characters a "-" separator may be written with (hyphen and dashes)."""
APOSTROPHES = frozenset("'\u2019\u02bc`")
"""The characters an "'" separator may be written with."""


def separator_kind(between: str) -> str:
    """Classify the text between two words, so variants match only their own spelling.

    Returns "-" for a single hyphen or dash, "'" for an apostrophe, " " for
    whitespace, and "x" for anything else (which no variant uses).
    """
    if len(between) == 1:
        if between in HYPHENS:
            return "-"
        if between in APOSTROPHES:
            return "'"
    if between and between.isspace():
        return " "
    return "x"


_separator_kind_cached = lru_cache(maxsize=4096)(separator_kind)
"""``separator_kind`` for parsing: the same few separators recur across 300,000 variants."""


@dataclass(frozen=True)
class Variant:
    """One spelling of an alias: its lowercased words and the separators between them."""

    words: tuple[str, ...]
    separators: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class AliasGroup:
    """A set of variants naming one thing; ``label`` is the first variant as written.

    ``token`` is the index term that stands for the whole group. It starts
    with "=" which the word tokenizer can never produce, so text cannot forge
    it. ``line`` is the group as one Solr line. Both are computed once, when
    the group is made: an indexer asks for all of them several times.
    """

    label: str
    variants: tuple[Variant, ...]
    token: str = field(init=False, repr=False, compare=False)
    line: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "token", "=" + "_".join(self.variants[0].words))
        object.__setattr__(self, "line", ", ".join(v.text for v in self.variants))


def parse_variant(text: str) -> Variant | None:
    """Split one written variant into words and separator kinds (None if it has no words).

    One regex split per variant: an index's metadata is parsed again at
    every open, 300,000 variants for 100,000 groups.
    """
    parts = _WORD_SPLIT.split(text)  # [before, word, between, word, ..., after]
    if len(parts) < 3:
        return None
    words = tuple(map(str.lower, parts[1::2]))
    separators = tuple(map(_separator_kind_cached, parts[2:-1:2]))
    return Variant(words, separators, text.strip())


def parse_synonyms(text: str, source: str = "<synonyms>") -> tuple[AliasGroup, ...]:
    """Parse Solr-format synonym text into alias groups, rejecting malformed lines.

    Raises SynonymError naming the line, so a user can fix their file instead of
    wondering why an alias does not match.
    """
    groups = (parse_line(raw, source, number) for number, raw in enumerate(text.splitlines(), 1))
    return tuple(group for group in groups if group is not None)


def parse_line(raw: str, source: str, number: int) -> AliasGroup | None:
    """Parse one line of a synonyms file (None for a blank or comment line)."""
    line = raw.split("#", 1)[0].strip()
    if not line:
        return None
    if "=>" in line:
        raise SynonymError(
            source,
            "one-way mappings (=>) are not supported; list equivalent names separated by commas",
            number,
        )
    names = [name.strip() for name in line.split(",")]
    if any(not name for name in names):
        raise SynonymError(source, "empty name between commas", number)
    variants = []
    for name in names:
        variant = parse_variant(name)
        if variant is None:
            raise SynonymError(source, f"{name!r} contains no letters or digits", number)
        variants.append(variant)
    if len({(v.words, v.separators) for v in variants}) < 2:
        raise SynonymError(source, "a group needs at least two different names", number)
    return AliasGroup(names[0], tuple(variants))


_FIRST_WORDS = re.compile(r"(?:^|,)[^\w,]*(\w+)")
"""The first word of each name on a line (a superset: a comment can add some)."""


class GroupLines(Sequence[AliasGroup]):
    """An index's alias groups as its metadata lists them, each parsed when first needed.

    Opening an index must not parse every group: at 100,000 groups that took
    seconds at every `searchkit query`. An analyzer asks only for the groups
    with a variant starting with a word it meets (``starting_with``), found
    through a table of first words built at the first lookup.
    """

    def __init__(self, lines: Sequence[str], source: str) -> None:
        self.lines = tuple(lines)
        self.source = source
        self._parsed: dict[int, AliasGroup] = {}
        self._by_first_word: dict[str, list[int]] | None = None

    def __len__(self) -> int:
        return len(self.lines)

    @overload
    def __getitem__(self, index: int) -> AliasGroup: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[AliasGroup]: ...

    def __getitem__(self, index: int | slice) -> AliasGroup | Sequence[AliasGroup]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        if index < 0:
            index += len(self.lines)
        group = self._parsed.get(index)
        if group is None:
            group = parse_line(self.lines[index], self.source, index + 1)
            if group is None:
                raise SynonymError(self.source, "an empty alias group", index + 1)
            self._parsed[index] = group
        return group

    def starting_with(self, word: str) -> list[AliasGroup]:
        """The groups with a variant whose first word is ``word`` (lowercased)."""
        if self._by_first_word is None:
            table: dict[str, list[int]] = {}
            for number, line in enumerate(self.lines):
                for first in _FIRST_WORDS.findall(line):
                    table.setdefault(first.lower(), []).append(number)
            self._by_first_word = table
        return [self[number] for number in dict.fromkeys(self._by_first_word.get(word, ()))]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, GroupLines):
            return self.lines == other.lines
        if isinstance(other, tuple):
            return self.lines == tuple(groups_to_lines(other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.lines)


def load_synonyms(path: str | os.PathLike[str]) -> tuple[AliasGroup, ...]:
    """Read a user's synonyms file; unreadable files raise SynonymError, never OSError."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SynonymError(str(path), f"cannot read synonyms file ({exc})") from exc
    return parse_synonyms(text, str(path))


def builtin_groups() -> tuple[AliasGroup, ...]:
    """The alias groups that ship with searchkit (searchkit/data/synonyms.txt)."""
    text = resources.files("searchkit").joinpath("data/synonyms.txt").read_text("utf-8")
    return parse_synonyms(text, "searchkit/data/synonyms.txt")


def merge_groups(groups: Iterable[AliasGroup]) -> tuple[AliasGroup, ...]:
    """Union groups that share a variant, so a user's line can extend a built-in group.

    Without this the same words would belong to two groups and a query would
    match only one of them. Merging is transitive ("a, b" and "c, d" both join
    a later "b, c") and linear in the number of variants: each variant names
    the first group it was seen in, and groups are joined with a union-find,
    so 100,000 groups merge in well under a second. A merged group keeps the
    label of its earliest group and its variants in order of first appearance;
    merged groups come in the order of their earliest group.
    """
    ordered = list(groups)
    parent = list(range(len(ordered)))
    clean = [True] * len(ordered)  # False: joined to another group, or a name twice

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]  # path halving keeps the trees flat
            index = parent[index]
        return index

    first_group: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}
    for index, group in enumerate(ordered):
        for variant in group.variants:
            key = (variant.words, variant.separators)
            earlier = first_group.get(key)
            if earlier is None:
                first_group[key] = index
                continue
            clean[index] = False
            a, b = root(earlier), root(index)
            if a != b:
                parent[max(a, b)] = min(a, b)  # the earliest group stays the root
    members: dict[int, list[AliasGroup]] = {}
    for index, group in enumerate(ordered):
        members.setdefault(root(index), []).append(group)
    merged: list[AliasGroup] = []
    for first, component in members.items():
        if len(component) == 1 and clean[first]:
            merged.append(component[0])  # the usual case: a group that shares nothing
            continue
        seen: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
        variants: list[Variant] = []
        for group in component:
            for variant in group.variants:
                key = (variant.words, variant.separators)
                if key not in seen:
                    seen.add(key)
                    variants.append(variant)
        merged.append(AliasGroup(component[0].label, tuple(variants)))
    return tuple(merged)


def resolve_groups(
    extra_file: str | os.PathLike[str] | None = None, *, use_builtin: bool = True
) -> tuple[AliasGroup, ...]:
    """The effective alias groups: built-in ones plus the user's file, merged."""
    groups: list[AliasGroup] = list(builtin_groups()) if use_builtin else []
    if extra_file is not None:
        groups.extend(load_synonyms(extra_file))
    return merge_groups(groups)


def groups_to_lines(groups: Sequence[AliasGroup]) -> list[str]:
    """Serialise groups back to Solr lines, for the index's metadata file."""
    if isinstance(groups, GroupLines):
        return list(groups.lines)  # as read: nothing to parse
    return [group.line for group in groups]


def fingerprint(groups: Sequence[AliasGroup]) -> str:
    """A short hash of the groups: a change means indexed alias terms are stale."""
    joined = "\n".join(groups_to_lines(groups))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]
