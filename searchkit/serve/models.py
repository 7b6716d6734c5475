"""What crosses the HTTP API: one module for the request model, the response models and
how both become JSON and JSON Schema.

The responses are the library's own frozen dataclasses (``SearchResults``, ``Hit``,
``Article``, ``IndexStats``), serialised field by field from their type hints, and
their schemas are derived from the same hints. A field the library adds (a hit's
copies, a story id, a suggestion) therefore appears in the API, in /openapi.json
and in the checked-in docs/openapi.json (whose test then asks for it to be
regenerated) without a line here. ``HIDDEN_FIELDS`` names what stays server-side.

The request model is ``SearchRequest``: each field carries its JSON Schema
constraints, which the OpenAPI document publishes and ``parse_search`` enforces,
so what the document promises and what the server accepts cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timezone
from typing import Any, Union

from searchkit.errors import QueryError
from searchkit.models import Article, Hit, IndexStats, SearchResults
from searchkit.options import SORT_ORDERS

MAX_QUERY_CHARS = 500
"""Longest query text the server accepts (the library allows more; a page needs less)."""

MAX_LIMIT = 100
"""Hits per page at most over HTTP."""

MAX_PAGE = 50
"""Deepest page: with MAX_LIMIT this ranks at most 5,000 documents for one request."""

MAX_SOURCE_CHARS = 200
"""Longest outlet name accepted."""

MAX_ID_CHARS = 512
"""Longest article id accepted (ids are looked up in the index, never used as paths)."""

HIDDEN_FIELDS = frozenset({"path"})
"""Fields of the library's values the API leaves out: ``path`` is a file on the
server's disk, which a client can neither open nor needs to know."""

_YEAR = "(?!0000)[0-9]{4}"
DATE_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "format": "date"},
        {"type": "string", "pattern": f"^{_YEAR}-(0[1-9]|1[0-2])$"},
        {"type": "string", "pattern": f"^{_YEAR}$"},
    ],
    "description": "A day (YYYY-MM-DD), a month (YYYY-MM) or a year (YYYY); "
    "since starts at the period's first instant, until ends at its last.",
}
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _constraint(schema: dict[str, Any], doc: str) -> dict[str, Any]:
    return {"schema": schema, "doc": doc}


@dataclass(frozen=True)
class SearchRequest:
    """One search, as GET /search's query parameters or POST /search's JSON body.

    Each field maps to the keyword of ``Searcher.search`` with the same name
    (``synonyms`` to ``use_synonyms``); the ``schema`` in its metadata is both
    published and enforced.
    """

    q: str = field(
        metadata=_constraint(
            {"type": "string", "maxLength": MAX_QUERY_CHARS},
            'The query: words, "phrases", -excluded, +required, OR, wild*cards.',
        )
    )
    limit: int = field(
        default=10,
        metadata=_constraint(
            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 10},
            "Hits per page.",
        ),
    )
    page: int = field(
        default=1,
        metadata=_constraint(
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
            "Which page of hits, from 1.",
        ),
    )
    source: str | None = field(
        default=None,
        metadata=_constraint(
            {"type": "string", "maxLength": MAX_SOURCE_CHARS},
            "Only articles from this outlet (case and spacing do not matter).",
        ),
    )
    since: str | None = field(
        default=None, metadata=_constraint(DATE_SCHEMA, "Published on or after.")
    )
    until: str | None = field(
        default=None, metadata=_constraint(DATE_SCHEMA, "Published on or before.")
    )
    sort: str = field(
        default="relevance",
        metadata=_constraint(
            {"type": "string", "enum": list(SORT_ORDERS), "default": "relevance"},
            "Best match first, or newest first.",
        ),
    )
    facets: bool = field(
        default=False,
        metadata=_constraint(
            {"type": "boolean", "default": False}, "Count the matches per outlet."
        ),
    )
    synonyms: bool = field(
        default=True,
        metadata=_constraint(
            {"type": "boolean", "default": True}, "Expand aliases (the index's synonym groups)."
        ),
    )
    snippets: bool = field(
        default=True,
        metadata=_constraint(
            {"type": "boolean", "default": True},
            "Make snippets with highlight spans; false returns the ranking alone (faster).",
        ),
    )

    def search_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``Searcher.search`` this request stands for."""
        return {
            "limit": self.limit,
            "page": self.page,
            "source": self.source,
            "since": self.since,
            "until": self.until,
            "sort": self.sort,
            "use_synonyms": self.synonyms,
            "facets": self.facets,
            "snippets": self.snippets,
        }


SEARCH_FIELDS: tuple[dataclasses.Field[Any], ...] = fields(SearchRequest)


def request_schema() -> dict[str, Any]:
    """The JSON Schema of POST /search's body: SearchRequest's fields, nothing else."""
    properties = {
        item.name: {**item.metadata["schema"], "description": item.metadata["doc"]}
        for item in SEARCH_FIELDS
    }
    return {
        "type": "object",
        "properties": properties,
        "required": ["q"],
        "additionalProperties": False,
    }


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_string(name: str, value: Any, schema: Mapping[str, Any]) -> str:
    if not isinstance(value, str):
        raise QueryError(f"{name} must be a string")
    if _has_surrogates(value):
        raise QueryError(f"{name} is not valid Unicode (it holds a lone surrogate)")
    limit = schema.get("maxLength")
    if limit is not None and len(value) > limit:
        raise QueryError(f"{name} is longer than {limit} characters")
    if "enum" in schema and value not in schema["enum"]:
        raise QueryError(f"{name} must be one of {', '.join(schema['enum'])}, not {value!r}")
    return value


def _check_date(name: str, value: Any) -> str:
    text = _check_string(name, value, {})
    for option in DATE_SCHEMA["anyOf"]:
        pattern = option.get("pattern")
        if pattern is not None and re.search(pattern, text):
            return text
    if _DAY.fullmatch(text):
        try:
            date.fromisoformat(text)
        except ValueError:
            pass
        else:
            return text
    raise QueryError(f"{name} must be a date written YYYY, YYYY-MM or YYYY-MM-DD, not {text!r}")


def _check_integer(name: str, value: Any, schema: Mapping[str, Any], from_text: bool) -> int:
    if from_text:
        if not isinstance(value, str) or not re.fullmatch(r"-?[0-9]{1,9}", value):
            raise QueryError(f"{name} must be a whole number")
        number = int(value)
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise QueryError(f"{name} must be a whole number")
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise QueryError(f"{name} must be a whole number")
        number = int(value)
    else:
        number = value
    low, high = schema["minimum"], schema["maximum"]
    if not low <= number <= high:
        raise QueryError(f"{name} must be between {low} and {high}, not {number}")
    return number


def _check_boolean(name: str, value: Any, from_text: bool) -> bool:
    if from_text and isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if not from_text and isinstance(value, bool):
        return value
    raise QueryError(f"{name} must be true or false")


def parse_search(values: Mapping[str, Any], *, from_text: bool) -> SearchRequest:
    """Check a search's parameters against SearchRequest's schema and build it.

    ``from_text`` says the values are query-string text (GET) rather than
    JSON values (POST). Unknown names are refused, so a typo is an error
    rather than an option silently ignored. Raises QueryError (HTTP 400).
    """
    known = {item.name: item for item in SEARCH_FIELDS}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise QueryError(f"unknown parameter {unknown[0]!r}; known: {', '.join(known)}")
    if "q" not in values:
        raise QueryError("q (the query) is required")
    chosen: dict[str, Any] = {}
    for name, value in values.items():
        schema = known[name].metadata["schema"]
        if value is None and not from_text and name != "q":
            raise QueryError(f"{name} must not be null; leave it out instead")
        kind = schema.get("type")
        if name in ("since", "until"):
            chosen[name] = _check_date(name, value)
        elif kind == "string":
            chosen[name] = _check_string(name, value, schema)
        elif kind == "integer":
            chosen[name] = _check_integer(name, value, schema, from_text)
        elif kind == "boolean":
            chosen[name] = _check_boolean(name, value, from_text)
    return SearchRequest(**chosen)


# --------------------------------------------------------------------------- responses


@dataclass(frozen=True)
class Health:
    """GET /healthz: the process answers (it says nothing about the index; see /stats)."""

    status: str = "ok"


@dataclass(frozen=True)
class ErrorDetail:
    """What went wrong: ``type`` is the searchkit exception's class name (or an HTTP
    condition such as ``Unauthorized``), ``message`` says what to do next."""

    type: str
    message: str


@dataclass(frozen=True)
class ErrorBody:
    """Every error response: ``{"error": {"type": ..., "message": ...}}``."""

    error: ErrorDetail


RESPONSE_MODELS: tuple[type[Any], ...] = (
    SearchResults,
    Hit,
    Article,
    IndexStats,
    Health,
    ErrorBody,
)
"""Every dataclass a response holds at its top level; their schemas go in components."""


def visible_fields(model: type[Any]) -> list[dataclasses.Field[Any]]:
    """The fields of a response dataclass that the API serves."""
    return [item for item in fields(model) if item.name not in HIDDEN_FIELDS]


def to_json(value: Any) -> Any:
    """A response value as plain JSON data, generically: dataclasses by their visible
    fields, datetimes as ISO 8601 with their offset, dates as ISO 8601, tuples as arrays,
    mappings as objects."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            item.name: to_json(getattr(value, item.name)) for item in visible_fields(type(value))
        }
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return aware.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [to_json(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _ref(model: type[Any]) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def schema_of(hint: Any, found: dict[str, type[Any]]) -> dict[str, Any]:
    """The JSON Schema of one type hint; dataclasses become references (collected in
    ``found``) so each is described once under components."""
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        found.setdefault(hint.__name__, hint)
        return _ref(hint)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (Union, types.UnionType):
        options = [schema_of(arg, found) for arg in args]
        return {"anyOf": options}
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": schema_of(args[0], found)}
        return {
            "type": "array",
            "prefixItems": [schema_of(arg, found) for arg in args],
            "minItems": len(args),
            "maxItems": len(args),
        }
    if origin in (list, typing.List):  # noqa: UP006
        return {"type": "array", "items": schema_of(args[0], found)}
    if origin in (dict, Mapping, typing.Mapping) or hint is dict:
        values = schema_of(args[1], found) if args else {}
        return {"type": "object", "additionalProperties": values}
    simple = {
        str: {"type": "string"},
        int: {"type": "integer"},
        float: {"type": "number"},
        bool: {"type": "boolean"},
        type(None): {"type": "null"},
        datetime: {"type": "string", "format": "date-time"},
        date: {"type": "string", "format": "date"},
    }
    if hint in simple:
        return dict(simple[hint])
    raise TypeError(f"no JSON Schema for {hint!r}; teach searchkit.serve.models.schema_of")


def model_schema(model: type[Any], found: dict[str, type[Any]]) -> dict[str, Any]:
    """The JSON Schema of a response dataclass from its type hints and docstring."""
    hints = typing.get_type_hints(model)
    shown = visible_fields(model)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {item.name: schema_of(hints[item.name], found) for item in shown},
        "required": [item.name for item in shown],
    }
    if model.__doc__:
        schema["description"] = " ".join(model.__doc__.split("\n\n")[0].split())
    return schema


def component_schemas() -> dict[str, Any]:
    """Every response model's schema, and those of the dataclasses they hold, by name."""
    found: dict[str, type[Any]] = {model.__name__: model for model in RESPONSE_MODELS}
    done: dict[str, Any] = {}
    while len(done) < len(found):
        for name, model in sorted(found.items()):
            if name not in done:
                done[name] = model_schema(model, found)
    done["SearchRequest"] = request_schema()
    return dict(sorted(done.items()))
