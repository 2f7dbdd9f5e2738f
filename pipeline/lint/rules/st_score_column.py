"""st-score-column: one number per row in an st table's score or label column, which prep's st reader refuses."""

import polars as pl

from pipeline.lint.losses import NUMBER
from pipeline.lint.rule import ERROR, Finding, Rule
from pipeline.readers.names import SCORE_NAMES
from pipeline.readers.st import unread_score


class StScoreColumn(Rule):
    id = "st-score-column"
    severity = ERROR
    description = ("A score or label with one number per row in an st table: `prep report`, `convert` and `run` "
                   "refuse it, since st reads only a list of scores [positive, negatives...].")
    fix = "Drop the column, give a score list per row, or read (anchor, positive, label) pairs with --format pairs."
    layouts = frozenset({"st", "n-tuple", "triplet"})

    def applies(self, table, context) -> bool:
        # A --loss that reads one number per row (MarginMSE's margin) trains on it: loss-incompatible judges the fit.
        loss = context.loss
        return super().applies(table, context) and not (loss and any(form.label == NUMBER for form in loss.forms))

    def check(self, table, context) -> list[Finding]:
        schema, roles = table.source.schema, table.roles
        # The label ST's collator takes (or the user's --columns score=COLUMN), else another of the readers' names.
        others = (name for name in SCORE_NAMES if name in schema.names() and name not in roles.texts)
        label = roles.label or next(others, None)
        if label is None or isinstance(schema[label], pl.List):
            return []
        message = unread_score(label, roles.anchor, roles.positives[0], bool(roles.negatives))
        return [self.found([], message, count=table.rows)]
