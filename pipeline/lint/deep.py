"""Embedding checks for `--deep`: encode distinct texts once per run and link near-duplicates.

Only deep rules call these; torch and FAISS load on first use, never for a plain `prep lint`.
"""

import numpy as np
import polars as pl

from pipeline.lint.context import LintContext
from pipeline.lint.table import LintTable


def embed(texts: pl.DataFrame, context: LintContext, role: str) -> np.ndarray:
    """Normalised vectors of `texts` (columns id, text), row-aligned, with the prompt of `role` (query or document)
    as prep run encodes them: the model's own, as ST's encode_query and encode_document pick them. Each distinct
    (prompt, id) is encoded once per run."""
    prompt = context.encoder.query_prompt if role == "query" else context.encoder.document_prompt
    known = context.embeddings.setdefault(prompt, {})
    missing = texts.filter(~pl.col("id").is_in(list(known))).unique("id", maintain_order=True)
    if missing.height:
        vectors = context.encoder.embed(missing.select("id", "text"), prompt)
        known.update(zip(missing["id"].to_list(), vectors, strict=True))
    if texts.is_empty():
        return np.zeros((0, 1), dtype=np.float32)
    return np.stack([known[text_id] for text_id in texts["id"].to_list()])


def distinct_texts(texts: pl.DataFrame) -> pl.DataFrame:
    """(id, text) once per id, sorted by id, from a frame of LintTable.texts."""
    return texts.filter(pl.col("id").is_not_null()).unique("id").sort("id").select("id", "text")


def query_links(table: LintTable, context: LintContext) -> tuple[pl.Series, object]:
    """The table's distinct query ids and the near-duplicate links between them (cosine >= --threshold)."""
    if "query_links" not in table.cache:
        from pipeline.config import MiningConfig
        from pipeline.stages.dedupe import link_similar
        from pipeline.stages.link_index import link_index

        queries = distinct_texts(table.texts.filter(pl.col("role") == "anchor"))
        vectors = embed(queries, context, "query")
        threshold = context.options.threshold
        links = link_similar(vectors, threshold, link_index(vectors, threshold, MiningConfig()))
        table.cache["query_links"] = (queries["id"], links)
    return table.cache["query_links"]
