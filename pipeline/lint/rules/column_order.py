"""column-order: role columns in another order than the trainer reads them (by position, not by name)."""

from pipeline.lint.layouts import ST_READ, loaded_name, st_inputs
from pipeline.lint.rule import ERROR, Finding, Rule


class ColumnOrder(Rule):
    id = "column-order"
    severity = ERROR
    description = "The trainer takes the 1st column as anchor, the 2nd as positive, the rest as negatives."
    fix = "Reorder: `dataset.select_columns([anchor, positive, negative_1, ...])`."
    layouts = ST_READ

    def check(self, table, context) -> list[Finding]:
        inputs, label = st_inputs(table.source.schema)
        expected = [name for name in table.roles.texts if name in inputs]
        actual = [name for name in inputs if name in expected]
        # Without a label list, whose scores ST pairs with the negatives by position, the negatives are one pool to
        # every loss: (anchor, positive, negative_2, negative_1) trains as (anchor, positive, negative_1, ...).
        pooled = table.roles.negatives if table.roles.label is None else ()
        if _pooled(actual, pooled) == _pooled(expected, pooled) and inputs[:1] == expected[:1]:
            return []
        inputs = [loaded_name(name, table.source.schema) for name in inputs]
        return [self.found([], f"columns are read in the order {inputs}, so '{inputs[0]}' is the anchor; the "
                           f"{table.layout} layout reads {expected}", count=table.rows,
                           fix=f"Reorder: `dataset.select_columns({expected + _labels(label, table)})`.")]


def _pooled(names: list[str], negatives: tuple[str, ...]) -> list[str]:
    """`names` with each of `negatives` as one placeholder: the order among them then does not count."""
    return [name if name not in negatives else "negative" for name in names]


def _labels(label: str | None, table) -> list[str]:
    """The label ST takes, and a score column --columns names (`score=similarity`): select_columns keeps them."""
    named = table.roles.label if table.roles.label in table.frame.columns else None
    return list(dict.fromkeys(name for name in (label, named) if name))
