"""Which shard a document lives on: a stable hash of its id, so an update lands in place."""

from __future__ import annotations

import hashlib

ROUTING = "blake2b-64(id) mod shard_count"
"""The routing rule as the manifest records it; a reader refuses any other."""


def shard_of(doc_id: str, shard_count: int) -> int:
    """The shard number (0-based) of ``doc_id`` among ``shard_count`` shards.

    A keyed-free BLAKE2b of the id's UTF-8 bytes, read as a 64-bit integer:
    the same on every machine, process and Python version (unlike ``hash``),
    so re-indexing a document replaces it on the shard that holds it.
    """
    digest = hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shard_count
