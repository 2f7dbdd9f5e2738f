"""two-element-list: a list of exactly two texts, which ST reads as one text pair, not as two texts."""

import polars as pl

from pipeline.lint.fixes import fixed_k_fix
from pipeline.lint.layouts import BI_ENCODER, st_inputs
from pipeline.lint.rule import ERROR, Finding, Rule
from pipeline.readers.files import ROW


class TwoElementList(Rule):
    id = "two-element-list"
    severity = ERROR
    description = "A 2-text list in a bi-encoder layout: ST silently encodes it as one (text, text) pair."
    fix = "One text per column: `prep convert DATA --to n-tuple` or `--to triplet`."
    layouts = BI_ENCODER

    def check(self, table, context) -> list[Finding]:
        inputs, _ = st_inputs(table.source.schema)
        findings = []
        for name in inputs:
            if table.source.schema[name] != pl.List(pl.String):
                continue
            rows = table.frame.filter(pl.col(name).list.len() == 2)[ROW]
            if rows.len():
                findings.append(self.found(rows, f"column '{name}' holds exactly two texts in these rows; ST "
                                           "encodes each such list as one text pair",
                                           fix=f"One text per column: {fixed_k_fix(table, context)}."))
        return findings
