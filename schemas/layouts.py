"""One pandera model per training layout (what `prep convert` writes and the trainers read), for `prep lint`.

Only structure is checked here: columns, their types, and the invariants between columns. Empty, null or
duplicated texts are content, which the lint rules report with their own ids and fixes, so text columns are
nullable. Numbers arrive as Float64 and number lists as List(Float64) (`pipeline.lint.load` casts them).
"""

from typing import Optional

import pandera.polars as pa
import polars as pl

TEXTS = pl.List(pl.String)
NUMBERS = pl.List(pl.Float64)
# Checks of the whole table, not of its rows: one scalar result, which pandera reports as a failure of the first row.
TABLE_CHECKS = frozenset({"a score or label column", "a negative_1..negative_K column"})


def _lengths_match(data: pa.PolarsData, texts: str, numbers: str) -> pl.LazyFrame:
    """Rows whose `numbers` list is as long as their `texts` list (or null); True when a column is missing or
    not a list, because that is reported once by the column check, not once per row."""
    schema = data.lazyframe.collect_schema()
    if not all(isinstance(schema.get(name), pl.List) for name in (texts, numbers)):
        return data.lazyframe.select(pl.lit(True))
    return data.lazyframe.select(pl.col(numbers).is_null() | (pl.col(numbers).list.len() == pl.col(texts).list.len()))


class _Layout(pa.DataFrameModel):
    """Shared by every layout: other columns are allowed here (the lint rules say what they do)."""

    class Config:
        strict = False
        coerce = False


class _AnchorPositive(_Layout):
    anchor: str = pa.Field(nullable=True)
    positive: str = pa.Field(nullable=True)


class TripletModel(_AnchorPositive):
    """anchor, positive, negative: MNRL, CachedMNRL, GISTEmbedLoss, TripletLoss."""

    negative: str = pa.Field(nullable=True)

    @pa.dataframe_check(name="label holds 1 + K scores")
    def label_length(cls, data: pa.PolarsData) -> pl.LazyFrame:
        # A label list scores [positive, negative], as in an n-tuple (K = 1); one number is MarginMSELoss's margin.
        if not isinstance(data.lazyframe.collect_schema().get("label"), pl.List):
            return data.lazyframe.select(pl.lit(True))
        return data.lazyframe.select(pl.col("label").list.len() == 2)


class NTupleModel(_AnchorPositive):
    """anchor, positive, negative_1..negative_K; `label` holds teacher scores [positive, negative_1..K]."""

    # Optional, and required by the table check below: pandera's own report of a regex that matches no column
    # holds the list of column names, which fails to stack with any other failure case.
    negative: Optional[str] = pa.Field(alias=r"^negative_\d+$", regex=True, nullable=True)  # noqa: UP045
    label: Optional[NUMBERS]  # noqa: UP045 (pandera reads Optional to mean "column may be absent")

    @pa.dataframe_check(name="a negative_1..negative_K column")
    def has_negatives(cls, data: pa.PolarsData) -> pl.LazyFrame:
        names = data.lazyframe.collect_schema().names()
        return data.lazyframe.select(pl.lit(any(name.startswith("negative_") and name[9:].isdigit() for name in names)))

    @pa.dataframe_check(name="label holds 1 + K scores")
    def label_length(cls, data: pa.PolarsData) -> pl.LazyFrame:
        schema = data.lazyframe.collect_schema()
        negatives = [name for name in schema.names() if name.startswith("negative_") and name[9:].isdigit()]
        # No label list (missing, or a number the column check reports once), or no negatives, which has_negatives
        # reports once: every row's label would fail for that one cause.
        if not negatives or not isinstance(schema.get("label"), pl.List):
            return data.lazyframe.select(pl.lit(True))
        return data.lazyframe.select(pl.col("label").list.len() == 1 + len(negatives))


class LabeledPairModel(_Layout):
    """sentence1, sentence2 and a score (float) or label (int 0/1): AnglE, CoSENT, CosineSimilarity, Contrastive."""

    sentence1: str = pa.Field(nullable=True)
    sentence2: str = pa.Field(nullable=True)
    score: Optional[float]  # noqa: UP045
    label: Optional[float]  # noqa: UP045

    @pa.dataframe_check(name="a score or label column")
    def has_label(cls, data: pa.PolarsData) -> pl.LazyFrame:
        names = data.lazyframe.collect_schema().names()
        return data.lazyframe.select(pl.lit(any(name in names for name in ("score", "label", "scores", "labels"))))


class LabeledListModel(_Layout):
    """query, docs: list[str], labels: list[float] of the same length: CrossEncoder listwise losses."""

    query: str = pa.Field(nullable=True)
    docs: TEXTS
    labels: NUMBERS

    @pa.dataframe_check(name="labels as long as docs")
    def same_length(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return _lengths_match(data, "docs", "labels")


class FlagModel(_Layout):
    """FlagEmbedding JSONL: query, pos: list[str], neg: list[str], optional pos_scores / neg_scores."""

    query: str = pa.Field(nullable=True)
    pos: TEXTS
    neg: Optional[TEXTS]  # noqa: UP045
    pos_scores: Optional[NUMBERS]  # noqa: UP045
    neg_scores: Optional[NUMBERS]  # noqa: UP045

    @pa.dataframe_check(name="at least one positive")
    def has_positive(cls, data: pa.PolarsData) -> pl.LazyFrame:
        if data.lazyframe.collect_schema().get("pos") != TEXTS:
            return data.lazyframe.select(pl.lit(True))
        return data.lazyframe.select(pl.col("pos").list.len().fill_null(0) > 0)

    @pa.dataframe_check(name="pos_scores as long as pos")
    def pos_scores_length(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return _lengths_match(data, "pos", "pos_scores")

    @pa.dataframe_check(name="neg_scores as long as neg")
    def neg_scores_length(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return _lengths_match(data, "neg", "neg_scores")


MODELS: dict[str, type[_Layout]] = {
    "n-tuple": NTupleModel,
    "buckets": NTupleModel,  # every split of a buckets DatasetDict is an n-tuple dataset
    "triplet": TripletModel,
    "labeled-pair": LabeledPairModel,
    "labeled-list": LabeledListModel,
    "flag": FlagModel,
}
