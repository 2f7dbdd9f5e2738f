"""score-range: labels outside the range `--loss` expects (or not whole numbers where it wants classes)."""

import polars as pl

from pipeline.lint.fixes import convert_command
from pipeline.lint.layouts import st_inputs
from pipeline.lint.rule import ERROR, Finding, Rule
from pipeline.readers.files import ROW
from pipeline.wording import counted


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
        if listed and context.loss.probabilities:
            return self._probabilities(values, label, context) + self._whole_probabilities(table, label)
        if listed:
            values = values.explode("value")
        if values.schema["value"] != pl.Float64:
            return []  # not numbers: loss-incompatible reports it
        low, high = context.loss.label_range or (None, None)
        whole = context.loss.whole_labels
        flagged = values.filter(_outside(pl.col("value"), low, high, whole).fill_null(False))
        if flagged.is_empty():
            return []
        wanted = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
        whole = " whole numbers in" if whole else ""
        smallest, largest = values["value"].min(), values["value"].max()
        return [self.found(flagged[ROW].unique(), f"'{label}' values from {smallest} to {largest}; "
                           f"{context.options.loss} expects{whole} {wanted}",
                           fix=_list_fix(label, smallest) if listed else _fix(context, label, smallest, largest))]

    def _probabilities(self, values: pl.DataFrame, label: str, context) -> list[Finding]:
        """SoftmaxLoss's class probabilities: nn.CrossEntropyLoss takes them as soft targets, which ST documents as
        non-negative and summing to 1 per pair (rounded ones, within _SUM_TOLERANCE), for num_labels > 1."""
        if values.schema["value"] != pl.List(pl.Float64):
            return []
        sums = values.select(ROW, "value", total=pl.col("value").list.sum(), bad=pl.col("value").list.eval(
            _outside(pl.element(), 0, 1, False).fill_null(False)).list.any())
        # One class: with num_labels 1 the softmax is always 1 (nothing learnt); with more the shapes differ.
        flagged = sums.filter(pl.col("bad") | ((pl.col("total") - 1).abs() > _SUM_TOLERANCE)
                              | (pl.col("value").list.len() < 2))
        if flagged.is_empty():
            return []
        held = flagged["value"].explode()
        return [self.found(flagged[ROW], f"'{label}' lists in {counted(flagged.height, 'row', 'rows')} are no class "
                           f"probabilities (values from {held.min():g} to {held.max():g}, sums from "
                           f"{flagged['total'].min():g} to {flagged['total'].max():g}); {context.options.loss} reads a "
                           "list label as class probabilities: two or more, each in [0, 1], each row's summing to 1",
                           fix=f"Normalise each row: `dataset.map(lambda row: {{'{label}': [x / sum(row['{label}']) "
                               f"for x in row['{label}']]}})` (logits: softmax them instead), or give each row one "
                               "class index.")]


    def _whole_probabilities(self, table, label: str) -> list[Finding]:
        """One-hot lists of integers load as an int64 column: torch makes a Long tensor of them, which
        nn.CrossEntropyLoss refuses as probabilities ("Expected floating point type for target ..., got Long")."""
        declared = table.source.schema[label]
        if not (isinstance(declared, pl.List) and declared.inner.is_integer()):
            return []
        return [self.found([], f"'{label}' holds lists of whole numbers ({declared}): SoftmaxLoss's "
                           "nn.CrossEntropyLoss reads class probabilities only as floats and fails on them",
                           count=table.rows, fix=f"Store them as floats (`dataset.cast_column('{label}', "
                           "Sequence(Value('float32')))`), or give each row its class index.")]


# Probabilities rounded to two decimals (0.33, 0.33, 0.33) still read as ones.
_SUM_TOLERANCE = 0.015


def _outside(value: pl.Expr, low: float | None, high: float | None, whole: bool) -> pl.Expr:
    """Whether a label (or a list's element) is outside [low, high], or not a whole number where `whole`."""
    bad = pl.lit(False)
    if low is not None:
        bad = bad | (value < low)
    if high is not None:
        bad = bad | (value > high)
    if whole:
        bad = bad | (value % 1 != 0)
    return bad


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
