"""bool-label: a true/false label column, which ST's collator turns into a bool tensor that some losses reject."""

import polars as pl

from pipeline.lint.layouts import ST_READ, st_inputs
from pipeline.lint.rule import WARNING, Finding, Rule


class BoolLabel(Rule):
    id = "bool-label"
    severity = WARNING
    description = ("A true/false label: ST's collator makes a bool tensor of it. CoSENTLoss, AnglELoss, "
                   "CosineSimilarityLoss, OnlineContrastiveLoss and BinaryCrossEntropyLoss train as on 1/0; "
                   "ContrastiveLoss, SoftmaxLoss and CrossEntropyLoss fail on the first batch.")
    fix = ("Cast the label to int 0/1 (`dataset.cast_column('label', Value('int64'))`), or to float for a scored "
           "loss, or let `prep convert` / `prep run` write it (they write true/false as 1/0).")
    layouts = ST_READ

    def applies(self, table, context) -> bool:
        # With --loss, loss-incompatible judges the label against that loss.
        return super().applies(table, context) and context.loss is None

    def check(self, table, context) -> list[Finding]:
        _, label = st_inputs(table.source.schema)
        if label is None or table.source.schema[label] != pl.Boolean:
            return []
        return [self.found([], f"{table.source.name}: label column '{label}' holds true/false; ST's collator "
                           "makes a bool tensor of it, which ContrastiveLoss (`1 - labels`), SoftmaxLoss and "
                           "CrossEntropyLoss (class targets must be integers) fail on; the other pair losses "
                           "train as on 1/0", count=table.rows)]
