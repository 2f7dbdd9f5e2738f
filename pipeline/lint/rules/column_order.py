"""column-order: role columns in another order than the trainer reads them (by position, not by name)."""

from pipeline.lint.layouts import ST_READ, st_inputs
from pipeline.lint.rule import ERROR, Finding, Rule


class ColumnOrder(Rule):
    id = "column-order"
    severity = ERROR
    description = "The trainer takes the 1st column as anchor, the 2nd as positive, the rest as negatives."
    fix = "Reorder: `dataset.select_columns([anchor, positive, negative_1, ...])`."
    layouts = ST_READ

    def check(self, table, context) -> list[Finding]:
        inputs, _ = st_inputs(table.source.schema)
        expected = [name for name in table.roles.texts if name in inputs]
        actual = [name for name in inputs if name in expected]
        if actual == expected and inputs[:1] == expected[:1]:
            return []
        return [self.found([], f"columns are read in the order {inputs}, so '{inputs[0]}' is the anchor; the "
                           f"{table.layout} layout reads {expected}", count=table.rows,
                           fix=f"Reorder: `dataset.select_columns({expected})`.")]
