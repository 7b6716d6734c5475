"""Wildcard words in queries: ``b?rder`` and ``bo*er`` search the index's words, not fragments.

Whoosh's parser recognises ``*`` and ``?`` but hands the word to the field's
analyzer, which splits it at the wildcards: ``b?rder`` searched "rder" and
``bo*er`` "bo OR er". Here a word with a wildcard in a text field becomes
Whoosh ``Wildcard`` queries for the forms ``analysis.pattern_forms`` gives
(folded, and stemmed as a typed word would be); its other pieces
(``bo*er-x``: "x") are analysed as ordinary words. A word ending in ``*``
only stays Whoosh's prefix query, and fields without searchkit's analyzer
(``url:*bbc*``) keep Whoosh's own handling. What a pattern may cost is bounded
where patterns are expanded (``expansions._CappedExpansion``).
"""

from __future__ import annotations

import re
from typing import Any

from whoosh import query as wq
from whoosh.qparser import WildcardPlugin
from whoosh.qparser.syntax import attach

from searchkit.engine.analysis import WILDCARDS, NewsAnalyzer, pattern_forms

_PIECE = re.compile(r"[\w*?]+")
"""A word with its wildcards; anything else separates words, as in the analyzer."""
_WILDCARD_RUN = re.compile(r"\*{2,}")


def pattern_query(field: Any, fieldname: str, text: str, boost: float = 1.0) -> wq.Query | None:
    """The query for one wildcard word typed in a searchkit text field (None: nothing to search).

    A piece made only of wildcards (the ``*`` of ``bo-*``) is left out: it
    would match every word, which is not what a mistyped hyphen means.
    """
    clauses: list[wq.Query] = []
    for piece in _PIECE.findall(text):
        piece = _WILDCARD_RUN.sub("*", piece)
        if not piece.strip(WILDCARDS):
            continue
        if not any(wildcard in piece for wildcard in WILDCARDS):
            words = field.process_text(piece, mode="query")
            clauses.extend(wq.Term(fieldname, word, boost=boost) for word in words)
            continue
        clauses.extend(wq.Wildcard(fieldname, form, boost=boost) for form in pattern_forms(piece))
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else wq.Or(clauses)


class PatternNode(WildcardPlugin.WildcardNode):  # type: ignore[misc]
    """Whoosh's wildcard node, building its query with ``pattern_query`` in text fields."""

    def query(self, parser: Any) -> wq.Query | None:
        fieldname = self.fieldname or parser.fieldname
        schema = parser.schema
        field = schema[fieldname] if schema is not None and fieldname in schema else None
        wordless = not any(piece.strip(WILDCARDS) for piece in _PIECE.findall(self.text))
        if field is None or not isinstance(field.analyzer, NewsAnalyzer) or wordless:
            return super().query(parser)  # "*" alone, ID fields: Whoosh's meaning
        return attach(pattern_query(field, fieldname, self.text, self.boost), self)


class PatternPlugin(WildcardPlugin):  # type: ignore[misc]
    """Whoosh's wildcard plugin with ``PatternNode`` as its node type."""

    WildcardNode = PatternNode
    nodetype = PatternNode


def use_patterns(parser: Any) -> None:
    """Put ``PatternPlugin`` where ``parser``'s wildcard plugin was (plugin order matters)."""
    parser.plugins = [
        PatternPlugin() if type(plugin) is WildcardPlugin else plugin for plugin in parser.plugins
    ]
