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
        texts, key = table.keyed(context.folds_case, context.strips_accents)  # "Dune" and "dune" are one to MiniLM
        negatives = texts.filter((pl.col("role") == "negative") & pl.col("text").is_not_null())
        empty = negatives.filter(pl.col("id").is_null())
        # Repeats an earlier negative of the row: as the encoder sees it (`key`), after normalisation, exactly.
        repeated = negatives.filter(pl.col("id").is_not_null()).select(
            "line", **{f"again_{name}": ~pl.struct(ROW, name).is_first_distinct() for name in (key, "id", "raw")}
        ).filter(f"again_{key}")
        rows = pl.concat([empty["line"], repeated["line"]])
        if rows.is_empty():
            return []
        trainer = ("FlagEmbedding trains on them as real negatives, where a shorter neg list needs no padding (it "
                   "repeats a list shorter than train_group_size - 1 itself)" if table.layout == "flag" else
                   "ST trains on them as real negatives, where a null (a negative the row lacks) would stop it")
        case_only = int((~repeated["again_id"]).sum())
        equal = how_equal(int(repeated["again_raw"].sum()), repeated.height, case_only,
                          context.token_counter.name if case_only else "", context.strips_accents)
        parts = [counted(empty.height, "empty negative", "empty negatives"),
                 counted(repeated.height, "repeated negative", "repeated negatives") + " (same text as an earlier "
                 f"negative of the row{equal if equal.startswith(':') else ',' + equal})"]
        found = " and ".join(part for count, part in zip((empty.height, repeated.height), parts, strict=True) if count)
        return [self.found(rows, f"{found}; {trainer}")]
