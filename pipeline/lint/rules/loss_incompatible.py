"""loss-incompatible: the columns and label that the trainer will feed do not fit the inputs of `--loss`."""

import polars as pl

from pipeline.lint.column_types import empty_lists
from pipeline.lint.fixes import convert_command, fixed_k_fix, negatives_per_row, prep_command
from pipeline.lint.layouts import TEACHER_SCORES, st_inputs
from pipeline.lint.losses import BOOL, CLASS, NONE, NUMBER, NUMBERS, PROBABILITIES, Form, LossSpec
from pipeline.lint.rule import ERROR, WARNING, Finding, Rule

TEACHER_FLAGS = " --scores --teacher CROSS_ENCODER"  # a score per text where the input has none


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
    # An integer label is a number too; only classes must be integers. score-range checks that a list of numbers
    # holds probabilities.
    label_ok = label == form.label or (form.label == NUMBER and (label == CLASS or (label == BOOL and bool_labels))) \
        or (form.label == PROBABILITIES and label == NUMBERS)
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
        # Teacher scores beside an n-tuple go unused; a labeled pair's label says which pairs are negatives.
        unread = label_column and table.layout not in ("labeled-pair", "labeled-list")
        if unread and _ignored_teacher_scores(label, values) and any(
                fits(form, inputs, schema, NONE) for form in spec.forms if form.label == NONE):
            return [self.found([], f"{context.options.loss} reads no label: ST's collator passes column "
                               f"'{label_column}' ({label}) to it, which it ignores", count=table.rows,
                               severity=WARNING, fix=f"Drop column '{label_column}' unless another loss reads it; "
                               f"{context.options.loss} trains the same without it.")]
        shapes = ", ".join(f"{name}: {'list' if isinstance(schema[name], pl.List) else schema[name]}"
                           for name in inputs)
        given = f"label '{label_column}' ({label})" if label_column else "no label"
        reads = " or ".join(form.describe() for form in spec.forms)
        return [self.found([], f"{context.options.loss} reads {reads}; this table feeds {len(inputs)} columns "
                           f"({shapes}) and {given}", count=table.rows,
                           fix=_fix(spec, table, context, label))]


def _ignored_teacher_scores(label: str, values: pl.Series | None) -> bool:
    """Whether the label is teacher scores that a loss reading none may ignore: lists of one length (ST's collator
    makes a tensor of them; several lengths fail there) whose first, the positive's, is above every negative's in
    each row. A negative scored as high as the positive, or one number per row, may mean a label the loss loses."""
    if label != NUMBERS or values is None or values.list.len().n_unique() != 1 or values.list.len()[0] < 2:
        return False
    return bool(values.list.eval(pl.element().first() > pl.element().slice(1).max()).list.first().all())


def _mapped_scores(table) -> bool:
    """A score column that --columns names (`score=similarity`): ST's collator does not take it as the label, but
    `prep convert --scores` reads it."""
    named = table.frame.schema.get(table.roles.label) if table.roles.label else None
    return label_kind(named) in (NUMBER, CLASS, NUMBERS)


def _fix(spec: LossSpec, table, context, label: str) -> str:
    """The command that writes what the loss reads, with the flags that keep the labels it learns from."""
    scored = label in (NUMBER, CLASS, NUMBERS) or _mapped_scores(table) or any(
        column in table.source.schema for column in TEACHER_SCORES)
    loss, layout = context.options.loss, spec.layouts[0]
    if label == f"{pl.String} values":  # texts: prep's readers refuse them as scores too
        column = st_inputs(table.source.schema)[1]
        return (f"Store the labels as numbers (`dataset.cast_column('{column}', Value('float32'))`): prep's "
                "readers refuse text scores too.")
    if layout == "labeled-pair":
        # Without a flag convert writes 1.0/0.0 floats: from scored data a regression loss would learn two
        # similarities; a class loss needs whole numbers.
        if spec.whole_labels or scored:
            keep = " --binary" if spec.whole_labels else " --scores"
            return f"`{convert_command(context, layout)}{keep}` writes what {loss} reads."
        return _unscored_pairs_fix(table, context, loss)
    if table.layout == "labeled-pair":
        return (f"{loss} learns from (anchor, positive) pairs and other rows, not from scores: train scored pairs "
                "with CoSENTLoss or AnglELoss, or keep the pairs that are positives and `prep run` them, which "
                "mines the negatives (as pairs, every pair scored above 0 is a positive).")
    if layout == "n-tuple":
        if not any(form.label == NONE for form in spec.forms):  # MarginMSELoss, DistillKLDivLoss: a score per text
            if table.layout != "flag" and label in (NUMBER, CLASS):
                return (f"{loss} reads a score per text, which one number per row is not: drop column "
                        f"'{table.roles.label}', then {fixed_k_fix(table, context, TEACHER_FLAGS)} (a CrossEncoder's "
                        "scores).")
            flags = " --scores" if scored else TEACHER_FLAGS
            return f"{fixed_k_fix(table, context, flags)}."
        return f"{fixed_k_fix(table, context)}."
    return f"`{convert_command(context, layout)}` writes what {loss} reads."


def _unscored_pairs_fix(table, context, loss: str) -> str:
    """Pairs for a loss that learns from their scores, from a table with none that ST takes as the label: a number
    column under another name is the scores; without one, pairs of positives only would all be labelled 1."""
    schema = table.source.schema
    numbers = [name for name in st_inputs(schema)[0] if schema[name].is_numeric()]
    if len(numbers) == 1:
        command = convert_command(context, "labeled-pair", {"score": numbers[0]})
        return f"Name the scores: `{command} --scores` writes what {loss} reads."
    convert = f"`{convert_command(context, 'labeled-pair')}`"
    if int(negatives_per_row(table)["negatives"].max() or 0) == 0:
        return (f"The rows hold positives only, which {convert} would label 1 each ({loss} learns nothing from one "
                f"label): `{prep_command(context, 'run')} --layout labeled-pair` mines negatives labelled 0, or add "
                "`--scores --teacher CROSS_ENCODER` for a CrossEncoder's scores.")
    return f"{convert} writes what {loss} reads: positives labelled 1, negatives 0."
