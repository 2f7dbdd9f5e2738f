"""The lengths of an st or n-tuple table's label lists: ST's collator makes one tensor of a batch's labels
(`torch.tensor(labels)`), which fails on lists of different lengths even where each length is one the loss reads."""

import polars as pl

from pipeline.readers.files import ROW
from pipeline.wording import counted


def label_fits(table, context) -> pl.Expr | None:
    """Whether a row's label list has a length ST reads: 1 + K scores (or, for MarginMSELoss, K margins), K the
    negative columns, or the length of a list of negatives; for SoftmaxLoss's pairs, class probabilities of any
    length (num_labels is the model's, not the table's). None without a label list."""
    label, negatives = table.roles.label, table.roles.negatives
    if label is None or table.frame.schema.get(label) != pl.List(pl.Float64):
        return None
    if context.loss and context.loss.probabilities and not negatives:
        return pl.lit(True)
    listed = bool(negatives) and isinstance(table.frame.schema.get(negatives[0]), pl.List)
    k = pl.col(negatives[0]).list.len() if listed else pl.lit(len(negatives))
    length = pl.col(label).list.len()
    return (length == 1 + k) | (length == k) if context.loss and context.loss.margins else length == 1 + k


def mixed_lengths(table, context) -> tuple[pl.Series, str, str] | None:
    """Rows, message and fix for label lists that each fit, of different lengths, where the loss reads lists of two
    forms (MarginMSELoss) or of any length (SoftmaxLoss); None where they agree."""
    spec = context.loss
    if spec is None or not (spec.margins or spec.probabilities):
        return None
    fits = label_fits(table, context)
    mixed = minority_lengths(table.frame, table.roles.label, fits) if fits is not None else None
    if mixed is None:
        return None
    rows, held = mixed
    label = table.roles.label
    return (rows, f"{table.layout} layout: column '{label}' holds lists of {held}; ST's collator makes one tensor of "
            "a batch's labels and fails on lists of different lengths",
            "Give every row one probability per class, as many as SoftmaxLoss's num_labels, in one class order."
            if spec.probabilities else
            f"Give every row the same form: 1 + K scores [M(q, p), M(q, n_1), ...] or K margins [M(q, p) - M(q, n_1), "
            f"...]; scores become margins with `dataset.map(lambda row: {{'{label}': [row['{label}'][0] - s for s in "
            f"row['{label}'][1:]]}})` on those rows.")


def minority_lengths(frame: pl.DataFrame, label: str, fits: pl.Expr) -> tuple[pl.Series, str] | None:
    """The rows whose `label` list is not of the most common length among the lists that `fits` (a row that does
    not fit is the per-row check's), and each length with its rows ('3 numbers in 5 rows, 2 in 1 row'); None where
    they agree. A tie goes to the length of the earlier row, so that the later rows are named."""
    lengths = frame.filter(pl.col(label).is_not_null() & fits).select(ROW, length=pl.col(label).list.len())
    counts = lengths.group_by("length", maintain_order=True).len().sort("len", descending=True, maintain_order=True)
    if counts.height < 2:
        return None
    held = ", ".join(f"{length} in {counted(rows, 'row', 'rows')}" for length, rows in counts.iter_rows())
    return lengths.filter(pl.col("length") != counts["length"][0])[ROW], held.replace(" in ", " numbers in ", 1)


def class_probabilities(table, context) -> bool:
    """A labeled pair's label that holds lists of numbers, read by a loss that takes class probabilities (SoftmaxLoss):
    not the one float per row the model wants. Without such a loss a list label stays a type error."""
    spec = context.loss
    return (table.layout == "labeled-pair" and spec is not None and spec.probabilities
            and table.roles.label is not None and table.frame.schema.get(table.roles.label) == pl.List(pl.Float64))


def without_margin_lists(cases: pl.DataFrame, table) -> pl.DataFrame:
    """Rows whose label holds one margin per negative are what MarginMSELoss reads too, not 1 + K scores."""
    if not isinstance(table.frame.schema.get("label"), pl.List):
        return cases
    lengths = table.frame["label"].list.len()
    margins = pl.int_range(table.rows, eager=True).filter(lengths == len(table.roles.negatives))
    return cases.filter(~((pl.col("check") == "label holds 1 + K scores") & pl.col("index").is_in(margins)))

