"""Near-duplicates without an encoder: texts that differ only in case or accents, one text to an uncased encoder
(for `prep convert`, whose conflict-free blocks load no model, and for mining, which keeps one of them per row)."""

import numpy as np
import polars as pl

from pipeline.normalize import uncased
from pipeline.stages.dedupe import Links


def case_links(texts: pl.Series) -> Links:
    """Links between rows whose texts differ only in case or accents: one text to an uncased encoder (the default's
    tokenizer lowercases and strips accents, as BERT's uncased one). For the conflict-free blocks of `prep convert`,
    which loads no encoder; a cased one loses little by keeping them apart."""
    keys = texts.to_frame("text").select(key=uncased(pl.col("text"))).with_row_index("row")
    shared = keys.filter(pl.col("key").is_duplicated())
    pairs = (shared.join(shared, on="key", suffix="_other").filter(pl.col("row") != pl.col("row_other"))
             .sort("row", "row_other"))
    return Links(pairs["row"].cast(pl.Int64).to_numpy(), pairs["row_other"].cast(pl.Int64).to_numpy(), len(texts))


def case_copies(queries: pl.DataFrame, corpus: pl.DataFrame) -> pl.DataFrame:
    """(query_id, doc_id) where a document's text differs from a query's only in case or accents: a near-copy of
    it to an uncased encoder, as `case_links` finds near-duplicates."""
    query_keys = queries.select("query_id", key=uncased(pl.col("text")))
    doc_keys = corpus.select("doc_id", key=uncased(pl.col("text")))
    return (query_keys.join(doc_keys, on="key").filter(pl.col("query_id") != pl.col("doc_id"))
            .select("query_id", "doc_id").sort("query_id", "doc_id"))


def folding(tokenizer: object) -> tuple[bool, bool]:
    """Whether the tokenizer lowercases, and whether it also drops accents (BERT's uncased one, all-MiniLM-L6-v2's,
    does both): texts that differ only so are one input to the model. A transformers tokenizer or a `tokenizers` one
    (StaticEmbedding's)."""
    def ids(text: str) -> list[int]:
        encoded = tokenizer.encode(text)
        return getattr(encoded, "ids", encoded)

    folds = ids("Paris And Berlin") == ids("paris and berlin")
    return folds, folds and ids("café naïve") == ids("cafe naive")


def seen_as(texts: pl.Series, folds_case: bool, strips_accents: bool, slice_rows: int = 65_536) -> np.ndarray | None:
    """Per text, the row of the first text that an encoder folding case (and accents) sees as the same one; None
    where it folds nothing or no two texts meet (the corpus ids already join texts equal after normalisation).
    Keyed by a 64-bit hash of the folded text, a slice at a time: a corpus's folded copy is never held whole."""
    if not folds_case or texts.is_empty():
        return None
    keys = np.concatenate([texts.slice(start, slice_rows).to_frame("text")
                           .select(uncased(pl.col("text"), strips_accents).hash()).to_series().to_numpy()
                           for start in range(0, len(texts), slice_rows)])
    distinct, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return None if len(distinct) == len(keys) else first[inverse].astype(np.int64)
