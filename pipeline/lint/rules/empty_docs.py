"""empty-docs: labeled-list rows whose `docs` (or `documents`, ...) list is empty, which a listwise loss has nothing
to rank in."""

import polars as pl

from pipeline.lint.rule import ERROR, Finding, Rule
from pipeline.readers.files import ROW


class EmptyDocs(Rule):
    id = "empty-docs"
    severity = ERROR
    description = ("Labeled-list rows with an empty docs list: ListNetLoss gives NaN, and every listwise loss fails "
                   "on a batch of only such rows.")
    fix = ("Drop the rows (`dataset.filter(lambda row: len(row['docs']) > 0)`); `prep convert DATA --to "
           "labeled-list` sets them aside in rejects.parquet.")
    layouts = frozenset({"labeled-list"})

    def check(self, table, context) -> list[Finding]:
        docs = table.roles.positives[0]
        if not isinstance(table.frame.schema.get(docs), pl.List):
            return []  # string-instead-of-list reports a string, layout-schema anything else
        # A null list is layout-schema's (not nullable); only a list with nothing in it is counted here.
        rows = table.frame.filter(pl.col(docs).list.len() == 0)[ROW]
        if rows.is_empty():
            return []
        # Measured with sentence-transformers 6.3: the loss pads each row to the batch's longest list and masks
        # the padding, so a row of padding alone is a softmax over nothing (ListNet: NaN for the whole batch),
        # counts as 0 in ListMLE's mean, or is skipped (LambdaLoss, RankNet); with no document in the batch at
        # all, each loss fails on torch.cat of no scores.
        return [self.found(rows, f"rows whose '{docs}' list is empty: there is nothing to rank. ListNetLoss's loss "
                           "is NaN for any batch holding one, ListMLELoss and PListMLELoss count it as 0 in the "
                           "batch mean, and every listwise loss fails on a batch of only such rows",
                           fix=self.fix.replace("row['docs']", f"row[{docs!r}]"))]
