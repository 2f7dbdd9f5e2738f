"""constant-label: every row has the same label, so a loss that learns from labels has nothing to learn from."""

import polars as pl

from pipeline.lint.layouts import ST_READ, st_inputs
from pipeline.lint.losses import NONE, NUMBERS
from pipeline.lint.rule import ERROR, WARNING, Finding, Rule
from pipeline.wording import counted


class ConstantLabel(Rule):
    id = "constant-label"
    severity = WARNING
    description = ("Every row has the same label: CoSENTLoss and AnglELoss find no pair ranked above another (a "
                   "constant loss), CosineSimilarityLoss and the contrastive losses learn one similarity for all. "
                   "Typical cause: graded scores (STS 0-5) turned into 1.0 for every positive pair.")
    fix = ("Keep the input's scores (`prep convert --to labeled-pair --scores`) or add pairs with other labels; "
           "for in-batch losses drop the label column.")
    layouts = ST_READ

    def check(self, table, context) -> list[Finding]:
        _, label = st_inputs(table.source.schema)
        if label is None or label not in table.frame.columns or isinstance(table.frame.schema[label], pl.List):
            return []
        values = table.frame[label].drop_nulls()
        if values.len() < 2 or values.n_unique() > 1:
            return []
        # An error where --loss learns from a scalar label; a warning otherwise (or without --loss).
        learns = context.loss is not None and any(form.label not in (NONE, NUMBERS) for form in context.loss.forms)
        # count: the rows that carry the value; a row without a label is layout-schema's (a null column).
        where = f"every one of the {values.len():,} rows has {label} = {values[0]}" if values.len() == table.rows \
            else (f"all {values.len():,} non-null labels are {label} = {values[0]} "
                  f"({counted(table.rows - values.len(), 'row has', 'rows have')} none)")
        fix = (f"Where this is `prep convert` output of scored data, convert again with `--scores`; where the data "
               "itself holds one label, add pairs with other labels (a negative pair at 0), or train the pairs as "
               "(anchor, positive) with an in-batch loss (MultipleNegativesRankingLoss) and without the label: "
               f"`dataset.remove_columns(['{label}'])`.")
        return [self.found([], f"{table.source.name}: {where}", count=values.len(),
                           severity=ERROR if learns else None, fix=fix)]
