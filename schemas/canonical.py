"""One pandera model per canonical table. Ids are xxhash64 of the normalised text (`pipeline.normalize`)."""

import pandera.polars as pa
import polars as pl


class _Texts(pa.DataFrameModel):
    """Shared rule of queries and corpus: text as the input gives it, not blank."""

    text: str = pa.Field(str_length={"min_value": 1})

    @pa.check("text", name="not_blank")
    def is_not_blank(cls, data: pa.PolarsData) -> pl.LazyFrame:
        # build_canonical leaves out the texts that normalise to nothing (invisible characters alone too): a check
        # as cheap as a strip, run on every read
        return data.lazyframe.select(pl.col(data.key).str.strip_chars() != "")

    class Config:
        strict = True
        coerce = False


class QueriesModel(_Texts):
    query_id: pl.UInt64 = pa.Field(unique=True)


class CorpusModel(_Texts):
    doc_id: pl.UInt64 = pa.Field(unique=True)


class _Links(pa.DataFrameModel):
    """Shared rule of positives and negatives: one row per (query, document) pair."""

    query_id: pl.UInt64
    doc_id: pl.UInt64
    score: pl.Float64 = pa.Field(nullable=True)

    @pa.dataframe_check(name="one_row_per_query_doc")
    def unique_pairs(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.struct("query_id", "doc_id").n_unique() == pl.len())

    class Config:
        strict = True


class PositivesModel(_Links):
    row: pl.UInt32 = pa.Field(nullable=True)  # the first input row that holds the pair, for the rejects


class NegativesModel(_Links):
    rank: pl.UInt32 = pa.Field(nullable=True, ge=1)
    source: str = pa.Field(isin=["input", "qrels", "mined"])
    row: pl.UInt32 = pa.Field(nullable=True)  # the first input row that holds the pair
