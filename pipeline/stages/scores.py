"""Scores for the selection's pairs: the encoder's cosine, or a cross-encoder teacher's (for --scores)."""

from dataclasses import replace

import numpy as np
import polars as pl

from pipeline.canonical import Canonical
from pipeline.layouts.selection import Selection
from pipeline.stages.load_model import load_model


def cosine_of_pairs(canon: Canonical, pairs: pl.DataFrame, query_vectors: np.ndarray,
                    doc_vectors: np.ndarray, chunk: int = 65_536) -> pl.Series:
    """cosine(query, doc) per row of `pairs` (query_id, doc_id); the vectors are row-aligned with canon's tables.
    Computed `chunk` pairs at a time."""
    rows = (pairs.select("query_id", "doc_id")
            .join(canon.queries.select("query_id", q=pl.int_range(pl.len())), on="query_id", maintain_order="left")
            .join(canon.corpus.select("doc_id", d=pl.int_range(pl.len())), on="doc_id", maintain_order="left"))
    queries, docs = rows["q"].to_numpy(), rows["d"].to_numpy()
    scores = np.zeros(len(rows), np.float64)
    for start in range(0, len(rows), chunk):  # gathered whole, the vectors of 1M pairs would be 2 x 244 MiB at 64-d
        part = slice(start, start + chunk)
        scores[part] = np.einsum("ij,ij->i", query_vectors[queries[part]], doc_vectors[docs[part]])
    return pl.Series("score", scores)


def teacher_scores(selection: Selection, model: str, option: str = "--teacher", batch_size: int = 32) -> Selection:
    """Every positive and (non-padding) negative scored by the CrossEncoder `model` on (query, text). `option` is
    what a model that does not load is blamed on (load_model)."""
    from sentence_transformers import CrossEncoder

    teacher = load_model(CrossEncoder, model, option)

    def scored(frame: pl.DataFrame) -> pl.DataFrame:
        texts = (frame.join(selection.queries.rename({"text": "query"}), on="query_id", maintain_order="left")
                 .join(selection.corpus, on="doc_id", how="left", maintain_order="left"))
        real = texts["doc_id"].is_not_null()
        pairs = list(zip(texts.filter(real)["query"], texts.filter(real)["text"], strict=True))
        values = teacher.predict(pairs, batch_size=batch_size, show_progress_bar=False) if pairs else []
        score = np.full(frame.height, np.nan)
        score[real.to_numpy()] = np.asarray(values, dtype=np.float64)
        return frame.with_columns(score=pl.Series(score).fill_nan(None))

    return replace(selection, positives=scored(selection.positives), negatives=scored(selection.negatives))
