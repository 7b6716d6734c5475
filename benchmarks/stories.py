"""Measure near-duplicates, stories and did-you-mean (issue 14) on the shared corpora.

    python benchmarks/stories.py [--data ../shared/data] [--json benchmarks/results/stories.json]
                                 [--parts dups,identical,scale,stories,spelling]

Prints one table per part and writes every figure to ``--json``. The corpora
are read in place (Reuters-21578 and BBC through ``benchmarks/speed.py``'s
loaders); nothing is copied. Everything random is seeded.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import random
import re
import sys
import time
import tracemalloc
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from speed import Doc, bbc_docs, draw_queries, reuters_docs

from searchkit import duplicates, spelling, stories

SEED = 14
REPO = Path(__file__).resolve().parent.parent
LABELS = REPO / "tests" / "data" / "story_labels.tsv"
TARGET_DUP_F1 = 0.97
TARGET_ARI = 0.85
TARGET_SPELL = 0.8


# ---------------------------------------------------------------------------
# Pairwise metrics.


def pairs(assignment: dict[str, Any]) -> set[tuple[str, str]]:
    """Unordered pairs of ids sharing a (non-None) cluster."""
    clusters: dict[Any, list[str]] = collections.defaultdict(list)
    for item, cluster in assignment.items():
        if cluster is not None:
            clusters[cluster].append(item)
    found: set[tuple[str, str]] = set()
    for members in clusters.values():
        members.sort()
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                found.add((a, b))
    return found


def pairwise(truth: dict[str, Any], predicted: dict[str, Any]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of ``predicted`` against ``truth`` over truth's ids."""
    ids = list(truth)
    pred = {i: predicted.get(i) for i in ids}
    # None in the prediction is a singleton: give it a unique cluster.
    pred = {i: (c if c is not None else ("solo", i)) for i, c in pred.items()}
    true_pairs, pred_pairs = pairs(truth), pairs(pred)
    hit = len(true_pairs & pred_pairs)
    precision = hit / len(pred_pairs) if pred_pairs else 1.0
    recall = hit / len(true_pairs) if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "ari": ari(truth, pred)}


def ari(truth: dict[str, Any], predicted: dict[str, Any]) -> float:
    """Adjusted Rand index (Hubert and Arabie) of two clusterings of the same ids."""
    ids = list(truth)
    table = collections.Counter((truth[i], predicted[i]) for i in ids)
    rows = collections.Counter(truth[i] for i in ids)
    cols = collections.Counter(predicted[i] for i in ids)

    def comb(n: int) -> float:
        return n * (n - 1) / 2

    index = sum(comb(n) for n in table.values())
    sum_rows = sum(comb(n) for n in rows.values())
    sum_cols = sum(comb(n) for n in cols.values())
    expected = sum_rows * sum_cols / comb(len(ids))
    maximum = (sum_rows + sum_cols) / 2
    return (index - expected) / (maximum - expected) if maximum != expected else 1.0


# ---------------------------------------------------------------------------
# Near-duplicates: a labelled set built from Reuters by construction.

_TOPICS = re.compile(r"<REUTERS\b[^>]*NEWID=\"(\d+)\"[^>]*>.*?<TOPICS>(.*?)</TOPICS>", re.S)
OUTLETS = [
    (
        "THE MERIDIAN POST | World | Business | Markets",
        "(c) The Meridian Post. Reuse only with permission.",
    ),
    ("Harbour Daily - Business news", "Share this story: Facebook Twitter Email. Harbour Daily."),
    (
        "Continental Wire Services",
        "Reporting by staff; editing by the business desk. Continental Wire.",
    ),
    (
        "NORTHGATE OBSERVER Home > Economy",
        "Subscribe to the Northgate Observer newsletter for more.",
    ),
]
BOILERPLATE = [
    "Advertisement",
    "Read more: markets live coverage",
    "Click here to sign up for our morning briefing.",
    "Related: more stories from this section",
]


def reuters_topics(data_dir: Path) -> dict[str, list[str]]:
    """NEWID -> TOPICS codes, read from the SGML files."""
    topics: dict[str, list[str]] = {}
    for path in sorted((data_dir / "reuters21578").glob("reut2-*.sgm")):
        for match in _TOPICS.finditer(path.read_text(encoding="latin-1")):
            topics[f"reuters-{match.group(1)}"] = re.findall(r"<D>(.*?)</D>", match.group(2))
    return topics


def _edit_words(text: str, rate: float, rng: random.Random, vocabulary: Sequence[str]) -> str:
    words = text.split(" ")
    count = max(1, round(rate * len(words)))
    for _ in range(count):
        i = rng.randrange(len(words))
        op = rng.choice(("substitute", "delete", "insert"))
        if op == "substitute":
            words[i] = rng.choice(vocabulary)
        elif op == "delete" and len(words) > 1:
            del words[i]
        else:
            words.insert(i, rng.choice(vocabulary))
    return " ".join(words)


def make_variant(body: str, kind: str, rng: random.Random, vocabulary: Sequence[str]) -> str:
    """One constructed copy of ``body``: ``kind`` names the transformation(s), '+'-joined."""
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    for step in kind.split("+"):
        if step == "outlet":
            header, footer = rng.choice(OUTLETS)
            paragraphs = [header, *paragraphs, footer]
        elif step == "boilerplate":
            for line in rng.sample(BOILERPLATE, 2):
                paragraphs.insert(rng.randrange(len(paragraphs) + 1), line)
        elif step == "truncate":
            text = "\n\n".join(paragraphs)
            words = text.split(" ")
            keep = max(1, int(len(words) * rng.uniform(0.65, 0.9)))
            paragraphs = " ".join(words[:keep]).split("\n\n")
        elif step == "edit":
            rate = rng.uniform(0.01, 0.05)
            paragraphs = [_edit_words(p, rate, rng, vocabulary) for p in paragraphs]
        elif step == "reorder":
            rng.shuffle(paragraphs)
        else:
            raise ValueError(step)
    return "\n\n".join(paragraphs)


VARIANT_KINDS = [
    "outlet",
    "boilerplate",
    "truncate",
    "edit",
    "reorder",
    "outlet+edit",
    "outlet+truncate",
    "boilerplate+reorder+edit",
    "outlet+boilerplate+truncate+edit",
]


def _shingle_set(body: str) -> set[tuple[str, ...]]:
    words = duplicates.words(body)
    return {
        tuple(words[i : i + duplicates.SHINGLE]) for i in range(len(words) - duplicates.SHINGLE + 1)
    }


def build_dup_set(
    docs: list[Doc], topics: dict[str, list[str]], bases: int = 250
) -> list[tuple[str, str, str]]:
    """(id, body, true group) rows: ``bases`` stories with 2-4 copies each, and unrelated
    stories of the same topics (true groups of one). Originals are chosen so that no two
    of them share more than 20% of their shingles: Reuters' own resent copies stay out."""
    rng = random.Random(SEED)
    long_docs = [d for d in docs if len(d.body.split()) >= 80 and topics.get(d.id)]
    rng.shuffle(long_docs)
    by_topic: dict[str, list[Doc]] = collections.defaultdict(list)
    for doc in long_docs:
        by_topic[topics[doc.id][0]].append(doc)
    chosen: list[Doc] = []
    shingles: list[set[tuple[str, ...]]] = []

    def admit(doc: Doc) -> bool:
        own = _shingle_set(doc.body)
        for other in shingles:
            if len(own & other) / len(own | other) > 0.2:
                return False
        chosen.append(doc)
        shingles.append(own)
        return True

    base_docs: list[Doc] = []
    for doc in long_docs:
        if len(base_docs) >= bases:
            break
        if admit(doc):
            base_docs.append(doc)
    negatives: list[Doc] = []
    for base in base_docs:
        for doc in by_topic[topics[base.id][0]][:40]:
            if doc not in chosen and admit(doc):
                negatives.append(doc)
                break
    vocabulary = sorted({w for d in base_docs for w in d.body.split()})
    rows: list[tuple[str, str, str]] = []
    for base in base_docs:
        rows.append((base.id, base.body, base.id))
        for n, kind in enumerate(rng.sample(VARIANT_KINDS, rng.randint(2, 4))):
            rows.append(
                (f"{base.id}~{n}:{kind}", make_variant(base.body, kind, rng, vocabulary), base.id)
            )
    rows.extend((doc.id, doc.body, doc.id) for doc in negatives)
    rng.shuffle(rows)
    return rows


def datasketch_groups(
    rows: list[tuple[str, str, str]], threshold: float
) -> tuple[dict[str, Any], float]:
    """Group ``rows`` with datasketch's MinHash + MinHashLSH, by the same join rule as ours."""
    from datasketch import MinHash, MinHashLSH

    start = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=duplicates.NUM_PERM)
    hashes: dict[str, Any] = {}
    groups: dict[str, Any] = {}
    next_group = 0
    for row_id, body, _ in rows:
        words = duplicates.words(body)
        if len(words) < duplicates.MIN_WORDS:
            groups[row_id] = None
            continue
        m = MinHash(num_perm=duplicates.NUM_PERM, seed=SEED)
        m.update_batch(
            [
                " ".join(words[i : i + duplicates.SHINGLE]).encode()
                for i in range(len(words) - duplicates.SHINGLE + 1)
            ]
        )
        best, best_score = None, -1.0
        for other in lsh.query(m):
            score = m.jaccard(hashes[other])
            if score >= threshold and score > best_score:
                best, best_score = groups[other], score
        if best is None:
            next_group += 1
            best = next_group
        groups[row_id] = best
        hashes[row_id] = m
        lsh.insert(row_id, m)
    return groups, time.perf_counter() - start


def own_groups(
    rows: Iterable[tuple[str, str]], threshold: float
) -> tuple[dict[str, Any], float, float]:
    """Group (id, body) rows with searchkit.duplicates: (groups, sign seconds, group seconds)."""
    grouper = duplicates.DuplicateGrouper(threshold)
    groups: dict[str, Any] = {}
    sign = group = 0.0
    for row_id, body in rows:
        t0 = time.perf_counter()
        sig = duplicates.signature(body)
        t1 = time.perf_counter()
        groups[row_id] = grouper.add(row_id, sig)
        group += time.perf_counter() - t1
        sign += t1 - t0
    return groups, sign, group


def part_dups(docs: list[Doc], data_dir: Path) -> dict[str, Any]:
    rows = build_dup_set(docs, reuters_topics(data_dir))
    truth = {row_id: group for row_id, _, group in rows}
    result: dict[str, Any] = {"rows": len(rows), "true_groups": len(set(truth.values()))}
    sweep = {}
    for threshold in (0.4, 0.5, 0.6):
        groups, sign, group = own_groups(((r, b) for r, b, _ in rows), threshold)
        sweep[threshold] = pairwise(truth, groups)
        if threshold == duplicates.THRESHOLD:
            result["own"] = {
                **sweep[threshold],
                "sign_ms": 1000 * sign / len(rows),
                "group_ms": 1000 * group / len(rows),
            }
    result["own_threshold_sweep"] = {str(k): v["f1"] for k, v in sweep.items()}
    try:
        groups, seconds = datasketch_groups(rows, duplicates.THRESHOLD)
        result["datasketch"] = {
            **pairwise(truth, groups),
            "sign_and_group_ms": 1000 * seconds / len(rows),
        }
    except ImportError:
        result["datasketch"] = "not installed"
    by_kind: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    groups, _, _ = own_groups(((r, b) for r, b, _ in rows), duplicates.THRESHOLD)
    for row_id, _, base in rows:
        if "~" in row_id:
            kind = row_id.split(":", 1)[1]
            by_kind[kind][1] += 1
            by_kind[kind][0] += groups[row_id] == groups[base] and groups[base] is not None
    result["copies_found_by_kind"] = {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_kind.items())}
    return result


def part_identical(reuters: list[Doc], bbc_dir: Path) -> dict[str, Any]:
    """Each byte-identical set (BBC files; Reuters title+body) must be one duplicate group."""
    bbc_bytes: dict[bytes, list[str]] = collections.defaultdict(list)
    for path in sorted(bbc_dir.glob("*/*.txt")):
        bbc_bytes[path.read_bytes()].append(f"bbc-{path.parent.name}-{path.stem}")
    bbc = list(bbc_docs(bbc_dir.parent))
    all_docs = reuters + bbc
    groups, sign, group = own_groups(((d.id, d.body) for d in all_docs), duplicates.THRESHOLD)
    reuters_same: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    for doc in reuters:
        reuters_same[(doc.title, doc.body)].append(doc.id)
    result: dict[str, Any] = {
        "articles": len(all_docs),
        "sign_ms_per_article": 1000 * sign / len(all_docs),
        "group_ms_per_article": 1000 * group / len(all_docs),
        "no_signature": sum(1 for g in groups.values() if g is None),
    }
    for name, sets in (("bbc", bbc_bytes.values()), ("reuters", reuters_same.values())):
        multi = [ids for ids in sets if len(ids) > 1]
        found = sum(
            1 for ids in multi if groups[ids[0]] is not None and len({groups[i] for i in ids}) == 1
        )
        unsigned = sum(1 for ids in multi if groups[ids[0]] is None)
        result[name] = {
            "identical_groups": len(multi),
            "found": found,
            "too_short_to_sign": unsigned,
        }
    sizes = collections.Counter(g for g in groups.values() if g is not None)
    result["duplicate_groups_over_1"] = sum(1 for n in sizes.values() if n > 1)
    result["largest_group"] = max(sizes.values())
    result["_groups"] = groups
    return result


def part_scale(reuters: list[Doc], copies: int = 10_000) -> dict[str, Any]:
    """Cost of one group / one story of ``copies`` near-copies (one word changed in each)."""
    rng = random.Random(SEED)
    base = max(reuters[:2000], key=lambda d: len(d.body))
    words = base.body.split(" ")
    bodies = []
    for n in range(copies):
        edited = list(words)
        edited[rng.randrange(len(edited))] = f"w{n}"
        bodies.append(" ".join(edited))
    sigs = [duplicates.signature(body) for body in bodies]
    grouper = duplicates.DuplicateGrouper()
    start = time.perf_counter()
    groups = {grouper.add(f"c{n}", sig) for n, sig in enumerate(sigs)}
    dup_seconds = time.perf_counter() - start
    story_grouper = stories.StoryGrouper()
    start = time.perf_counter()
    story_ids = {
        story_grouper.add(f"c{n}", base.title, body, base.published)
        for n, body in enumerate(bodies)
    }
    story_seconds = time.perf_counter() - start
    return {
        "copies": copies,
        "duplicate_groups": len(groups),
        "duplicate_ms_per_copy": 1000 * dup_seconds / copies,
        "stories": len(story_ids),
        "story_ms_per_copy": 1000 * story_seconds / copies,
    }


# ---------------------------------------------------------------------------
# Stories.


def load_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            article_id, event = line.split("\t")
            labels[article_id] = event
    return labels


def tfidf_vectors(docs: list[Doc]) -> Any:
    """Row-normalised sparse TF-IDF (log tf, stopwords and once-only words dropped)."""
    import numpy as np
    import scipy.sparse as sp

    stop = stories._STOP
    tokens = [
        [w for w in re.findall(r"[a-z]{3,}", (d.title + " " + d.body).lower()) if w not in stop]
        for d in docs
    ]
    df = collections.Counter(w for t in tokens for w in set(t))
    vocab: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for i, words in enumerate(tokens):
        for word, n in collections.Counter(words).items():
            if df[word] < 2:
                continue
            rows.append(i)
            cols.append(vocab.setdefault(word, len(vocab)))
            vals.append((1 + math.log(n)) * math.log(len(docs) / df[word]))
    matrix = sp.csr_matrix((vals, (rows, cols)), shape=(len(docs), len(vocab)), dtype=np.float32)
    norms = np.sqrt(matrix.multiply(matrix).sum(axis=1)).A1
    norms[norms == 0] = 1
    return sp.diags(1 / norms) @ matrix


def single_link(docs: list[Doc], thresholds: Sequence[float]) -> dict[float, dict[str, int]]:
    """TF-IDF cosine + single-link clustering of all ``docs``, at each threshold."""
    matrix = tfidf_vectors(docs)
    low = min(thresholds)
    edges: list[tuple[float, int, int]] = []
    for start in range(0, len(docs), 1000):
        block = (matrix[start : start + 1000] @ matrix.T).tocoo()
        for i, j, v in zip(block.row, block.col, block.data, strict=True):
            if v >= low and start + i < j:
                edges.append((float(v), start + int(i), int(j)))
    edges.sort(reverse=True)
    result: dict[float, dict[str, int]] = {}
    parent = list(range(len(docs)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    k = 0
    for threshold in sorted(thresholds, reverse=True):
        while k < len(edges) and edges[k][0] >= threshold:
            _, a, b = edges[k]
            parent[find(a)] = find(b)
            k += 1
        result[threshold] = {d.id: find(i) for i, d in enumerate(docs)}
    return result


def run_stories(
    docs: list[Doc], dup_groups: dict[str, Any], **settings: float
) -> tuple[dict[str, int], float]:
    grouper = stories.StoryGrouper(**settings)  # type: ignore[arg-type]
    start = time.perf_counter()
    assigned = {
        d.id: grouper.add(d.id, d.title, d.body, d.published, dup_groups.get(d.id)) for d in docs
    }
    return assigned, time.perf_counter() - start


def part_stories(docs: list[Doc], dup_groups: dict[str, Any]) -> dict[str, Any]:
    labels = load_labels()
    missing = [i for i in labels if i not in {d.id for d in docs}]
    if missing:
        raise SystemExit(f"labelled ids not in the corpora: {missing[:5]}")
    result: dict[str, Any] = {
        "labelled_articles": len(labels),
        "events": len(set(labels.values())),
        "input_articles": len(docs),
    }
    assigned, seconds = run_stories(docs, dup_groups)
    sizes = collections.Counter(assigned.values())
    result["searchkit"] = {
        **pairwise(labels, assigned),
        "ms_per_article": 1000 * seconds / len(docs),
        "stories": len(sizes),
        "stories_over_1": sum(1 for n in sizes.values() if n > 1),
        "largest_story": max(sizes.values()),
    }
    sweep = {}
    for threshold in (0.2, 0.25, 0.3, 0.35):
        got, _ = run_stories(
            docs, dup_groups, threshold=threshold, undated_threshold=threshold + 0.05
        )
        sweep[str(threshold)] = round(pairwise(labels, got)["ari"], 4)
    result["searchkit_threshold_sweep_ari"] = sweep
    thresholds = [round(0.1 + 0.05 * i, 2) for i in range(16)]
    linked = single_link(docs, thresholds)
    scored = {t: pairwise(labels, linked[t]) for t in thresholds}
    best = max(thresholds, key=lambda t: scored[t]["ari"])
    result["tfidf_single_link"] = {**scored[best], "best_threshold": best}
    title_key = {d.id: " ".join(re.findall(r"\w+", d.title.lower())) for d in docs}
    result["exact_title"] = pairwise(labels, title_key)
    return result


# ---------------------------------------------------------------------------
# Did you mean.


def surface_words(text: str) -> Iterable[str]:
    """The words searchkit's analyzer indexes, as typed (folded, unstemmed)."""
    try:
        from searchkit.engine.analysis import NewsAnalyzer, fold_word  # type: ignore[import-not-found]
    except ImportError:
        from searchkit.analysis import NewsAnalyzer, fold_word
    analyzer = _ANALYZER.setdefault("a", NewsAnalyzer())
    for _, _, start, end in analyzer.terms(text, aliases=False):
        word = fold_word(text[start:end])
        if word.isalpha():
            yield word


_ANALYZER: dict[str, Any] = {}


def misspell(word: str, rng: random.Random) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    i = rng.randrange(len(word))
    op = rng.choice(("insert", "delete", "substitute", "transpose"))
    if op == "insert":
        return word[:i] + rng.choice(letters) + word[i:]
    if op == "delete":
        return word[:i] + word[i + 1 :]
    if op == "substitute":
        return word[:i] + rng.choice(letters.replace(word[i], "")) + word[i + 1 :]
    i = min(i, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def part_spelling(reuters: list[Doc], count: int = 600) -> dict[str, Any]:
    df: collections.Counter[str] = collections.Counter()
    for doc in reuters:
        df.update(set(surface_words(doc.title + "\n" + doc.body)))
    tracemalloc.start()
    start = time.perf_counter()
    speller = spelling.Speller(df)
    build = time.perf_counter() - start
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    rng = random.Random(SEED)
    queries = draw_queries(reuters, 2000, SEED)
    words = [w for q in queries for w in q.split() if len(w) >= 4 and w in df]
    tried = skipped_real = right = 0
    seconds = 0.0
    failures: list[str] = []
    for word in words:
        if tried >= count:
            break
        typo = misspell(word, rng)
        if df.get(typo, 0) > speller.max_rare_df:
            skipped_real += 1  # the typo is itself a common word: nothing to correct
            continue
        tried += 1
        t0 = time.perf_counter()
        got = speller.correct(typo)
        seconds += time.perf_counter() - t0
        right += got == word
        if got != word and len(failures) < 15:
            failures.append(f"{typo}->{got} (meant {word})")
    return {
        "vocabulary_words": len(df),
        "build_seconds": build,
        "memory_mb": memory / 2**20,
        "misspellings": tried,
        "typos_that_are_common_words_skipped": skipped_real,
        "top1_accuracy": right / tried,
        "ms_per_word": 1000 * seconds / tried,
        "sample_failures": failures,
    }


# ---------------------------------------------------------------------------


def _row(name: str, values: dict[str, Any], keys: Sequence[str]) -> str:
    cells = []
    for key in keys:
        value = values.get(key, "")
        cells.append(f"{value:.4f}" if isinstance(value, float) else str(value))
    return f"| {name} | " + " | ".join(cells) + " |"


def log(message: str) -> None:
    print(message, flush=True)


def report_dups(dups: dict[str, Any]) -> None:
    own, other = dups["own"], dups["datasketch"]
    log(
        f"\n## Near-duplicates: {dups['rows']} constructed bodies, "
        f"{dups['true_groups']} true groups"
    )
    keys = ("precision", "recall", "f1")
    log("| method | precision | recall | F1 | cost per body |\n|---|---|---|---|---|")
    cost = f"{own['sign_ms']:.3f} ms sign + {own['group_ms']:.3f} ms group"
    log(_row("searchkit MinHash (numpy)", own, keys) + f" {cost} |")
    if isinstance(other, dict):
        cost = f"{other['sign_and_group_ms']:.3f} ms sign + group"
        log(_row("datasketch MinHash + MinHashLSH", other, keys) + f" {cost} |")
    log(f"F1 by threshold: {dups['own_threshold_sweep']}")
    log(f"copies found by kind: {dups['copies_found_by_kind']}")
    met = own["f1"] >= TARGET_DUP_F1
    log(f"target F1 >= {TARGET_DUP_F1}: {'met' if met else 'MISSED'}")


def report_identical(ident: dict[str, Any]) -> None:
    log(f"\n## Byte-identical groups (all {ident['articles']} articles)")
    for name in ("bbc", "reuters"):
        got = ident[name]
        short = got["too_short_to_sign"]
        log(f"{name}: {got['found']}/{got['identical_groups']} found ({short} too short to sign)")
    log(
        f"signature {ident['sign_ms_per_article']:.3f} ms/article, "
        f"grouping {ident['group_ms_per_article']:.3f} ms/article; "
        f"{ident['duplicate_groups_over_1']} groups with copies, largest {ident['largest_group']}"
    )


def report_scale(sc: dict[str, Any]) -> None:
    log(f"\n## One group / one story of {sc['copies']} near-copies")
    dup_ms, story_ms = sc["duplicate_ms_per_copy"], sc["story_ms_per_copy"]
    log(f"duplicates: {sc['duplicate_groups']} group(s), {dup_ms:.3f} ms/copy")
    log(f"stories (no copy groups given): {sc['stories']} story(ies), {story_ms:.3f} ms/copy")


def report_stories(st: dict[str, Any]) -> None:
    log(
        f"\n## Stories: {st['labelled_articles']} labelled articles in {st['events']} events; "
        f"input {st['input_articles']} articles"
    )
    keys = ("precision", "recall", "f1", "ari")
    log("| method | precision | recall | F1 | ARI |\n|---|---|---|---|---|")
    ours, linked, title = st["searchkit"], st["tfidf_single_link"], st["exact_title"]
    log(_row("searchkit StoryGrouper", ours, keys))
    log(_row(f"TF-IDF cosine single-link (best t={linked['best_threshold']})", linked, keys))
    log(_row("exact title match", title, keys))
    log(
        f"grouping {ours['ms_per_article']:.3f} ms/article; {ours['stories']} stories, "
        f"{ours['stories_over_1']} with more than one article, largest {ours['largest_story']}"
    )
    log(f"ARI by threshold (undated +0.05): {st['searchkit_threshold_sweep_ari']}")
    met = ours["ari"] >= TARGET_ARI and ours["ari"] > max(linked["ari"], title["ari"])
    log(f"target ARI >= {TARGET_ARI} and ahead of both baselines: {'met' if met else 'MISSED'}")


def report_spelling(sp: dict[str, Any]) -> None:
    log(
        f"\n## Did you mean: {sp['misspellings']} one-edit misspellings of query words "
        f"(Reuters vocabulary, {sp['vocabulary_words']} words)"
    )
    log(f"top-1 accuracy {sp['top1_accuracy']:.4f}, {sp['ms_per_word']:.3f} ms/word")
    log(f"deletion map: built in {sp['build_seconds']:.2f} s, {sp['memory_mb']:.1f} MB")
    met = sp["top1_accuracy"] >= TARGET_SPELL
    log(f"target >= {TARGET_SPELL}: {'met' if met else 'MISSED'}")
    log(f"failures, e.g.: {sp['sample_failures'][:8]}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--parts", default="dups,identical,scale,stories,spelling")
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    out: dict[str, Any] = {"seed": SEED}
    reuters = list(reuters_docs(args.data))
    if "dups" in parts:
        out["near_duplicates"] = part_dups(reuters, args.data)
        report_dups(out["near_duplicates"])
    dup_groups: dict[str, Any] = {}
    if "identical" in parts or "stories" in parts:
        ident = part_identical(reuters, args.data / "bbc")
        dup_groups = ident.pop("_groups")
        out["identical"] = ident
        report_identical(ident)
    if "scale" in parts:
        out["scale"] = part_scale(reuters)
        report_scale(out["scale"])
    if "stories" in parts:
        docs = reuters + list(bbc_docs(args.data))
        out["stories"] = part_stories(docs, dup_groups)
        report_stories(out["stories"])
    if "spelling" in parts:
        out["spelling"] = part_spelling(reuters)
        report_spelling(out["spelling"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
