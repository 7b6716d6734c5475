"""Turning what a user typed into a Whoosh query: aliases, operators, warnings.

Free text is OR-ed with a coordination bonus, so a query never returns
nothing because one word is absent, yet documents matching more words rank
first. Multi-word alias variants are quoted before parsing so the parser keeps
them together; groups known only at query time (a `--synonyms` file the
index was not built with) become an OR of phrases.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.qparser import MultifieldParser, OrGroup
from whoosh.qparser.dateparse import DateParserPlugin

from searchkit.synonyms import AliasGroup, Variant

SEARCH_FIELDS = ("title", "body")
KNOWN_FIELDS = ("title", "body", "author", "source", "url", "published", "id")
MAX_QUERY_CHARS = 10_000
MAX_EXPANSIONS = 256

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_FIELD_PREFIX = re.compile(r"(?<![\w\"])([A-Za-z_]\w*):(?=\S)")
_HYPHEN_CLASS = "[-\u2010\u2011\u2012\u2013\u2014]"
_SEPARATOR_PATTERNS = {"-": _HYPHEN_CLASS, " ": r"\s+", "'": "['\u2019\u02bc`]"}


@dataclass(frozen=True)
class ParsedQuery:
    """A parsed query plus what the user should be told about it."""

    query: wq.Query
    text: str
    warnings: tuple[str, ...]


def _variant_pattern(variant: Variant) -> str:
    parts = [re.escape(variant.words[0])]
    for separator, word in zip(variant.separators, variant.words[1:], strict=True):
        parts.append(_SEPARATOR_PATTERNS.get(separator, r"\W"))
        parts.append(re.escape(word))
    return r"(?<![\w\-])" + "".join(parts) + r"(?![\w\-])"


class AliasRewriter:
    """Rewrites raw query text so the parser sees alias variants whole.

    Index-time groups only need multi-word variants quoted (the analyzer does
    the rest); query-time-only groups are replaced by an OR of quoted variants.
    """

    def __init__(
        self, index_groups: Sequence[AliasGroup], query_groups: Sequence[AliasGroup]
    ) -> None:
        patterns: list[tuple[str, str | None]] = []
        for group in index_groups:
            for variant in group.variants:
                if len(variant.words) > 1:
                    patterns.append((_variant_pattern(variant), None))
        for group in query_groups:
            expansion = "(" + " OR ".join(f'"{v.text}"' for v in group.variants) + ")"
            for variant in group.variants:
                patterns.append((_variant_pattern(variant), expansion))
        patterns.sort(key=lambda item: -len(item[0]))
        self._expansions = [expansion for _, expansion in patterns]
        self._regex = (
            re.compile("|".join(f"({p})" for p, _ in patterns), re.IGNORECASE) if patterns else None
        )

    def rewrite(self, text: str) -> str:
        """Quote or expand alias variants found outside quoted phrases."""
        if self._regex is None:
            return text
        pieces = text.split('"')
        for index in range(0, len(pieces), 2):  # even pieces are outside quotes
            pieces[index] = self._regex.sub(self._replace, pieces[index])
        return '"'.join(pieces)

    def _replace(self, match: re.Match[str]) -> str:
        expansion = self._expansions[(match.lastindex or 1) - 1]
        return expansion if expansion is not None else f'"{match.group(0)}"'


def clean_query_text(text: str) -> tuple[str, list[str]]:
    """Remove control and direction characters and cap the length, saying what was dropped."""
    warnings: list[str] = []
    cleaned = _CONTROL.sub(" ", text)
    if cleaned != text:
        warnings.append("control characters in the query were ignored")
    if len(cleaned) > MAX_QUERY_CHARS:
        cleaned = cleaned[:MAX_QUERY_CHARS]
        warnings.append(f"the query was cut to its first {MAX_QUERY_CHARS} characters")
    if cleaned.count('"') % 2:
        cleaned = cleaned + '"'
        warnings.append("an unbalanced quote was closed at the end of the query")
    return cleaned, warnings


def _unknown_fields(text: str) -> list[str]:
    outside_quotes = "".join(text.split('"')[::2])
    return sorted(
        {name for name in _FIELD_PREFIX.findall(outside_quotes) if name not in KNOWN_FIELDS}
    )


def _map_children(node: wq.Query, fn: Callable[[wq.Query], wq.Query]) -> wq.Query:
    if isinstance(node, wq.CompoundQuery):
        rebuilt = copy.copy(node)
        rebuilt.subqueries = [fn(child) for child in node.subqueries]
        return rebuilt
    if isinstance(node, wq.Not):
        return wq.Not(fn(node.query), boost=node.boost)
    if isinstance(node, wq.BinaryQuery):
        rebuilt_binary = copy.copy(node)
        rebuilt_binary.a, rebuilt_binary.b = fn(node.a), fn(node.b)
        return rebuilt_binary
    return node


def _lift_negations(node: wq.Query) -> wq.Query:
    """Make "a NOT b" mean a-and-not-b under the OR default, not "a, or anything without b"."""
    node = _map_children(node, _lift_negations)
    if isinstance(node, wq.Or):
        negatives = [child.query for child in node.subqueries if isinstance(child, wq.Not)]
        positives = [child for child in node.subqueries if not isinstance(child, wq.Not)]
        if negatives and positives:
            kept = copy.copy(node)
            kept.subqueries = positives
            return wq.AndNot(kept, wq.Or(negatives))
    return node


def _lowercase_patterns(node: wq.Query) -> wq.Query:
    if isinstance(node, (wq.Prefix, wq.Wildcard)) and node.text != node.text.lower():
        return node.__class__(node.fieldname, node.text.lower(), boost=node.boost)
    return _map_children(node, _lowercase_patterns)


def make_parser(schema: Schema) -> MultifieldParser:
    """The parser: OR with a coordination bonus over title and body, dates understood."""
    parser = MultifieldParser(list(SEARCH_FIELDS), schema, group=OrGroup.factory(0.9))
    parser.add_plugin(DateParserPlugin())
    return parser


def parse_query(text: str, parser: MultifieldParser, rewriter: AliasRewriter | None) -> ParsedQuery:
    """Parse user text into a query; never raises, but lists what was ignored."""
    cleaned, warnings = clean_query_text(text)
    for name in _unknown_fields(cleaned):
        warnings.append(f"unknown field {name!r} was searched as plain text")
    rewritten = rewriter.rewrite(cleaned) if rewriter is not None else cleaned
    try:
        parsed = parser.parse(rewritten)
    except Exception as exc:  # Whoosh's parser signals odd input with many exception types.
        warnings.append(f"the query could not be parsed ({type(exc).__name__}); searched its words")
        words = " ".join(re.findall(r"\w+", cleaned))
        parsed = parser.parse(words) if words else wq.NullQuery
    parsed = _lowercase_patterns(_lift_negations(parsed))
    if parsed is wq.NullQuery or isinstance(parsed, type(wq.NullQuery)):
        if cleaned.strip():
            warnings.append(
                "nothing searchable was left in the query (only stopwords, operators or "
                "unparseable field values)"
            )
        parsed = wq.NullQuery
    return ParsedQuery(parsed, rewritten, tuple(warnings))
