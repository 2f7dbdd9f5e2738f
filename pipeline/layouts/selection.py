"""What every layout is built from: per query, the chosen positives and negatives by id, with their scores.

Texts are joined back by id only when a layout is laid out. A fixed-width layout (n-tuple, flag) needs K negatives
per query; `fill_negatives` completes the queries short of K as the fill policy says.
"""

from dataclasses import dataclass, field, replace

import polars as pl

from pipeline.canonical import Canonical
from pipeline.instructions import chosen_instructions

NEGATIVE_SCHEMA = {"query_id": pl.UInt64, "doc_id": pl.UInt64, "score": pl.Float64, "rank": pl.UInt32,
                   "source": pl.String}


@dataclass(frozen=True)
class Selection:
    queries: pl.DataFrame  # query_id, text
    corpus: pl.DataFrame  # doc_id, text
    positives: pl.DataFrame  # query_id, doc_id, score: the chosen (query, positive) pairs, in input order
    negatives: pl.DataFrame  # query_id, doc_id (null: padding), score, rank (1-based, per query), source
    k: int  # negatives per row in the fixed-width layouts
    # query_id and FlagEmbedding's prompt and/or type (null where a query lacks one), for the fields any query has
    instructions: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema={"query_id": pl.UInt64}))

    @classmethod
    def of(cls, canon: Canonical, positives: pl.DataFrame, negatives: pl.DataFrame, k: int) -> "Selection":
        return cls(canon.queries, canon.corpus, positives.select("query_id", "doc_id", "score"),
                   negatives.select(list(NEGATIVE_SCHEMA)).cast(NEGATIVE_SCHEMA), k,
                   chosen_instructions(canon.instructions, positives))

    def pairs(self) -> pl.DataFrame:
        """query_id, doc_id, anchor, positive, score: one row per chosen (query, positive)."""
        return (self.positives.join(self.queries.rename({"text": "anchor"}), on="query_id", maintain_order="left")
                .join(self.corpus.rename({"text": "positive"}), on="doc_id", maintain_order="left"))

    def negative_texts(self) -> pl.DataFrame:
        """The negatives with their `text` (padding is the empty string), sorted by query and rank."""
        return (self.negatives.join(self.corpus, on="doc_id", how="left", maintain_order="left")
                .with_columns(pl.col("text").fill_null("")).sort("query_id", "rank"))

    def counts(self) -> pl.DataFrame:
        """query_id, negatives: how many negatives each query with a positive has (0 included)."""
        found = self.negatives.group_by("query_id").agg(negatives=pl.len().cast(pl.UInt32))
        return (self.positives.select("query_id").unique(maintain_order=True)
                .join(found, on="query_id", how="left", maintain_order="left").with_columns(pl.col("negatives")
                                                                                            .fill_null(0)))

    def missing_scores(self) -> int:
        return int(self.positives["score"].null_count() + self.negatives.filter(pl.col("doc_id").is_not_null())
                   ["score"].null_count())


def fill_negatives(selection: Selection, fill: str, seed: int, keep_all: bool = False) -> Selection:
    """Each query's first K negatives (with `keep_all`, all of them). A query short of K stays short under 'mine'
    (mining already filled what it could) and 'drop'; 'repeat' adds copies of its own negatives, as FlagEmbedding
    does when a row has fewer than train_group_size - 1 (but every negative is kept once before any repeats);
    'pad' adds empty texts."""
    k = selection.k
    negatives = selection.negatives if keep_all else selection.negatives.filter(pl.col("rank") <= k)
    if fill in ("mine", "drop"):
        return replace(selection, negatives=negatives)
    short = selection.counts().filter(pl.col("negatives").is_between(1 if fill == "repeat" else 0, k - 1))
    if fill == "repeat":
        copies = (negatives.join(short, on="query_id")
                  .with_columns(copy=pl.int_ranges(1, (k + pl.col("negatives") - 1) // pl.col("negatives")))
                  .explode("copy").drop_nulls("copy")
                  .with_columns(draw=pl.struct("query_id", "doc_id", "copy").hash(seed))
                  .sort("query_id", "draw")
                  .with_columns(rank=(pl.col("negatives") + pl.int_range(1, pl.len() + 1).over("query_id"))
                                .cast(pl.UInt32), source=pl.lit("repeated"))
                  .filter(pl.col("rank") <= k))
    else:
        copies = (short.with_columns(rank=pl.int_ranges(pl.col("negatives") + 1, k + 1, dtype=pl.UInt32))
                  .explode("rank").drop_nulls("rank")
                  .with_columns(doc_id=pl.lit(None, pl.UInt64), score=pl.lit(None, pl.Float64),
                                source=pl.lit("padding")))
    filled = pl.concat([negatives, copies.select(list(NEGATIVE_SCHEMA)).cast(NEGATIVE_SCHEMA)])
    return replace(selection, negatives=filled.sort("query_id", "rank"))


def short_rejects(pairs: pl.DataFrame, counts: pl.DataFrame, k: int, reason: str) -> pl.DataFrame:
    """anchor, positive, reason, detail for the pairs of queries with fewer than `k` negatives."""
    return (pairs.join(counts.filter(pl.col("negatives") < k), on="query_id", maintain_order="left")
            .select("anchor", "positive", reason=pl.lit(reason),
                    detail=pl.format("{} of {} negatives", "negatives", pl.lit(k))))
