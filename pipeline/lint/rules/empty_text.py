"""empty-text: null, empty or whitespace-only texts (after Unicode normalisation), which the model trains on."""

import polars as pl

from pipeline.lint.rule import ERROR, Finding, Rule
from pipeline.lint.rules.padding_negative import PADDED_LAYOUTS
from pipeline.readers.files import ROW


class EmptyText(Rule):
    id = "empty-text"
    severity = ERROR
    description = "Null, empty or whitespace-only texts; ST fails on null and trains on empty ones."
    fix = "`prep run` / `prep convert` set such rows aside in rejects.parquet; or filter them out first."

    def check(self, table, context) -> list[Finding]:
        empty = pl.col("id").is_null()
        if table.layout in PADDED_LAYOUTS:  # an empty negative there is padding, reported by padding-negative
            empty = empty & ((pl.col("role") != "negative") | pl.col("text").is_null())
        flagged = table.texts.filter(empty)
        if flagged.is_empty():
            return []
        by_role = flagged.group_by("role", maintain_order=True).agg(pl.len(), nulls=pl.col("text").null_count())
        parts = [f"{role} {n:,}" + (f" ({nulls:,} null)" if nulls else "") for role, n, nulls in by_role.iter_rows()]
        return [self.found(flagged[ROW], "empty texts: " + ", ".join(parts))]
