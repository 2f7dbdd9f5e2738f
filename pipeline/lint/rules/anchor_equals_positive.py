"""anchor-equals-positive: a row whose positive is its own anchor (exactly, or after normalisation)."""

import polars as pl

from pipeline.lint.rule import ERROR, Finding, Rule, how_equal
from pipeline.readers.files import ROW


class AnchorEqualsPositive(Rule):
    id = "anchor-equals-positive"
    severity = ERROR
    description = "The positive is the anchor itself: the pair teaches nothing and skews the loss."
    fix = "Drop these rows, or give them a real positive."
    layouts = frozenset({"n-tuple", "buckets", "triplet", "flag", "st", "beir"})  # a scored pair may be identical

    def check(self, table, context) -> list[Finding]:
        texts, key = table.keyed(context.folds_case, context.strips_accents)
        texts = texts.filter(pl.col("id").is_not_null())
        anchors = texts.filter(pl.col("role") == "anchor").select(ROW, key, anchor_raw="raw", anchor_id="id")
        same = texts.filter(pl.col("role") == "positive").join(anchors, on=[ROW, key])
        if same.is_empty():
            return []
        exact = int((same["raw"] == same["anchor_raw"]).sum())
        case_only = int((same["id"] != same["anchor_id"]).sum())
        equal = how_equal(exact, same.height, case_only, context.token_counter.name if case_only else "",
                          context.strips_accents)
        return [self.found(same["line"], f"positive equals the anchor{equal}")]
