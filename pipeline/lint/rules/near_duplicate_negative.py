"""near-duplicate-negative (--deep): a negative the encoder places within --threshold cosine of the row's positive."""

import numpy as np
import polars as pl

from pipeline.lint.deep import embed
from pipeline.lint.rule import WARNING, Finding, Rule
from pipeline.readers.files import ROW
from pipeline.wording import counted


class NearDuplicateNegative(Rule):
    id = "near-duplicate-negative"
    severity = WARNING
    description = "A negative that paraphrases the row's positive (encoder cosine >= --threshold): a false negative."
    fix = "`prep run DATA` re-checks given negatives against the positives and replaces such false negatives."
    deep = True

    def check(self, table, context) -> list[Finding]:
        texts = table.texts.filter(pl.col("id").is_not_null())
        positives = texts.filter(pl.col("role") == "positive").select(ROW, positive="id", positive_text="text")
        pairs = (texts.filter(pl.col("role") == "negative").join(positives, on=ROW)
                 .filter(pl.col("id") != pl.col("positive")))  # equal ids are positive-in-negatives
        if pairs.is_empty():
            return []
        negatives = embed(pairs.select("id", "text"), context, "document")
        positive_vectors = embed(pairs.select(id="positive", text="positive_text"), context, "document")
        cosine = np.einsum("ij,ij->i", negatives, positive_vectors)
        close = pairs.filter(pl.Series(cosine >= context.options.threshold))
        if close.is_empty():
            return []
        near = counted(close.unique([ROW, "id"]).height, "negative is", "negatives are")
        return [self.found(close["line"], f"{near} within cosine {context.options.threshold} of the row's positive")]
