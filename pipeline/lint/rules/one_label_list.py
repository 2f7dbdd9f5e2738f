"""one-label-list: labeled-list rows whose labels are all the same, typically a query with no negatives."""

import polars as pl

from pipeline.lint.rule import WARNING, Finding, Rule
from pipeline.readers.files import ROW
from pipeline.wording import counted


class OneLabelList(Rule):
    id = "one-label-list"
    severity = WARNING
    description = ("Labeled-list rows whose labels are all the same: RankNetLoss and LambdaLoss find no pair of "
                   "different labels to order, and a one-document list leaves every listwise loss nothing to rank.")
    fix = ("Give the queries negatives (`prep run DATA --layout labeled-list` mines them) or drop the rows; "
           "`prep convert DATA --to labeled-list` sets them aside in rejects.parquet (no_negatives, or "
           "labels_all_equal where the scores are all the same).")
    layouts = frozenset({"labeled-list"})

    def check(self, table, context) -> list[Finding]:
        label = table.roles.label
        if label is None or not isinstance(table.frame.schema.get(label), pl.List):
            return []  # layout-schema reports a missing or mistyped labels column
        # An empty list is empty-docs'; LambdaLoss and RankNetLoss keep only pairs whose labels differ (true_diffs > 0).
        flat = table.frame.filter((pl.col(label).list.len() > 0) & (pl.col(label).list.n_unique() == 1))
        if flat.is_empty():
            return []
        single = flat.filter(pl.col(label).list.len() == 1).height
        singles = f" ({single:,} with a single document)" if single else ""
        return [self.found(flat[ROW], f"{counted(flat.height, 'row has', 'rows have')} one value in '{label}'"
                           f"{singles}: RankNetLoss and LambdaLoss find no pair to order; typically a query without "
                           "negatives")]
