"""Serve benchmark: `searchkit serve` on Reuters-21578 over loopback, beside in-process search.

Run from the repository root (needs the serve extra and httpx)::

    python benchmarks/serve.py [--data DIR] [--requests N] [--json OUT]

It builds (once, under --work) an index of Reuters-21578 from ``../shared/data``,
draws fixed, seeded 2-3-word queries (``speed.draw_queries``) and measures:

* in-process: ``Searcher.search(q, limit=10)`` one query after another, p50/p95/p99;
* HTTP: ``searchkit serve --workers 1`` and ``--workers 2`` as real processes, each
  with 1, 8 and 32 concurrent httpx clients sending ``--requests`` GET /search
  requests between them (the same queries, round robin): throughput, p50/p95/p99,
  transport errors and 5xx responses;
* hostile: ``--hostile`` queries of the reliability benchmark's generator over HTTP
  (no response may be a 5xx; a 400 for a query over the length cap is an answer);
* stalls: while one client sends its headers one byte a second and others hang
  up mid-response, a normal client's p95 is measured beside the quiet p95;
* rebuild: ``build_index(rebuild=True)`` runs under the live server while a
  client queries; every answer during it must be a 200, and a document added
  before the rebuild must be found after it.

The client runs on the same two cores as the server, so HTTP figures include
its own CPU time; the ratios matter more than the absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
sys.path.insert(0, str(REPO_ROOT / "tests"))

import httpx  # noqa: E402
from speed import DEFAULT_DATA, QUERY_SEED, build_searchkit, draw_queries, reuters_docs  # noqa: E402

import searchkit  # noqa: E402

CONCURRENCY = (1, 8, 32)
WORKERS = (1, 2)
SECTIONS = ("inprocess", "http", "hostile", "stalls", "rebuild")


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile (0-1) of ``values``, by nearest rank, in milliseconds."""
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[rank] * 1000


def summary(latencies: list[float], seconds: float) -> dict[str, float]:
    return {
        "requests": len(latencies),
        "per_second": round(len(latencies) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
    }


def reuters_index(data: Path, work: Path) -> Path:
    """The kept Reuters index, built again when missing or left by an older searchkit."""
    index = work / "reuters-index"
    try:
        with searchkit.Searcher(index):
            return index
    except (searchkit.IndexNotFoundError, searchkit.IndexIncompatibleError):
        shutil.rmtree(index, ignore_errors=True)
    build_searchkit(reuters_docs(data), index)
    return index


def in_process(index: Path, queries: list[str], rounds: int) -> dict[str, float]:
    with searchkit.Searcher(index) as searcher:
        for query in queries:  # warm the caches, as a long-lived server's are
            searcher.search(query, limit=10)
        latencies = []
        start = time.perf_counter()
        for _ in range(rounds):
            for query in queries:
                began = time.perf_counter()
                searcher.search(query, limit=10)
                latencies.append(time.perf_counter() - began)
        return summary(latencies, time.perf_counter() - start)


def in_process_threads(
    index: Path, queries: list[str], total: int, threads: int
) -> dict[str, float]:
    """``threads`` threads sharing one Searcher, ``total`` searches between them: what the
    server's own thread pool does, without HTTP (the queueing part of its latency)."""
    with searchkit.Searcher(index) as searcher:
        for query in queries[:50]:
            searcher.search(query, limit=10)
        latencies: list[float] = []
        counter = iter(range(total))
        lock = threading.Lock()

        def work() -> None:
            while True:
                with lock:
                    number = next(counter, None)
                if number is None:
                    return
                began = time.perf_counter()
                searcher.search(queries[number % len(queries)], limit=10)
                latencies.append(time.perf_counter() - began)

        pool = [threading.Thread(target=work) for _ in range(threads)]
        start = time.perf_counter()
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        return summary(latencies, time.perf_counter() - start)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(index: Path, workers: int) -> Iterator[str]:
    """`searchkit serve` as a child process on a free loopback port; stopped by its pid."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != "SEARCHKIT_TOKEN"}
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "searchkit", "serve", "--index", str(index)),
            *("--port", str(port), "--workers", str(workers)),
        ],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        with httpx.Client(timeout=30) as client:
            while True:
                try:
                    if client.get(f"{url}/stats").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                # Any other answer (a 503 for an index it cannot open) is not ready either.
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("searchkit serve did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _load(url: str, queries: list[str], total: int, concurrency: int) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:

        async def one_client() -> None:
            nonlocal errors
            for number in counter:
                query = queries[number % len(queries)]
                began = time.perf_counter()
                try:
                    response = await client.get("/search", params={"q": query, "limit": 10})
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - began)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        seconds = time.perf_counter() - start
    result: dict[str, Any] = summary(latencies, seconds)
    result["errors"] = errors
    result["5xx"] = sum(count for status, count in statuses.items() if status >= 500)
    result["non_200"] = sum(count for status, count in statuses.items() if status != 200)
    return result


def load(url: str, queries: list[str], total: int, concurrency: int) -> dict[str, Any]:
    asyncio.run(_load(url, queries[:50], min(200, total), concurrency))  # warm every worker
    return asyncio.run(_load(url, queries, total, concurrency))


def hostile(url: str, index: Path, count: int) -> dict[str, Any]:
    from reliability import hostile_queries, vocabulary

    words = vocabulary(index, 2000)
    rng = random.Random(QUERY_SEED)
    statuses: dict[int, int] = {}
    errors = 0
    start = time.perf_counter()
    with httpx.Client(base_url=url, timeout=120) as client:
        for number, query in enumerate(hostile_queries(count, words, rng), start=1):
            if number % 500 == 0:
                fives = sum(v for k, v in statuses.items() if k >= 500)
                elapsed = time.perf_counter() - start
                print(f"  hostile {number}: {fives} 5xx, {elapsed:.0f} s", flush=True)
            # Encoded by hand: the generator's text may hold lone surrogates, which no
            # client library will encode; the server must still answer (400, not 5xx).
            try:
                raw = quote(query.encode("utf-8", "surrogatepass"), safe="")
                if rng.random() < 0.5 and len(raw) < 8000:  # longer URLs: httpx refuses them
                    response = client.get(f"/search?q={raw}")
                else:
                    body = json.dumps({"q": query}).encode("ascii")
                    headers = {"content-type": "application/json"}
                    response = client.post("/search", content=body, headers=headers)
            except httpx.HTTPError:
                errors += 1
                continue
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    return {
        "queries": count,
        "seconds": round(time.perf_counter() - start, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "5xx": sum(v for k, v in statuses.items() if k >= 500),
        "errors": errors,
    }


def _slow_headers(host: str, port: int, stop: threading.Event) -> None:
    request = f"GET /search?q=oil HTTP/1.1\r\nHost: {host}\r\nX-Slow: " + "a" * 10_000
    with socket.create_connection((host, port)) as sock:
        for char in request:
            if stop.is_set():
                return
            try:
                sock.sendall(char.encode())
            except OSError:
                return
            stop.wait(1.0)


def _hang_ups(host: str, port: int, stop: threading.Event) -> int:
    count = 0
    while not stop.is_set():
        with socket.create_connection((host, port)) as sock:
            sock.sendall(
                f"GET /search?q=oil+prices&limit=100 HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
            )
            sock.recv(100)  # the first bytes of the response, then hang up
        count += 1
    return count


def stalls(url: str, queries: list[str], total: int) -> dict[str, Any]:
    quiet = asyncio.run(_load(url, queries, total, 4))
    host, port = url.removeprefix("http://").split(":")
    stop = threading.Event()
    slow = [threading.Thread(target=_slow_headers, args=(host, int(port), stop)) for _ in range(8)]
    hangups: list[int] = []
    rude = threading.Thread(target=lambda: hangups.append(_hang_ups(host, int(port), stop)))
    for thread in [*slow, rude]:
        thread.start()
    try:
        time.sleep(1)
        busy = asyncio.run(_load(url, queries, total, 4))
    finally:
        stop.set()
        for thread in [*slow, rude]:
            thread.join(timeout=30)
    return {"quiet": quiet, "with_8_slow_and_hang_ups": busy, "hang_ups": sum(hangups)}


def rebuild(index: Path, work: Path, data: Path, queries: list[str]) -> dict[str, Any]:
    """Rebuild a copy of the index under a live server while a client keeps querying."""
    import shutil

    copy = work / "rebuild-index"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(index, copy)
    with server(copy, 1) as url:
        statuses: dict[int, int] = {}
        errors = 0
        done = threading.Event()

        def query_until_done() -> None:
            nonlocal errors
            with httpx.Client(base_url=url, timeout=120) as client:
                number = 0
                while not done.is_set():
                    try:
                        response = client.get("/search", params={"q": queries[number % 50]})
                        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    except httpx.HTTPError:
                        errors += 1
                    number += 1

        reader = threading.Thread(target=query_until_done)
        reader.start()
        start = time.perf_counter()
        marker = searchkit.Article(
            id="serve-bench-marker", title="Quokkaphone", body="Quokkaphone."
        )
        with searchkit.Indexer(str(copy), rebuild=True) as indexer:
            indexer.add_many(
                searchkit.Article(
                    id=doc.id, title=doc.title, body=doc.body, published=doc.published
                ).with_content_hash()
                for doc in reuters_docs(data)
            )
            indexer.add(marker.with_content_hash())
        seconds = time.perf_counter() - start
        time.sleep(0.5)
        found = httpx.get(f"{url}/search", params={"q": "quokkaphone"}, timeout=60).json()["total"]
        done.set()
        reader.join(timeout=120)
    return {
        "rebuild_seconds": round(seconds, 1),
        "statuses_during": {str(k): v for k, v in sorted(statuses.items())},
        "errors": errors,
        "marker_found_after": found,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "searchkit-serve-bench"
    )
    parser.add_argument("--queries", type=int, default=200, help="distinct queries drawn")
    parser.add_argument("--requests", type=int, default=2000, help="requests per concurrency level")
    parser.add_argument("--hostile", type=int, default=10_000, help="hostile queries (0: skip)")
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated, from {','.join(SECTIONS)}",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the results here too")
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    if not (args.data / "reuters21578").is_dir():
        print(f"no Reuters-21578 under {args.data}", file=sys.stderr)
        return 1
    args.work.mkdir(parents=True, exist_ok=True)
    index = reuters_index(args.data, args.work)
    queries = draw_queries(reuters_docs(args.data), args.queries, QUERY_SEED)
    results: dict[str, Any] = {"index": str(index), "queries": len(queries)}

    def record(key: str, row: dict[str, Any]) -> None:
        results[key] = row
        print(key, json.dumps(row), flush=True)

    if "inprocess" in sections:
        rounds = max(1, args.requests // len(queries))
        record("in_process", in_process(index, queries, rounds))
        for threads in CONCURRENCY[1:]:
            row = in_process_threads(index, queries, args.requests, threads)
            record(f"in_process_threads{threads}", row)
    for workers in WORKERS:
        if not sections & {"http", "hostile", "stalls"}:
            break
        with server(index, workers) as url:
            for concurrency in CONCURRENCY if "http" in sections else ():
                row = load(url, queries, args.requests, concurrency)
                record(f"http_workers{workers}_c{concurrency}", row)
            if workers == 1 and "hostile" in sections and args.hostile:
                record("hostile", hostile(url, index, args.hostile))
            if workers == 1 and "stalls" in sections:
                record("stalls", stalls(url, queries, min(args.requests, 1000)))
    if "rebuild" in sections:
        record("rebuild", rebuild(index, args.work, args.data, queries))
    targets: dict[str, bool] = {}
    http_rows = [row for key, row in results.items() if key.startswith("http_")]
    if http_rows:
        targets["0 errors and 0 5xx"] = all(
            row["errors"] == 0 and row["5xx"] == 0 for row in http_rows
        )
    if "in_process" in results and "http_workers1_c8" in results:
        limit = 3 * results["in_process"]["p95_ms"] + 5
        targets["c8 p95 <= 3x in-process p95 + 5 ms"] = (
            results["http_workers1_c8"]["p95_ms"] <= limit
        )
    if "http_workers2_c8" in results:
        scaling = max(
            results[f"http_workers2_c{c}"]["per_second"]
            / results[f"http_workers1_c{c}"]["per_second"]
            for c in (8, 32)
        )
        results["workers_2_over_1"] = round(scaling, 2)
        targets["workers 2 >= 1.6x workers 1 throughput"] = scaling >= 1.6
    if "hostile" in results:
        targets["hostile: no 5xx"] = results["hostile"]["5xx"] == 0
    if "stalls" in results:
        busy = results["stalls"]["with_8_slow_and_hang_ups"]
        targets["stalls: 0 errors, 0 5xx"] = busy["errors"] == 0 and busy["5xx"] == 0
    if "rebuild" in results:
        row = results["rebuild"]
        targets["rebuild: every answer 200, marker found"] = (
            set(row["statuses_during"]) == {"200"}
            and row["errors"] == 0
            and row["marker_found_after"] == 1
        )
    record("targets", targets)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
