"""What a layout returns: the trainer's rows, the (query, positive) pairs they hold, and the pairs rejected."""

from dataclasses import dataclass, field

import polars as pl


@dataclass(frozen=True)
class Layout:
    rows: pl.DataFrame  # exactly the trainer's columns, in order (buckets: all splits, for counting only)
    pairs: pl.DataFrame  # query_id, doc_id: the (query, positive) pairs the rows hold, counted independently
    rejects: pl.DataFrame  # anchor, positive, reason, detail: pairs the rows do not hold
    # query, positive: list, negative: list per row, what `prep report` profiles: lazy, since the lists copy each cell's
    # text (200,000 n-tuple rows of four 1,000-byte documents: +575 MiB), and the layouts with `ids` never need them.
    view: pl.LazyFrame
    ids: pl.DataFrame | None = None  # anchor_id, text_ids per row, for conflict-free batches
    splits: dict[str, pl.DataFrame] | None = None  # buckets: one dataset per split
    filled: dict[str, int] = field(default_factory=dict)  # negatives added by the fill policy, by kind

    def reorder(self, order: list[int]) -> "Layout":
        """The rows in this order; rows left out are no longer held (n-tuple and triplet, which have `ids`)."""
        index = pl.Series(order, dtype=pl.UInt32)
        ids = self.ids[index]
        pairs = ids.select(query_id="anchor_id", doc_id=pl.col("text_ids").list.first()).unique(maintain_order=True)
        view = self.view.select(pl.all().gather(index))
        return Layout(self.rows[index], pairs, self.rejects, view, ids, self.splits, self.filled)

    def negative_cells(self) -> int:
        """The negatives the rows hold, padding included: from the ids where the layout keeps them (no text copied)."""
        if self.ids is not None:
            return int(self.ids["text_ids"].list.len().sum() or 0) - self.ids.height
        return int(self.view.select(pl.col("negative").list.len().sum()).collect().item() or 0)


VIEW_SCHEMA = {"query": pl.String, "positive": pl.List(pl.String), "negative": pl.List(pl.String)}


def as_list(*columns: str) -> pl.Expr:
    return pl.concat_list(columns) if columns else pl.lit([], pl.List(pl.String))


def no_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema={"anchor": pl.String, "positive": pl.String, "reason": pl.String, "detail": pl.String})
