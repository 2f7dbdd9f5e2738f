"""score-range: labels outside the range `--loss` expects (or not whole numbers where it wants classes)."""

import polars as pl

from pipeline.lint.fixes import convert_command
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
        listed = isinstance(values.schema["value"], pl.List)
        if listed:
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
        smallest, largest = values["value"].min(), values["value"].max()
        return [self.found(flagged[ROW].unique(), f"'{label}' values from {smallest} to {largest}; "
                           f"{context.options.loss} expects{whole} {wanted}",
                           fix=_list_fix(label, smallest) if listed else _fix(context, label, smallest, largest))]


def _list_fix(label: str, smallest: float) -> str | None:
    """Graded relevance below 0 (LambdaLoss's gain 2^label - 1 turns negative): shifted up, each label as far."""
    if smallest >= 0:
        return None
    return (f"Shift the labels so that the lowest is 0: `dataset.map(lambda row: {{'{label}': [x + {-smallest:g} for x "
            f"in row['{label}']]}})`, or pick a loss that reads any scale (ListNetLoss, ListMLELoss).")


def _fix(context, label: str, smallest: float, largest: float) -> str:
    """A rescale the user can run where the loss takes any number in a range; binary labels where it wants 0/1."""
    spec = context.loss
    if spec.whole_labels and spec.label_range == (0, 1):
        return (f"`{convert_command(context, 'labeled-pair')} --binary` writes 1 for every pair scored above 0 (a note "
                f"counts those below half the highest score), or set a threshold T yourself: `dataset.map(lambda "
                f"row: {{'{label}': int(row['{label}'] >= T)}})`.")
    if spec.whole_labels:
        return "Classes are whole numbers from 0: map each label to its class index, or pick a loss that reads scores."
    low = spec.label_range[0]
    if largest == smallest:
        return f"Every label is {largest:g}: give the pairs their own labels in the loss's range."
    if low is not None and low <= smallest < 1:
        scaled = f"row['{label}'] / {largest:g}"
    else:  # below the range, or a scale from 1 (grades 1-4): its lowest grade becomes the range's 0
        shift = f"- {smallest:g}" if smallest > 0 else f"+ {-smallest:g}"
        scaled = f"(row['{label}'] {shift}) / {largest - smallest:g}"
    return (f"Rescale the labels to the loss's range: `dataset.map(lambda row: {{'{label}': {scaled}}})` (a scale "
            "from 0 is divided by its top, 5 for STS; one from 1 is moved to 0 first), or pick a loss that fits them "
            "(CoSENTLoss and AnglELoss read any scale).")
