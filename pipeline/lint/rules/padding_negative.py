"""padding-negative: empty-string or repeated negatives in a row, used to pad it to K; trained on as real ones."""

import polars as pl

from pipeline.lint.rule import WARNING, Finding, Rule, how_equal
from pipeline.readers.files import ROW
from pipeline.wording import counted

PADDED_LAYOUTS = frozenset({"n-tuple", "buckets", "triplet", "flag", "st", "beir"})


class PaddingNegative(Rule):
    id = "padding-negative"
    severity = WARNING
    description = "Empty or repeated negatives within a row: the model trains on them as real negatives."
    fix = "`prep run DATA` fills short rows with mined negatives instead."
    layouts = PADDED_LAYOUTS

    def check(self, table, context) -> list[Finding]:
        negatives = table.texts.filter((pl.col("role") == "negative") & pl.col("text").is_not_null())
        empty = negatives.filter(pl.col("id").is_null())
        repeated = negatives.filter(pl.col("id").is_not_null() & ~pl.struct(ROW, "id").is_first_distinct())
        rows = pl.concat([empty["line"], repeated["line"]])
        if rows.is_empty():
            return []
        trainer = ("FlagEmbedding trains on them as real negatives, where a shorter neg list needs no padding (it "
                   "repeats a list shorter than train_group_size - 1 itself)" if table.layout == "flag" else
                   "ST trains on them as real negatives, where a null (a negative the row lacks) would stop it")
        equal = how_equal(_exact_repeats(negatives), repeated.height)  # " exactly", or ": 1 exactly, 2 after ..."
        parts = [counted(empty.height, "empty negative", "empty negatives"),
                 counted(repeated.height, "repeated negative", "repeated negatives") + " (same text as an earlier "
                 f"negative of the row{equal if equal.startswith(':') else ',' + equal})"]
        found = " and ".join(part for count, part in zip((empty.height, repeated.height), parts, strict=True) if count)
        return [self.found(rows, f"{found}; {trainer}")]


def _exact_repeats(negatives: pl.DataFrame) -> int:
    """Negatives whose raw text repeats an earlier negative of the row as it is (not only after normalisation)."""
    kept = negatives.filter(pl.col("id").is_not_null())
    return kept.height - kept.select(ROW, "raw").n_unique()
