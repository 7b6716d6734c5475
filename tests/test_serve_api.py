"""The JSON API of `searchkit serve`, over a real index on disk and a real uvicorn server."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from serve_support import LiveServer, error_message, live_server

import searchkit
from searchkit.serve.models import MAX_PAGE, MAX_QUERY_CHARS
from searchkit.serve.openapi import openapi_text
from searchkit.serve.security import MAX_BODY_BYTES


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> Path:
    index = tmp_path_factory.mktemp("serve") / "index"
    report = searchkit.build_index([repo_root / "corpus"], index)
    assert report.ok and report.added > 0
    return index


@pytest.fixture(scope="module")
def server(corpus_index: Path) -> Iterator[LiveServer]:
    with live_server(corpus_index) as running:
        yield running


@pytest.fixture()
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


def test_search_returns_what_the_searcher_returns(client: httpx.Client, corpus_index: Path) -> None:
    response = client.get("/search", params={"q": "border security", "limit": 3, "facets": "true"})
    assert response.status_code == 200
    data = response.json()
    with searchkit.Searcher(corpus_index) as searcher:
        expected = searcher.search("border security", limit=3, facets=True)
    assert data["total"] == expected.total
    assert [hit["id"] for hit in data["hits"]] == [hit.id for hit in expected.hits]
    assert data["facets"] == dict(expected.facets)
    first = data["hits"][0]
    assert "path" not in first  # a file on the server's disk is not the client's business
    for start, end in first["highlights"]:
        assert first["snippet"][start:end].lower() in {"border", "security", "borders"}
    assert first["highlights"] == [list(span) for span in expected.hits[0].highlights]


def test_post_search_is_the_same_search(client: httpx.Client) -> None:
    got = client.get("/search", params={"q": "climate", "sort": "date", "limit": 2, "page": 2})
    posted = client.post("/search", json={"q": "climate", "sort": "date", "limit": 2, "page": 2})
    assert posted.status_code == 200
    assert posted.json() == got.json()


def test_filters_narrow_the_search(client: httpx.Client) -> None:
    everything = client.get("/search", params={"q": "security", "facets": "true"}).json()
    outlet, count = max(everything["facets"].items(), key=lambda item: item[1])
    narrowed = client.get("/search", params={"q": "security", "source": outlet}).json()
    assert narrowed["total"] == count < everything["total"]
    assert {hit["source"] for hit in narrowed["hits"]} == {outlet}
    dated = client.get("/search", params={"q": "security", "since": "2025", "until": "2025-12"})
    assert all(hit["published"].startswith("2025") for hit in dated.json()["hits"])


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"limit": "10"}, "q (the query) is required"),
        ({"q": "x", "limit": "0"}, "limit"),
        ({"q": "x", "limit": "101"}, "limit"),
        ({"q": "x", "limit": "ten"}, "limit"),
        ({"q": "x", "page": str(MAX_PAGE + 1)}, "page"),
        ({"q": "x" * (MAX_QUERY_CHARS + 1)}, "longer than"),
        ({"q": "x", "sort": "random"}, "sort"),
        ({"q": "x", "since": "2024-02-30"}, "since"),
        ({"q": "x", "since": "2025", "until": "2024"}, "later than"),
        ({"q": "x", "facets": "yes"}, "facets"),
        ({"q": "x", "colour": "red"}, "unknown parameter"),
    ],
)
def test_a_bad_parameter_is_a_400(
    client: httpx.Client, params: dict[str, str], fragment: str
) -> None:
    assert fragment in error_message(client.get("/search", params=params), 400, "QueryError")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"q": "x", "limit": true}',
        b'{"q": "x", "limit": 2.5}',
        b'{"q": null}',
        b'{"q": "x", "extra": 1}',
        b'{"q": "\\ud800"}',
    ],
)
def test_a_bad_body_is_a_400(client: httpx.Client, body: bytes) -> None:
    response = client.post("/search", content=body, headers={"content-type": "application/json"})
    error_message(response, 400, "QueryError")


def test_a_body_over_the_cap_is_refused(client: httpx.Client) -> None:
    body = json.dumps({"q": "x" * (MAX_BODY_BYTES + 1)}).encode()
    response = client.post("/search", content=body, headers={"content-type": "application/json"})
    error_message(response, 413, "RequestTooLarge")


def test_articles_by_id(client: httpx.Client, corpus_index: Path) -> None:
    with searchkit.Searcher(corpus_index) as searcher:
        hit = searcher.search("border", limit=1).hits[0]
        article = searcher.get(hit.id)
    data = client.get(f"/articles/{quote(hit.id, safe='')}").json()
    assert data["id"] == hit.id and data["body"] == article.body and "path" not in data
    message = error_message(client.get("/articles/no-such-id"), 404, "DocumentNotFoundError")
    assert "no-such-id" in message


@pytest.mark.parametrize("doc_id", ["../../etc/passwd", "/etc/passwd", "..", "corpus/README.md"])
def test_an_id_never_names_a_file(client: httpx.Client, doc_id: str) -> None:
    # Dots percent-encoded too, or the client itself would resolve ".." before sending.
    response = client.get("/articles/" + quote(doc_id, safe="").replace(".", "%2E"))
    error_message(response, 404, "DocumentNotFoundError")


def test_stats_and_health(client: httpx.Client, corpus_index: Path) -> None:
    with searchkit.Searcher(corpus_index) as searcher:
        expected = searcher.stats()
    stats = client.get("/stats").json()
    assert stats["documents"] == expected.documents and stats["sources"] == dict(expected.sources)
    assert client.get("/healthz").json() == {"status": "ok"}


def test_unknown_paths_and_methods_answer_json(client: httpx.Client) -> None:
    error_message(client.get("/nothing-here"), 404, "NotFound")
    error_message(client.delete("/search"), 405, "MethodNotAllowed")


def test_every_response_carries_the_security_headers_and_no_cors(client: httpx.Client) -> None:
    for path in ("/search?q=x", "/nothing", "/", "/static/style.css", "/articles/none"):
        response = client.get(path, headers={"origin": "https://elsewhere.example"})
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert not any(name.startswith("access-control-") for name in response.headers)


def test_cors_only_for_the_origin_given(corpus_index: Path) -> None:
    allowed = "https://newsroom.example"
    with live_server(corpus_index, cors_origin=allowed) as server, httpx.Client() as http:
        ok = http.get(f"{server.url}/healthz", headers={"origin": allowed})
        assert ok.headers["access-control-allow-origin"] == allowed
        other = http.get(f"{server.url}/healthz", headers={"origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_a_token_guards_every_request(corpus_index: Path) -> None:
    with live_server(corpus_index, token="s3cret-token") as server, httpx.Client() as http:
        for path in ("/healthz", "/search?q=x", "/", "/openapi.json"):
            error_message(http.get(server.url + path), 401, "Unauthorized")
            wrong = http.get(server.url + path, headers={"authorization": "Bearer s3cret-tokeX"})
            error_message(wrong, 401, "Unauthorized")
            right = http.get(server.url + path, headers={"authorization": "Bearer s3cret-token"})
            assert right.status_code == 200


def test_the_checked_in_openapi_is_the_served_one(client: httpx.Client, repo_root: Path) -> None:
    served = client.get("/openapi.json").json()
    checked_in = (repo_root / "docs" / "openapi.json").read_text(encoding="utf-8")
    assert checked_in == openapi_text(), (
        "docs/openapi.json is stale: python -m searchkit.serve.openapi > docs/openapi.json"
    )
    assert served == json.loads(checked_in)
    assert served["openapi"].startswith("3.1")


def test_a_missing_index_is_a_503_until_it_exists(tmp_path: Path, repo_root: Path) -> None:
    index = tmp_path / "index"
    with live_server(index) as server, httpx.Client(base_url=server.url) as http:
        error_message(http.get("/search", params={"q": "border"}), 503, "IndexNotFoundError")
        error_message(http.get("/stats"), 503, "IndexNotFoundError")
        assert http.get("/healthz").status_code == 200
        assert http.get("/", params={"q": "border"}).status_code == 503
        searchkit.build_index([repo_root / "corpus"], index)
        assert http.get("/search", params={"q": "border"}).json()["total"] > 0


def test_a_damaged_index_is_a_503(tmp_path: Path, repo_root: Path) -> None:
    index = tmp_path / "index"
    searchkit.build_index([repo_root / "corpus"], index)
    (index / "searchkit.json").write_text("{not json", encoding="utf-8")
    with live_server(index) as server, httpx.Client(base_url=server.url) as http:
        error_message(http.get("/search", params={"q": "border"}), 503, "IndexCorruptError")


def test_a_running_server_sees_new_commits_and_rebuilds(tmp_path: Path, repo_root: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(repo_root / "corpus", corpus)
    index = tmp_path / "index"
    searchkit.build_index([corpus], index)
    with live_server(index) as server, httpx.Client(base_url=server.url) as http:
        assert http.get("/search", params={"q": "zanzibarian"}).json()["total"] == 0
        record = {"id": "late-1", "title": "Zanzibarian ferries", "body": "Zanzibarian ferry news."}
        (corpus / "records" / "late.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
        searchkit.build_index([corpus], index)
        assert http.get("/search", params={"q": "zanzibarian"}).json()["total"] == 1
        (corpus / "records" / "late.jsonl").unlink()
        searchkit.build_index([corpus], index, rebuild=True)
        assert http.get("/search", params={"q": "zanzibarian"}).json()["total"] == 0
        assert http.get("/articles/late-1").status_code == 404


def test_a_loopback_server_answers_only_loopback_names(corpus_index: Path) -> None:
    names = ("127.0.0.1", "localhost", "[::1]")
    with live_server(corpus_index, allowed_hosts=names) as server, httpx.Client() as http:
        for host in ("127.0.0.1:8750", "localhost", "[::1]:8750"):
            assert http.get(f"{server.url}/healthz", headers={"host": host}).status_code == 200
        for host in ("attacker.example", "attacker.example:8750", "127.0.0.1.attacker.example"):
            response = http.get(f"{server.url}/healthz", headers={"host": host})
            error_message(response, 421, "MisdirectedRequest")


def test_a_rebuild_with_other_synonym_groups_is_served(tmp_path: Path, repo_root: Path) -> None:
    index = tmp_path / "index"
    searchkit.build_index([repo_root / "corpus"], index)
    synonyms = tmp_path / "synonyms.txt"
    synonyms.write_text("zorblax, border\n", encoding="utf-8")
    with live_server(index) as server, httpx.Client(base_url=server.url) as http:
        assert http.get("/search", params={"q": "zorblax"}).json()["total"] == 0
        searchkit.build_index([repo_root / "corpus"], index, synonyms=synonyms, rebuild=True)
        found = http.get("/search", params={"q": "zorblax"}).json()
        border = http.get("/search", params={"q": "border", "synonyms": "false"}).json()
        assert found["total"] == border["total"] > 0
