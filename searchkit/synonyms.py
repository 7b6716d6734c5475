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
from dataclasses import dataclass
from importlib import resources
from itertools import pairwise
from pathlib import Path

from searchkit.errors import SynonymError

WORD = re.compile(r"\w+")
_HYPHENS = frozenset("-\u2010\u2011\u2012\u2013\u2014")
_APOSTROPHES = frozenset("'\u2019\u02bc`")


def separator_kind(between: str) -> str:
    """Classify the text between two words, so variants match only their own spelling.

    Returns "-" for a single hyphen or dash, "'" for an apostrophe, " " for
    whitespace, and "x" for anything else (which no variant uses).
    """
    if len(between) == 1:
        if between in _HYPHENS:
            return "-"
        if between in _APOSTROPHES:
            return "'"
    if between and between.isspace():
        return " "
    return "x"


@dataclass(frozen=True)
class Variant:
    """One spelling of an alias: its lowercased words and the separators between them."""

    words: tuple[str, ...]
    separators: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class AliasGroup:
    """A set of variants naming one thing; ``label`` is the first variant as written."""

    label: str
    variants: tuple[Variant, ...]

    @property
    def token(self) -> str:
        """The index term that stands for the whole group.

        It starts with "=" which the word tokenizer can never produce, so text
        cannot forge it.
        """
        return "=" + "_".join(self.variants[0].words)


def parse_variant(text: str) -> Variant | None:
    """Split one written variant into words and separator kinds (None if it has no words)."""
    matches = list(WORD.finditer(text))
    if not matches:
        return None
    words = tuple(m.group(0).lower() for m in matches)
    separators = tuple(separator_kind(text[a.end() : b.start()]) for a, b in pairwise(matches))
    return Variant(words, separators, text.strip())


def parse_synonyms(text: str, source: str = "<synonyms>") -> tuple[AliasGroup, ...]:
    """Parse Solr-format synonym text into alias groups, rejecting malformed lines.

    Raises SynonymError naming the line, so a user can fix their file instead of
    wondering why an alias does not match.
    """
    groups: list[AliasGroup] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=>" in line:
            raise SynonymError(
                source,
                "one-way mappings (=>) are not supported; list equivalent names "
                "separated by commas",
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
        groups.append(AliasGroup(names[0], tuple(variants)))
    return tuple(groups)


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
    match only one of them.
    """
    merged: list[AliasGroup] = []
    for group in groups:
        keys = {(v.words, v.separators) for v in group.variants}
        for index, existing in enumerate(merged):
            existing_keys = {(v.words, v.separators) for v in existing.variants}
            if keys & existing_keys:
                extra = tuple(
                    v for v in group.variants if (v.words, v.separators) not in existing_keys
                )
                merged[index] = AliasGroup(existing.label, existing.variants + extra)
                break
        else:
            merged.append(group)
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
    return [", ".join(v.text for v in group.variants) for group in groups]


def fingerprint(groups: Sequence[AliasGroup]) -> str:
    """A short hash of the groups: a change means indexed alias terms are stale."""
    joined = "\n".join(groups_to_lines(groups))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]
