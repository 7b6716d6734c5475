"""The Whoosh query parser searchkit configures, and the one step from text to query tree.

OR over title and body, dates and wildcards understood, ``-word`` and
``+word`` as people type them; the parsed tree then gets NOT lifted out of
OR, its phrases and patterns bounded (``query_tree``, ``expansions``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.qparser import MultifieldParser, OperatorsPlugin, OrGroup, Plugin, syntax
from whoosh.qparser.dateparse import DateParserPlugin

from searchkit.engine.expansions import ExpansionLog, cap_expansions
from searchkit.engine.query_tree import (
    SEARCH_FIELDS,
    PhraseBudget,
    QueryTree,
    bound_phrases,
    lift_negations,
    lowercase_patterns,
)
from searchkit.engine.wildcards import use_patterns

QueryParser = MultifieldParser
"""The parser ``make_parser`` builds; opaque to the layers above the engine."""

_TERM_START = r"(^|(?<=[\s()]))"
_TERM_FOLLOWS = r"(?=[^\W\d_]|[\"(])"
NOT_SYNTAX = _TERM_START + r"(NOT(?=\s)|-" + _TERM_FOLLOWS + ")"
"""``NOT word`` as Whoosh spells it, and ``-word``, ``-"a phrase"``, ``-(a OR b)`` as
people type it: a ``-`` that starts a term and is followed by a letter, a quote or a
bracket. A hyphen inside a word (``well-known``) or before a digit (``-5``) stays text."""
MUST_SYNTAX = _TERM_START + r"\+" + _TERM_FOLLOWS
"""``+word``: the article must contain the word (the other words still only add score)."""


class _MustGroup(syntax.Wrapper):  # type: ignore[misc]
    """A ``+word`` clause while parsing; ``_RequiredWordsPlugin`` decides what it means."""

    def query(self, parser: Any) -> wq.Query | None:
        # Outside an OR of words (alone, under AND) the clause is required already.
        return self.nodes[0].query(parser) if self.nodes else None


class _RequiredWordsPlugin(Plugin):  # type: ignore[misc]
    """Make "+a b c" mean a required while b and c only add score, as search engines do.

    Works on the parse tree, group by group, after the operators are placed
    (so ``(+a b) OR c`` keeps its brackets): in an OR group with ``+``
    clauses those become ``required ANDMAYBE (the other words)``. Negated
    clauses stay beside that, so ``_lift_negations`` still excludes them
    from everything ("+a b -c" never matches c).
    """

    def filters(self, parser: Any) -> list[tuple[Callable[..., Any], int]]:
        """Run after the OperatorsPlugin (priority 600) made the ``+`` groups."""
        return [(self.do_required, 650)]

    def do_required(self, parser: Any, group: Any) -> Any:
        """Rewrite ``group`` and every group inside it (see the class docstring)."""
        for position, node in enumerate(group):
            if isinstance(node, syntax.GroupNode):
                group[position] = self.do_required(parser, node)
        if not isinstance(group, syntax.OrGroup):
            return group
        required = [node.nodes[0] for node in group if isinstance(node, _MustGroup) and node.nodes]
        if not required:
            return group
        negated = [node for node in group if isinstance(node, syntax.NotGroup)]
        optional = [node for node in group if not isinstance(node, (_MustGroup, syntax.NotGroup))]
        clause = required[0] if len(required) == 1 else syntax.AndGroup(required)
        if optional:
            rest = group.empty_copy()
            rest.nodes = optional
            clause = syntax.AndMaybeGroup([clause, rest])
        rebuilt = group.empty_copy()
        rebuilt.nodes = [clause, *negated]
        return rebuilt


def make_parser(schema: Schema) -> MultifieldParser:
    """The parser: OR over title and body, dates and wildcards (``b?rder``) understood,
    ``-word`` and ``+word`` too.

    No coordination bonus: BM25's idf already rewards matching more of the
    query's words, and the bonus measured worse on benchmarks/relevance.py.
    """
    parser = MultifieldParser(list(SEARCH_FIELDS), schema, group=OrGroup)
    use_patterns(parser)
    parser.add_plugin(DateParserPlugin())
    must = OperatorsPlugin.OpTagger(MUST_SYNTAX, _MustGroup, syntax.PrefixOperator, memo="must")
    parser.replace_plugin(OperatorsPlugin([(must, 0)], Not=NOT_SYNTAX))
    parser.add_plugin(_RequiredWordsPlugin())
    return parser


def _parse_plain_words(parser: MultifieldParser, text: str) -> wq.Query:
    """The fallback for text the parser rejects: just its words, as plain search terms.

    The words are lower-cased so that none of them ("ANDMAYBE ANDMAYBE") is
    read as an operator again, which the parser rejects just as it did the
    whole query.
    """
    words = " ".join(re.findall(r"\w+", text)).lower()
    if not words:
        return wq.NullQuery
    try:
        return parser.parse(words)
    except Exception:  # the same odd-input exceptions as above; nothing is left to try
        return wq.NullQuery


def build_query(
    parser: MultifieldParser, rewritten: str, cleaned: str
) -> tuple[QueryTree, list[str], ExpansionLog]:
    """The bounded query tree for ``rewritten`` (the cleaned text with aliases quoted).

    Never raises: text the parser rejects is searched by its words
    (``cleaned``, before the alias rewrite). Returns the tree, the warnings
    parsing and bounding gave, and the log that learns during the search
    which patterns were capped.
    """
    warnings: list[str] = []
    try:
        parsed = parser.parse(rewritten)
    except Exception as exc:  # Whoosh's parser signals odd input with many exception types.
        warnings.append(f"the query could not be parsed ({type(exc).__name__}); searched its words")
        parsed = _parse_plain_words(parser, cleaned)
    parsed = lowercase_patterns(lift_negations(parsed))
    if parsed is wq.NullQuery or isinstance(parsed, type(wq.NullQuery)):
        if cleaned.strip():
            warnings.append(
                "nothing searchable was left in the query (only stopwords, operators or "
                "unparseable field values)"
            )
        parsed = wq.NullQuery
    expansions = ExpansionLog()
    phrases = PhraseBudget()
    bounded = bound_phrases(parsed, phrases)
    parsed = cap_expansions(wq.NullQuery if bounded is None else bounded, expansions)
    warnings.extend(phrases.warnings())
    return parsed, warnings, expansions
