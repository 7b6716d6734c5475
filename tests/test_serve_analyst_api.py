"""The analyst's tools over HTTP: copies, stories, facets, timelines, more like this and did
you mean, through a real uvicorn server over a real index of corpus/ with a syndicated copy and
a follow-up added (tests/serve_support.py). Each answer is compared with the Searcher's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from serve_support import (
    COPY_ID,
    COPY_OUTLET,
    FOLLOW_UP_ID,
    STORY_SOURCE_ID,
    LiveServer,
    error_message,
    live_server,
    write_story_corpus,
)

import searchkit
from searchkit.serve.models import MAX_STORY_ID


@pytest.fixture(scope="module")
def story_index(tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> Path:
    folder = tmp_path_factory.mktemp("serve-analyst")
    corpus = write_story_corpus(folder / "corpus", repo_root / "corpus")
    index = folder / "index"
    report = searchkit.build_index([corpus], index)
    assert report.ok and report.added > 0
    return index


@pytest.fixture(scope="module")
def searcher(story_index: Path) -> Iterator[searchkit.Searcher]:
    with searchkit.Searcher(story_index) as opened:
        yield opened


@pytest.fixture(scope="module")
def server(story_index: Path) -> Iterator[LiveServer]:
    with live_server(story_index) as running:
        yield running


@pytest.fixture()
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


def _story_of(searcher: searchkit.Searcher) -> int:
    story_id = searcher.search("ISKP", limit=20, collapse=False)
    ids = {hit.id: hit.story_id for hit in story_id.hits}
    assert ids[COPY_ID] == ids[STORY_SOURCE_ID] == ids[FOLLOW_UP_ID] is not None
    return int(ids[COPY_ID])


def test_copies_collapse_by_default_and_every_copy_on_request(
    client: httpx.Client, searcher: searchkit.Searcher
) -> None:
    collapsed = client.get("/search", params={"q": "ISKP", "limit": 20}).json()
    expected = searcher.search("ISKP", limit=20)
    assert [hit["id"] for hit in collapsed["hits"]] == [hit.id for hit in expected.hits]
    assert collapsed["groups"] == expected.groups < collapsed["total"]
    with_copies = [hit for hit in collapsed["hits"] if hit["copies"]]
    assert len(with_copies) == 1
    (hit,) = with_copies
    assert {hit["id"], *hit["copies"]} == {COPY_ID, STORY_SOURCE_ID}
    shown = {COPY_ID: COPY_OUTLET, STORY_SOURCE_ID: "Continental Wire"}
    assert hit["copy_sources"] == [shown[copy] for copy in hit["copies"]]
    assert hit["story_id"] == _story_of(searcher)

    every = client.get("/search", params={"q": "ISKP", "limit": 20, "collapse": "false"}).json()
    assert every["groups"] is None and every["total"] == collapsed["total"]
    copies = {hit["id"]: hit["copies"] for hit in every["hits"]}
    assert copies[COPY_ID] == [STORY_SOURCE_ID] and copies[STORY_SOURCE_ID] == [COPY_ID]
    posted = client.post("/search", json={"q": "ISKP", "limit": 20, "collapse": False})
    assert posted.json() == every


def test_one_result_per_story(client: httpx.Client, searcher: searchkit.Searcher) -> None:
    data = client.get("/search", params={"q": "ISKP", "by_story": "true"}).json()
    expected = searcher.search("ISKP", by_story=True)
    assert [hit["id"] for hit in data["hits"]] == [hit.id for hit in expected.hits]
    assert data["groups"] == expected.groups
    story_id = _story_of(searcher)
    (best,) = [hit for hit in data["hits"] if hit["story_id"] == story_id]
    members = {COPY_ID, STORY_SOURCE_ID, FOLLOW_UP_ID}
    assert best["id"] in members
    summary = best["story"]
    assert summary["articles"] == 2 and set(summary["ids"]) == members - {best["id"]}
    assert summary["first"].startswith("2024-04-12") and summary["last"].startswith("2024-04-14")
    assert set(summary["outlets"]) == {COPY_OUTLET, "Continental Wire", "Harbour Daily"}
    plain = client.get("/search", params={"q": "ISKP"}).json()
    assert all(hit["story"] is None for hit in plain["hits"])


def test_facets_by_field_and_a_histogram_equal_the_searchers(
    client: httpx.Client, searcher: searchkit.Searcher
) -> None:
    params = {"q": "said", "facets": "source,author", "histogram": "month"}
    data = client.get("/search", params=params).json()
    expected = searcher.search("said", facet=("source", "author"), histogram="month")
    assert data["facet_counts"] == {
        name: dict(counts) for name, counts in expected.facet_counts.items()
    }
    assert data["facets"] == dict(expected.facets) and sum(data["facets"].values()) > 0
    assert expected.histogram is not None
    assert data["histogram"] == {
        "interval": "month",
        "buckets": [
            {"start": bucket.start.isoformat(), "count": bucket.count}
            for bucket in expected.histogram.buckets
        ],
        "undated": expected.histogram.undated,
    }
    assert (
        sum(b["count"] for b in data["histogram"]["buckets"]) + data["histogram"]["undated"]
        == (data["total"])
    )
    posted = client.post("/search", json={**params, "facets": ["source", "author"]})
    assert posted.json() == data
    only_authors = client.get("/search", params={"q": "said", "facets": "author"}).json()
    assert set(only_authors["facet_counts"]) == {"author"}
    assert "histogram" in only_authors and only_authors["histogram"] is None


def test_did_you_mean_and_exact(client: httpx.Client, searcher: searchkit.Searcher) -> None:
    corrected = client.get("/search", params={"q": "talban"}).json()
    assert corrected["suggestion"] == "taliban" and corrected["searched_suggestion"] is True
    assert corrected["query"] == "talban"
    assert corrected["total"] == searcher.search("taliban").total > 0
    exact = client.get("/search", params={"q": "talban", "exact": "true"}).json()
    assert exact["total"] == 0 and exact["hits"] == []
    assert exact["suggestion"] == "taliban" and exact["searched_suggestion"] is False
    right = client.get("/search", params={"q": "taliban"}).json()
    assert right["suggestion"] is None and right["searched_suggestion"] is False


def test_similar_articles(client: httpx.Client, searcher: searchkit.Searcher) -> None:
    response = client.get(f"/articles/{STORY_SOURCE_ID}/similar", params={"limit": 3})
    assert response.status_code == 200
    data = response.json()
    expected = searcher.similar(STORY_SOURCE_ID, limit=3)
    assert [hit["id"] for hit in data["hits"]] == [hit.id for hit in expected.hits]
    assert 0 < len(data["hits"]) <= 3 and data["total"] == len(data["hits"])
    assert COPY_ID not in {hit["id"] for hit in data["hits"]}  # its own copy is not "more"
    assert all("path" not in hit for hit in data["hits"])
    default = client.get(f"/articles/{STORY_SOURCE_ID}/similar").json()
    assert default["limit"] == 10


def test_a_story_lists_its_articles_in_time_order(
    client: httpx.Client, searcher: searchkit.Searcher
) -> None:
    story_id = _story_of(searcher)
    response = client.get(f"/stories/{story_id}")
    assert response.status_code == 200
    data = response.json()
    story = searcher.story(story_id)
    assert data["id"] == story_id
    assert [a["id"] for a in data["articles"]] == [a.id for a in story.articles]
    assert {a["id"] for a in data["articles"]} == {COPY_ID, STORY_SOURCE_ID, FOLLOW_UP_ID}
    dates = [a["published"] for a in data["articles"]]
    assert dates == sorted(dates) and data["articles"][-1]["id"] == FOLLOW_UP_ID
    assert data["outlets"] == list(story.outlets)
    assert data["first"].startswith("2024-04-12") and data["last"].startswith("2024-04-14")
    groups = {a["id"]: a["duplicate_group"] for a in data["articles"]}
    assert groups[COPY_ID] == groups[STORY_SOURCE_ID] != groups[FOLLOW_UP_ID]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"facets": "yes"}, "facets"),
        ({"facets": "colour"}, "facets"),
        ({"facets": "source,,author"}, "facets"),
        ({"facets": "source, author"}, "facets"),
        ({"facets": ""}, "facets"),
        ({"histogram": "hour"}, "histogram"),
        ({"histogram": ""}, "histogram"),
        ({"collapse": "no"}, "collapse"),
        ({"collapse": "0"}, "collapse"),
        ({"by_story": "True"}, "by_story"),
        ({"exact": "1"}, "exact"),
        ({"all_copies": "true"}, "unknown parameter"),
    ],
)
def test_a_bad_analyst_parameter_is_a_400(
    client: httpx.Client, params: dict[str, str], fragment: str
) -> None:
    response = client.get("/search", params={"q": "ISKP", **params})
    assert fragment in error_message(response, 400, "QueryError")


@pytest.mark.parametrize(
    "body",
    [
        {"facets": ["source", "colour"]},
        {"facets": [1]},
        {"facets": [["source"]]},
        {"facets": {"source": True}},
        {"facets": None},
        {"histogram": None},
        {"histogram": ["month"]},
        {"collapse": "false"},
        {"by_story": 1},
        {"exact": None},
    ],
)
def test_a_bad_analyst_body_is_a_400(client: httpx.Client, body: dict[str, object]) -> None:
    error_message(client.post("/search", json={"q": "ISKP", **body}), 400, "QueryError")


@pytest.mark.parametrize(
    "params", [{"limit": "0"}, {"limit": "101"}, {"limit": "ten"}, {"limit": ""}, {"q": "x"}]
)
def test_a_bad_similar_parameter_is_a_400(client: httpx.Client, params: dict[str, str]) -> None:
    error_message(
        client.get(f"/articles/{STORY_SOURCE_ID}/similar", params=params), 400, "QueryError"
    )


def test_similar_limit_given_twice_is_a_400(client: httpx.Client) -> None:
    response = client.get(f"/articles/{STORY_SOURCE_ID}/similar?limit=2&limit=3")
    assert "more than once" in error_message(response, 400, "QueryError")


@pytest.mark.parametrize(
    "doc_id", ["no-such-id", "../../etc/passwd", "/etc/passwd", "..", "corpus/README.md", "%00"]
)
def test_similar_to_an_unknown_article_is_a_404(client: httpx.Client, doc_id: str) -> None:
    encoded = quote(doc_id, safe="").replace(".", "%2E")
    response = client.get(f"/articles/{encoded}/similar")
    message = error_message(response, 404, "DocumentNotFoundError")
    assert repr(doc_id) in message


def test_similar_paths_that_name_nothing(client: httpx.Client) -> None:
    error_message(client.get("/articles//similar"), 404, "DocumentNotFoundError")
    error_message(client.get(f"/articles/{STORY_SOURCE_ID}/similar/more"), 404, "NotFound")
    error_message(client.get(f"/articles/{STORY_SOURCE_ID}/related"), 404, "NotFound")
    error_message(client.post(f"/articles/{STORY_SOURCE_ID}/similar"), 405, "MethodNotAllowed")


def test_an_unknown_story_is_a_404(client: httpx.Client) -> None:
    for story_id in ("999999", str(MAX_STORY_ID), "0000999999"):
        message = error_message(client.get(f"/stories/{story_id}"), 404, "StoryNotFoundError")
        assert str(int(story_id)) in message


@pytest.mark.parametrize(
    "story_id",
    [
        "abc",
        "0",
        "-1",
        "1.0",
        "1_6",
        "%20" + "16",
        "%D9%A1%D9%A6",  # Arabic-Indic digits, which int() would take
        str(MAX_STORY_ID + 1),
        "9" * 400,
        "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "",
    ],
)
def test_a_story_id_that_is_not_one_is_a_400(client: httpx.Client, story_id: str) -> None:
    assert "story id" in error_message(client.get(f"/stories/{story_id}"), 400, "QueryError")


def test_story_paths_that_name_nothing(client: httpx.Client, searcher: searchkit.Searcher) -> None:
    story_id = _story_of(searcher)
    error_message(client.get(f"/stories/{story_id}/articles"), 404, "NotFound")
    error_message(client.delete(f"/stories/{story_id}"), 405, "MethodNotAllowed")


def test_a_missing_index_is_a_503_for_stories_and_similar(tmp_path: Path) -> None:
    with live_server(tmp_path / "index") as server, httpx.Client(base_url=server.url) as http:
        error_message(http.get("/stories/1"), 503, "IndexNotFoundError")
        error_message(http.get(f"/articles/{STORY_SOURCE_ID}/similar"), 503, "IndexNotFoundError")
        assert http.get("/story/1").status_code == 503


def test_the_new_operations_are_in_the_openapi_document(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    assert document["paths"]["/articles/{id}/similar"]["get"]["operationId"] == "similarArticles"
    story = document["paths"]["/stories/{id}"]["get"]
    assert set(story["responses"]) >= {"200", "400", "404", "503"}
    search = {p["name"] for p in document["paths"]["/search"]["get"]["parameters"]}
    assert {"facets", "histogram", "collapse", "by_story", "exact"} <= search
    body = document["components"]["schemas"]["SearchRequest"]["properties"]
    assert {"facets", "histogram", "collapse", "by_story", "exact"} <= set(body)
    schemas = document["components"]["schemas"]
    assert {"copies", "copy_sources", "story_id", "story"} <= set(schemas["Hit"]["properties"])
    assert {"groups", "facet_counts", "histogram", "suggestion", "searched_suggestion"} <= set(
        schemas["SearchResults"]["properties"]
    )
    assert {"id", "articles", "outlets", "first", "last"} == set(schemas["Story"]["properties"])


@pytest.mark.parametrize(
    ("path", "params", "model"),
    [
        ("/search", {"q": "ISKP", "by_story": "true", "facets": "source,author"}, "SearchResults"),
        ("/search", {"q": "talban", "histogram": "week", "collapse": "false"}, "SearchResults"),
        (f"/articles/{STORY_SOURCE_ID}/similar", {"limit": "5"}, "SearchResults"),
        ("/stories/{story}", {}, "Story"),
    ],
)
def test_answers_match_the_published_schema(
    client: httpx.Client,
    searcher: searchkit.Searcher,
    path: str,
    params: dict[str, str],
    model: str,
) -> None:
    """What these answers hold (copies, stories, histograms) is what /openapi.json says."""
    jsonschema_rs = pytest.importorskip("jsonschema_rs", reason="comes with schemathesis")
    document = client.get("/openapi.json").json()
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": document["components"],
        "$ref": f"#/components/schemas/{model}",
    }
    response = client.get(path.format(story=_story_of(searcher)), params=params)
    assert response.status_code == 200, response.text
    data = response.json()
    errors = [str(error) for error in jsonschema_rs.validator_for(schema).iter_errors(data)]
    assert errors == []
    if model == "Story":
        assert len(data["articles"]) == 3
    else:
        assert data["hits"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/story/999999", 404),
        ("/story/abc", 400),
        ("/story/%3Cscript%3Ealert(1)%3C%2Fscript%3E", 400),
        ("/story/1/more", 400),
        ("/view/no-such-id/similar", 404),
        ("/view/%3Cscript%3E/similar", 404),
        ("/view//similar", 400),
        ("/view/x/similar/more", 400),
        ("/?q=ISKP&histogram=hour", 400),
        ("/?q=ISKP&by_story=maybe", 400),
    ],
)
def test_page_views_answer_html_errors(client: httpx.Client, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "<script>" not in response.text  # the id is echoed escaped, if at all
    assert 'role="alert"' in response.text


def test_page_views_of_a_story_and_similar_articles(
    client: httpx.Client, searcher: searchkit.Searcher
) -> None:
    story = client.get(f"/story/{_story_of(searcher)}", params={"back": "q=ISKP"})
    assert story.status_code == 200
    listed = [a.id for a in searcher.story(_story_of(searcher)).articles]
    positions = [story.text.index(f"/view/{doc_id}?back=q%3DISKP") for doc_id in listed]
    assert positions == sorted(positions)  # the page keeps the story's time order
    similar = client.get(f"/view/{STORY_SOURCE_ID}/similar")
    assert similar.status_code == 200
    for hit in searcher.similar(STORY_SOURCE_ID, limit=10).hits:
        assert f'href="/view/{quote(hit.id, safe="")}?back="' in similar.text
