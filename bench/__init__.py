"""Benchmark: quality and speed of the assistant next to the LangChain tutorial RAG pipeline.

``python -m bench`` (or ``make bench``) writes ``bench/results/latest.{md,json}`` and PNG plots.
"""
