"""score-range: labels outside the range `--loss` expects (or not whole numbers where it wants classes)."""

import polars as pl

from pipeline.lint.layouts import st_inputs
from pipeline.lint.rule import ERROR, Finding, Rule
from pipeline.readers.files import ROW


class ScoreRange(Rule):
    id = "score-range"
    severity = ERROR
    description = "Labels outside the range --loss expects, e.g. STS scores 0-5 for CosineSimilarityLoss (-1..1)."
    fix = "Rescale the labels to the loss's range (STS 0-5 scores: divide by 5), or pick the loss that fits them."

    def applies(self, table, context) -> bool:
        spec = context.loss
        return spec is not None and (spec.label_range is not None or spec.whole_labels)

    def check(self, table, context) -> list[Finding]:
        _, label = st_inputs(table.source.schema)
        if label is None or label not in table.frame.columns:
            return []
        values = table.frame.select(ROW, value=pl.col(label))
        if isinstance(values.schema["value"], pl.List):
            values = values.explode("value")
        if values.schema["value"] != pl.Float64:
            return []  # not numbers: loss-incompatible reports it
        low, high = context.loss.label_range or (None, None)
        bad = pl.lit(False)
        if low is not None:
            bad = bad | (pl.col("value") < low)
        if high is not None:
            bad = bad | (pl.col("value") > high)
        if context.loss.whole_labels:
            bad = bad | (pl.col("value") % 1 != 0)
        flagged = values.filter(bad.fill_null(False))
        if flagged.is_empty():
            return []
        wanted = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
        whole = " whole numbers in" if context.loss.whole_labels else ""
        return [self.found(flagged[ROW].unique(), f"'{label}' values from {values['value'].min()} to "
                           f"{values['value'].max()}; {context.options.loss} expects{whole} {wanted}")]
