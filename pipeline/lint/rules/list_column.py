"""list-column: a list of texts in a bi-encoder layout, where the trainer takes one text per column."""

import polars as pl

from pipeline.lint.column_types import empty_lists
from pipeline.lint.fixes import convert_command, fixed_k_fix
from pipeline.lint.layouts import BI_ENCODER, st_inputs
from pipeline.lint.rule import ERROR, Finding, Rule


class ListColumn(Rule):
    id = "list-column"
    severity = ERROR
    description = "A list-of-texts column in a bi-encoder layout: SentenceTransformerTrainer fails on it."
    fix = ("One text per column: `prep run DATA` (mines up to a fixed K), `prep convert DATA --to n-tuple` or "
           "`--to buckets` (every negative kept, one dataset per count).")
    layouts = BI_ENCODER

    def check(self, table, context) -> list[Finding]:
        inputs, _ = st_inputs(table.source.schema)
        findings = []
        for name in inputs:
            if table.source.schema[name] != pl.List(pl.String):
                continue
            fix = f"One text per column: {fixed_k_fix(table, context)}"
            if table.roles.negatives:
                fix += f"; `{convert_command(context, 'buckets')}` keeps every negative, one dataset per count"
            findings.append(self.found([], f"column '{name}' holds {_lists(table.frame[name])}", count=table.rows,
                                       fix=f"{fix}."))
        return findings


def _lists(values: pl.Series) -> str:
    """Lists of 0 texts would call `[]` texts, which is only how a list without an element is read."""
    if empty := empty_lists(values):
        return empty
    lengths = values.list.len()
    span = f"{lengths.min()}" if lengths.min() == lengths.max() else f"{lengths.min()} to {lengths.max()}"
    return f"lists of {span} {'text' if span == '1' else 'texts'}"
