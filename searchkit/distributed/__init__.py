"""Sharded indexes: N ordinary searchkit indexes under one manifest, built and searched together.

``manifest`` says which shard folders make up the whole index (and which
build generation is complete); ``routing`` puts a document on its shard by a
stable hash of its id; ``build`` writes a new generation of every shard on a
Dask cluster and commits it all at once; ``coordinator`` searches the shards
with global statistics, so results and scores equal those of one index.

Only ``build`` with a cluster and ``executors.DaskShards`` import Dask (the
``distributed`` extra); searching a sharded index in-process needs nothing
beyond searchkit itself.
"""
