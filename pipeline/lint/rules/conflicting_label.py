"""conflicting-label: a (query, text) pair that one row labels a positive and another a negative."""

import polars as pl

from pipeline.lint.rule import ERROR, Finding, Rule
from pipeline.readers.files import ROW
from pipeline.wording import counted


class ConflictingLabel(Rule):
    id = "conflicting-label"
    severity = ERROR
    description = ("A (query, text) pair is a positive in one row and a negative in another (a pair scored above 0 "
                   "and again at 0): the labels contradict each other.")
    fix = ("Keep the right label and drop the other row; prep run and prep convert keep such a pair as a positive "
           "and count the negative in the manifest (negatives.dropped_as_positive_of_the_same_query).")

    def check(self, table, context) -> list[Finding]:
        texts, key = table.keyed(context.folds_case, context.strips_accents)
        texts = texts.filter(pl.col("id").is_not_null())
        anchors = texts.filter(pl.col("role") == "anchor").select(ROW, anchor=key)
        pairs = texts.filter(pl.col("role") != "anchor").join(anchors, on=ROW).select(ROW, "line", "role", "anchor",
                                                                                        key)
        positives = pairs.filter(pl.col("role") == "positive")
        # within one row it is positive-in-negatives' finding
        clash = (pairs.filter(pl.col("role") == "negative")
                 .join(positives.select(ROW, "anchor", key), on=[ROW, "anchor", key], how="anti")
                 .join(positives.select("anchor", key).unique(), on=["anchor", key], how="semi"))
        if clash.is_empty():
            return []
        return [self.found(clash["line"], f"{counted(clash.height, 'negative is', 'negatives are')} a positive of "
                           "the same query in another row")]
