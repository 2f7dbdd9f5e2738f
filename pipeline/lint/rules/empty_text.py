"""empty-text: null, empty or whitespace-only texts (after Unicode normalisation), which the model trains on."""

import polars as pl

from pipeline.lint.fixes import fixed_k_fix
from pipeline.lint.rule import ERROR, Finding, Rule
from pipeline.lint.rules.padding_negative import PADDED_LAYOUTS


class EmptyText(Rule):
    id = "empty-text"
    severity = ERROR
    description = "Null, empty or whitespace-only texts; ST fails on null and trains on empty ones."
    fix = ("`prep run` / `prep convert` leave empty texts out, counted in the manifest (stages.read.empty_texts; a "
           "row left without its query or any positive goes to rejects.parquet), and stop at a null anchor or "
           "positive; or filter them out first.")

    def check(self, table, context) -> list[Finding]:
        empty = pl.col("id").is_null()
        if table.layout in PADDED_LAYOUTS:  # an empty negative there is padding, reported by padding-negative
            empty = empty & ((pl.col("role") != "negative") | pl.col("text").is_null())
        flagged = table.texts.filter(empty)
        # A null in a negative_k (or single negative) text column is how pandas writes a row with fewer
        # negatives (and a CSV empty cell loads as one): prep reads it so, while ST's collator fails on it. An
        # empty string is no such gap: ST trains on it, which padding-negative reports.
        text_columns = [name for name in table.roles.negatives if table.frame.schema.get(name) == pl.String]
        missing = pl.col("text").is_null() & (pl.col("role") == "negative") & pl.col("column").is_in(text_columns)
        return [*self._empty(flagged.filter(~missing)), *self._missing(flagged.filter(missing), table, context)]

    def _empty(self, flagged: pl.DataFrame) -> list[Finding]:
        if flagged.is_empty():
            return []
        by_role = flagged.group_by("role", maintain_order=True).agg(pl.len(), nulls=pl.col("text").null_count())
        parts = [f"{role} {n:,}" + (f" ({nulls:,} null)" if nulls else "") for role, n, nulls in by_role.iter_rows()]
        return [self.found(flagged["line"], "empty texts: " + ", ".join(parts))]

    def _missing(self, flagged: pl.DataFrame, table, context) -> list[Finding]:
        if flagged.is_empty():
            return []
        by_column = flagged.group_by("column", maintain_order=True).len()
        parts = [f"{column} {n:,}" for column, n in by_column.iter_rows()]
        return [self.found(flagged["line"], "null negatives (negatives the row lacks; a CSV empty cell loads as null), "
                           "which ST's collator fails on: " + ", ".join(parts),
                           fix=f"prep reads a null negative as one the row lacks: {fixed_k_fix(table, context)}.")]
