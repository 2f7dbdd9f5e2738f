"""loss-incompatible: the columns and label that the trainer will feed do not fit the inputs of `--loss`."""

import polars as pl

from pipeline.lint.column_types import empty_lists
from pipeline.lint.fixes import convert_command, fixed_k_fix
from pipeline.lint.layouts import st_inputs
from pipeline.lint.losses import BOOL, CLASS, NONE, NUMBER, NUMBERS, Form, LossSpec
from pipeline.lint.rule import ERROR, Finding, Rule


def label_kind(dtype: pl.DataType | None, values: pl.Series | None = None) -> str:
    """What the label column holds, by its declared type, unless its lists are all empty: then no type fits."""
    if dtype is None:
        return NONE
    if values is not None and (empty := empty_lists(values)):
        return empty
    if isinstance(dtype, pl.List):
        return NUMBERS if dtype.inner.is_numeric() else "a list of texts"
    if dtype == pl.Boolean:
        return BOOL
    if dtype.is_integer():
        return CLASS
    return NUMBER if dtype.is_numeric() else f"{dtype} values"


def fits(form: Form, inputs: list[str], schema: pl.Schema, label: str, bool_labels: bool = False) -> bool:
    low, high = form.texts
    if not low <= len(inputs) <= (high or len(inputs)):
        return False
    shapes = [schema[name] for name in inputs]
    if form.listwise:
        texts_ok = shapes[0] == pl.String and shapes[1] == pl.List(pl.String)
    else:
        texts_ok = all(shape == pl.String for shape in shapes)
    # An integer label is a number too; only classes must be integers.
    label_ok = label == form.label or (form.label == NUMBER and (label == CLASS or (label == BOOL and bool_labels)))
    return texts_ok and label_ok


class LossIncompatible(Rule):
    id = "loss-incompatible"
    severity = ERROR
    description = "The input columns and label do not match what --loss reads."
    fix = "`prep convert DATA --to LAYOUT` writes the layout the loss reads."

    def applies(self, table, context) -> bool:
        return context.loss is not None and table.layout != "beir"

    def check(self, table, context) -> list[Finding]:
        spec, schema = context.loss, table.source.schema
        inputs, label_column = st_inputs(schema)
        values = table.frame.get_column(label_column, default=None) if label_column else None
        label = label_kind(schema.get(label_column), values)
        if any(fits(form, inputs, schema, label, spec.bool_labels) for form in spec.forms):
            return []
        shapes = ", ".join(f"{name}: {'list' if isinstance(schema[name], pl.List) else schema[name]}"
                           for name in inputs)
        given = f"label '{label_column}' ({label})" if label_column else "no label"
        reads = " or ".join(form.describe() for form in spec.forms)
        return [self.found([], f"{context.options.loss} reads {reads}; this table feeds {len(inputs)} columns "
                           f"({shapes}) and {given}", count=table.rows,
                           fix=_fix(spec, table, context, label in (NUMBER, CLASS, NUMBERS) or _mapped_scores(table)))]


def _mapped_scores(table) -> bool:
    """A score column that --columns names (`score=similarity`): ST's collator does not take it as the label, but
    `prep convert --scores` reads it."""
    named = table.frame.schema.get(table.roles.label) if table.roles.label else None
    return label_kind(named) in (NUMBER, CLASS, NUMBERS)


def _fix(spec: LossSpec, table, context, scored: bool) -> str:
    """The command that writes what the loss reads, with the flags that keep the labels it learns from."""
    loss, layout = context.options.loss, spec.layouts[0]
    if layout == "labeled-pair":
        # Without a flag convert writes 1.0/0.0 floats: from scored data a regression loss would learn two
        # similarities; a class loss needs whole numbers.
        keep = " --binary" if spec.whole_labels else " --scores" if scored else ""
        return f"`{convert_command(context, layout)}{keep}` writes what {loss} reads."
    if table.layout == "labeled-pair":
        return (f"{loss} learns from (anchor, positive) pairs and other rows, not from scores: train scored pairs "
                "with CoSENTLoss or AnglELoss, or keep the pairs that are positives and `prep run` them, which "
                "mines the negatives (as pairs, every pair scored above 0 is a positive).")
    if layout == "n-tuple":
        return f"{fixed_k_fix(table, context)}."
    return f"`{convert_command(context, layout)}` writes what {loss} reads."
