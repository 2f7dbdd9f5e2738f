"""extra-text-column: a text column the trainer will feed as one more input (ST trains on it without a word)."""

import polars as pl

from pipeline.lint.layouts import ST_READ, is_id_like, st_inputs, unused_inputs
from pipeline.lint.rule import ERROR, WARNING, Finding, Rule

_NEGATIVE_FIX = ("If it holds negatives, name the columns negative_1..negative_K, which prep reads as negatives "
                 "(--columns maps a single negative column); else drop it: `dataset.remove_columns([...])`.")


class ExtraTextColumn(Rule):
    id = "extra-text-column"
    severity = ERROR
    description = "A text column besides the layout's roles: ST reads every column as one more input."
    fix = "Drop it before training: `dataset.remove_columns([...])` or `dataset.select_columns([...])`."
    layouts = ST_READ

    def check(self, table, context) -> list[Finding]:
        texts = (pl.String, pl.List(pl.String))
        inputs, _ = st_inputs(table.source.schema)
        extra = [name for name in unused_inputs(table.source.schema, table.roles)
                 if table.source.schema[name] in texts and not is_id_like(name)]
        return [self._finding(table, name, inputs.index(name), len(inputs)) for name in extra]

    def _finding(self, table, name: str, position: int, inputs: int) -> Finding:
        """ST reads columns by position: the 1st is the anchor, the 2nd the positive, every further one a negative,
        which in a layout with negatives the column may well be meant as."""
        where = f"column '{name}' is not a role of the {table.layout} layout"
        if position >= 2 and table.layout not in ("labeled-pair", "labeled-list"):
            return self.found([], f"{where}; ST trains it as one more negative (input {position + 1} of {inputs}), "
                              "which prep report, prep run and lint's negative checks do not read", count=table.rows,
                              severity=WARNING, fix=_NEGATIVE_FIX)
        instead = f", where the layout has '{table.roles.texts[position]}'" if position < 2 else ""
        return self.found([], f"{where}; ST takes it as input {position + 1} of {inputs}{instead}", count=table.rows)
