"""Evaluation backends: ``numpy`` (columnar batches in this process) and ``sql`` (one
statement pushed down to the store's database). Both meet :mod:`winlang.backends.base`."""
