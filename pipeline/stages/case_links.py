"""Near-duplicates without an encoder: texts that differ only in case or accents, one text to an uncased encoder
(for `prep convert`, whose conflict-free blocks load no model)."""

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
