"""The OpenAPI 3.1 document, built from the models the handlers use (searchkit.serve.models).

``python -m searchkit.serve.openapi > docs/openapi.json`` regenerates the
checked-in copy; tests/test_serve_api.py keeps the two equal.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from searchkit import __version__
from searchkit.serve.models import MAX_ID_CHARS, SEARCH_FIELDS, component_schemas

_ERRORS = {
    "400": "A parameter is missing, unknown or out of range (QueryError).",
    "401": "A token is set and the request did not carry it.",
    "404": "No article has this id (DocumentNotFoundError).",
    "413": "The request body is too large.",
    "503": "The index is missing, damaged or unreadable (IndexDirectoryError).",
}


def _json(ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _responses(ok: str, ok_description: str, *errors: str) -> dict[str, Any]:
    responses = {"200": _json(ok, ok_description)}
    for status in ("401", *errors):
        responses[status] = _json("ErrorBody", _ERRORS[status])
    return responses


def _query_parameters() -> list[dict[str, Any]]:
    return [
        {
            "name": item.name,
            "in": "query",
            "required": item.name == "q",
            "description": item.metadata["doc"],
            "schema": item.metadata["schema"],
        }
        for item in SEARCH_FIELDS
    ]


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI document as JSON data (the same on every call)."""
    search_errors = ("400", "503")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "searchkit",
            "version": __version__,
            "description": "Full-text search over a searchkit index, read-only. Highlight "
            "spans are [start, end) offsets in Unicode code points into the hit's snippet.",
        },
        "paths": {
            "/search": {
                "get": {
                    "operationId": "search",
                    "summary": "One page of ranked hits",
                    "parameters": _query_parameters(),
                    "responses": _responses("SearchResults", "The page of hits", *search_errors),
                },
                "post": {
                    "operationId": "searchPost",
                    "summary": "One page of ranked hits, the search sent as JSON",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/SearchRequest"}
                            }
                        },
                    },
                    "responses": _responses(
                        "SearchResults", "The page of hits", "400", "413", "503"
                    ),
                },
            },
            "/articles/{id}": {
                "get": {
                    "operationId": "getArticle",
                    "summary": "One stored article",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "description": "The article's id (percent-encode it as one segment).",
                            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_ID_CHARS},
                        }
                    ],
                    "responses": _responses("Article", "The article", "400", "404", "503"),
                }
            },
            "/stats": {
                "get": {
                    "operationId": "stats",
                    "summary": "What the index holds",
                    "responses": _responses("IndexStats", "The index's statistics", "503"),
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "healthz",
                    "summary": "Liveness: the process answers",
                    "responses": _responses("Health", "The server is up"),
                }
            },
        },
        "components": {
            "schemas": component_schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"bearer": []}],
    }


def openapi_text() -> str:
    """The document as the checked-in docs/openapi.json holds it (sorted, indented)."""
    return json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(openapi_text())
