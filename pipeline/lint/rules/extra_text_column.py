"""extra-text-column: a text column the trainer will feed as one more input (ST trains on it without a word)."""

import polars as pl

from pipeline.lint.layouts import ST_READ, is_id_like, unused_inputs
from pipeline.lint.rule import ERROR, Finding, Rule


class ExtraTextColumn(Rule):
    id = "extra-text-column"
    severity = ERROR
    description = "A text column besides the layout's roles: ST reads every column as one more input."
    fix = "Drop it before training: `dataset.remove_columns([...])` or `dataset.select_columns([...])`."
    layouts = ST_READ

    def check(self, table, context) -> list[Finding]:
        texts = (pl.String, pl.List(pl.String))
        extra = [name for name in unused_inputs(table.source.schema, table.roles)
                 if table.source.schema[name] in texts and not is_id_like(name)]
        return [self.found([], f"column '{name}' is not a role of the {table.layout} layout; the trainer will "
                           "read it as one more text (a second positive or negative)", count=table.rows)
                for name in extra]
