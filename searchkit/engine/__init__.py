"""The search engine under searchkit: the only package that imports Whoosh.

One job per module:

- ``storage``: the index folder, its metadata file, opening and creating the index;
- ``durable``, ``unpickling``: commits that survive a power cut, pickles that run no code;
- ``damage``: which read errors mean a damaged index (IndexCorruptError);
- ``schema``: the fields, and the one Article-to-document codec;
- ``analysis``: the text analyzer (tokens, aliases, stems);
- ``columns``: per-document column values across segments;
- ``parser``, ``query_tree``, ``expansions``, ``wildcards``: from query text to a bounded
  query tree;
- ``ranking``: BM25F and feedback over Whoosh's matchers;
- ``reading``: every read a search makes (``IndexReader``, ``ReadSession.rank``);
- ``facets``: facet counts and date histograms over a query's matches;
- ``document_arrays``: the per-segment arrays read from stored fields (author codes, typed words);
- ``writer``: the writers and worker processes behind an Indexer transaction.

Above it sit ingest, query-text clean-up (``searchkit.query``), the ``Indexer``
transaction API (``searchkit.indexer``), the folder sync (``searchkit.sync``), the ``Searcher``
pipeline and the CLI; tests/test_engine_boundary.py keeps Whoosh out of them.
"""
