"""label-column-name: a numeric column the trainer does not take as the label, because of its name."""

import polars as pl

from pipeline.lint.layouts import LABEL_COLUMNS, ST_READ, is_id_like, st_inputs, unused_inputs
from pipeline.lint.rule import ERROR, Finding, Rule


def _numeric(dtype: pl.DataType) -> bool:
    return dtype.is_numeric() or (isinstance(dtype, pl.List) and dtype.inner.is_numeric())


class LabelColumnName(Rule):
    id = "label-column-name"
    severity = ERROR
    description = (f"A numeric column not named {'/'.join(LABEL_COLUMNS)}, or a second one so named: ST feeds it as "
                   "an input, not a label.")
    fix = ("Rename the score column to `label` or `score` (`dataset.rename_column(...)`), or drop it; keep "
           "one label column.")
    layouts = ST_READ

    def check(self, table, context) -> list[Finding]:
        schema = table.source.schema
        _, taken = st_inputs(schema)
        numeric = [name for name in unused_inputs(schema, table.roles) if _numeric(schema[name])
                   and not is_id_like(name)]
        # The collator takes its own label column, not the one --columns names: `score=score` beside a `label`
        # trains on `label` all the same.
        numeric += [table.roles.label] if table.roles.label and table.roles.label != taken else []
        return [self.found([], self._message(name, taken), count=table.rows) for name in numeric]

    @staticmethod
    def _message(name: str, label: str | None) -> str:
        if name in LABEL_COLUMNS:  # ST's collator takes the first label column it finds and feeds the rest
            return (f"a second label column: ST takes '{label}' as the label and will try to tokenise '{name}' as "
                    f"text; keep one of them")
        return (f"numeric column '{name}' is not named {'/'.join(LABEL_COLUMNS)}; ST will try to tokenise it as "
                "text instead of using it as the label")
