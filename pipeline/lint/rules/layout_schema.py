"""layout-schema: the columns and types of the table's layout, checked by its pandera model with lazy validation,
so one run reports every broken column and check at once."""

import polars as pl

from pipeline.lint.rule import ERROR, Finding, Rule
from pipeline.readers.files import ROW

# Named by pandera for a column the model needs and the table lacks.
_MISSING = "column_in_dataframe"


class LayoutSchema(Rule):
    id = "layout-schema"
    severity = ERROR
    description = "Columns, types or per-row invariants of the layout are broken (schemas/layouts.py)."
    fix = "Write the layout with `prep convert DATA --to LAYOUT`, or name the layout the data is in with --layout."
    layouts = frozenset({"n-tuple", "buckets", "triplet", "labeled-pair", "labeled-list", "flag"})

    def check(self, table, context) -> list[Finding]:
        import pandera.polars as pa

        from schemas.layouts import MODELS

        renamed = _model_names(table)
        try:
            MODELS[table.layout].validate(table.frame.rename(renamed), lazy=True)
        except pa.errors.SchemaErrors as errors:
            back = {new: old for old, new in renamed.items()}
            cases = errors.failure_cases.with_columns(pl.col("column").replace(back),
                                                      pl.col("failure_case").replace(back))
            return self._findings(cases, table)
        return []

    def _findings(self, cases: pl.DataFrame, table) -> list[Finding]:
        findings = []
        # A string where FlagEmbedding wants a list has its own rule with its own fix.
        cases = cases.filter(~((pl.col("failure_case") == "String") & pl.col("check").str.contains("List")))
        for (column, check), group in cases.group_by(["column", "check"], maintain_order=True):
            indexes = group["index"].drop_nulls()
            where = f"{table.layout} layout"
            if indexes.is_empty():
                message = (f"{where}: column '{group['failure_case'][0]}' is missing" if check == _MISSING
                           else f"{where}: column '{column}' holds {group['failure_case'][0]}, expected {check}")
                findings.append(self.found([], message, count=table.rows))
            else:
                rows = table.frame[ROW].gather(indexes.cast(pl.UInt32))
                findings.append(self.found(rows, f"{where}: rows fail the check '{check}'"))
        return findings


def _model_names(table) -> dict[str, str]:
    """A labeled pair named with st's names, (query, answer, label), is checked as (sentence1, sentence2, label):
    the trainer reads its columns by position, so the names do not matter to it."""
    if table.layout != "labeled-pair":
        return {}
    wanted = {table.roles.anchor: "sentence1", table.roles.positives[0]: "sentence2"}
    return {old: new for old, new in wanted.items() if old != new and new not in table.frame.columns}
