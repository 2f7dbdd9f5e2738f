"""layout-schema: the columns and types of the table's layout, checked by its pandera model with lazy validation,
so one run reports every broken column and check at once."""

import polars as pl

from pipeline.lint.column_types import empty_lists
from pipeline.lint.label_lengths import class_probabilities, label_fits, mixed_lengths, without_margin_lists
from pipeline.lint.layouts import TEACHER_SCORES, score_columns
from pipeline.lint.model_frame import model_names, typed_by_model
from pipeline.lint.rule import ERROR, WARNING, Finding, Rule
from pipeline.readers.files import ROW
from pipeline.wording import counted

# Named by pandera for a column the model needs and the table lacks.
_MISSING = "column_in_dataframe"
# FlagEmbedding reads these only with --knowledge_distillation True, and then from every row.
_TEACHER_FIX = ("Give every row pos_scores and neg_scores (`prep run DATA --layout flag --scores`), or drop both "
                "columns to train without distillation.")


class LayoutSchema(Rule):
    id = "layout-schema"
    severity = ERROR
    description = "Columns, types or per-row invariants of the layout are broken (schemas/layouts.py)."
    fix = "Write the layout with `prep convert DATA --to LAYOUT`, or name the layout the data is in with --layout."
    layouts = frozenset({"n-tuple", "buckets", "triplet", "labeled-pair", "labeled-list", "flag", "st"})

    def check(self, table, context) -> list[Finding]:
        if table.layout == "st":
            return self._st_types(table) + self._st_label_length(table, context) + self._null_numbers(table)
        return self._model_findings(table, context) + self._null_numbers(table)

    def _model_findings(self, table, context) -> list[Finding]:
        import pandera.polars as pa

        from schemas.layouts import MODELS

        renamed, model = model_names(table), MODELS[table.layout]
        # MarginMSELoss reads 1 + K scores or K margins, each alone; the model checks one row at a time. SoftmaxLoss's
        # class probabilities fit any length alone, but not lengths mixed in one table.
        probabilities = class_probabilities(table, context)
        mixed = self._mixed_lengths(table, context) if table.roles.negatives or probabilities else []
        try:
            model.validate(typed_by_model(table.frame.rename(renamed), model), lazy=True)
        except pa.errors.SchemaErrors as errors:
            back = {new: old for old, new in renamed.items()}
            cases = errors.failure_cases.with_columns(pl.col("column").replace(back),
                                                      pl.col("failure_case").replace(back))
            if table.layout == "labeled-list" and back:  # "labels as long as docs" in the names: scores, documents
                cases = cases.with_columns(pl.col("check").str.replace_many(list(back), list(back.values())))
            if context.loss and context.loss.margins:
                cases = without_margin_lists(cases, table)
            if probabilities:  # the model's float label; the list's values are score-range's, its lengths mixed's
                typed = pl.col("check").str.starts_with("dtype(")
                cases = cases.filter(~((pl.col("column") == table.roles.label) & typed))
            return self._findings(cases, table) + mixed
        return mixed

    def _findings(self, cases: pl.DataFrame, table) -> list[Finding]:
        from schemas.layouts import TABLE_CHECKS

        findings = []
        # A string where FlagEmbedding wants a list has its own rule with its own fix.
        cases = cases.filter(~((pl.col("failure_case") == "String") & pl.col("check").str.contains("List")))
        for (column, check), group in cases.group_by(["column", "check"], maintain_order=True):
            indexes = group["index"].drop_nulls()
            where = f"{table.layout} layout"
            if check in TABLE_CHECKS:
                findings.append(self.found([], f"{where}: the table lacks {check}", count=table.rows))
            elif indexes.is_empty():
                expected = check.removeprefix("dtype('").removesuffix("')")  # pandera's name: dtype('String')
                message = (f"{where}: {_missing(group['failure_case'].to_list())}" if check == _MISSING
                           else f"{where}: column '{column}' holds {_holds(table, column, group)}, expected {expected}")
                findings.append(self.found([], message, count=table.rows))
            else:
                if check == "not_nullable" and column in table.frame.columns:  # pandera's NaN too: non-finite-score's
                    indexes = indexes.filter(table.frame[column].gather(indexes.cast(pl.UInt32)).is_null())
                rows = table.frame[ROW].gather(indexes.cast(pl.UInt32))
                findings += [self._row_finding(rows, column, check, table)] if rows.len() else []
        return findings

    def _row_finding(self, rows: pl.Series, column: str, check: str, table) -> Finding:
        """Rows failing a check of one column name it; a check across columns (schema context) names itself."""
        where = f"{table.layout} layout"
        # A row that breaks its layout's invariant: no command of prep's mends it.
        mend = ("Mend or drop these rows (`dataset.filter(...)`): `prep convert` and `prep run` do not guess them; "
                "they stop at a row whose lists differ in length, and set a query without a positive aside.")
        if column not in table.frame.columns:
            return self.found(rows, f"{where}: rows fail the check '{check}'", fix=mend)
        if check != "not_nullable":
            return self.found(rows, f"{where}: column '{column}': rows fail the check '{check}'", fix=mend)
        if column in TEACHER_SCORES:
            having = table.rows - rows.len()
            return self.found(rows, f"{where}: {counted(rows.len(), 'row has', 'rows have')} no '{column}' while "
                              f"{counted(having, 'row has', 'rows have')} it: "
                              "FlagEmbedding drops the column unless --knowledge_distillation True, which then fails "
                              "on these rows", severity=WARNING, fix=_TEACHER_FIX)
        return self.found(rows, f"{where}: column '{column}' is null in {counted(rows.len(), 'row', 'rows')}")

    def _null_numbers(self, table) -> list[Finding]:
        """A null inside a list of scores: ST's collator (torch.tensor) fails on it, `prep report` refuses it in a
        labeled list, and FlagEmbedding fails on it with --knowledge_distillation True (a warning, as a row without
        teacher scores is: without distillation FlagEmbedding drops the columns)."""
        columns = score_columns(table)
        findings = []
        for column in columns:
            if column is None or table.frame.schema.get(column) != pl.List(pl.Float64):
                continue
            rows = table.frame.filter(pl.col(column).list.eval(pl.element().is_null()).list.any().fill_null(False))[ROW]
            if rows.is_empty():
                continue
            held = counted(rows.len(), "row", "rows")
            message = f"{table.layout} layout: column '{column}' holds a null number in {held}"
            if column in TEACHER_SCORES and table.layout == "flag":
                findings.append(self.found(rows, message + ": FlagEmbedding drops the column unless "
                                           "--knowledge_distillation True, which then fails on these rows",
                                           severity=WARNING, fix=_TEACHER_FIX))
            else:
                findings.append(self.found(rows, message, fix=f"Give every text of '{column}' a number, or drop "
                                           "the rows: ST's collator fails on a null in a label list."))
        return findings

    def _st_types(self, table) -> list[Finding]:
        """st tables have no model (any names, strings or lists), but their text roles must hold text: the readers
        refuse numbers there, and ST's tokenizer fails on them."""
        texts = (pl.String, pl.List(pl.String), pl.Null)
        roles = {"anchor": (table.roles.anchor,), "positive": table.roles.positives, "negative": table.roles.negatives}
        return [self.found([], f"st layout: column '{column}' ({role}) holds {table.source.schema[column]}, "
                           "expected text", count=table.rows,
                           fix=f"Store the texts as strings (`dataset.cast_column('{column}', Value('string'))`), "
                               f"or map the {role} role to a text column with --columns {role}=COLUMN.")
                for role, columns in roles.items() for column in columns if table.source.schema[column] not in texts]

    def _st_label_length(self, table, context) -> list[Finding]:
        """ST reads an st table's label list as an n-tuple's, whatever the anchor is called: 1 + K scores (or, for
        MarginMSELoss, K margins)."""
        fits = label_fits(table, context)
        if fits is None:
            return []
        rows = table.frame.filter(pl.col(table.roles.label).is_not_null() & ~fits)[ROW]
        found = [self.found(rows, "st layout: rows fail the check 'label holds 1 + K scores'")] if rows.len() else []
        return found + self._mixed_lengths(table, context)

    def _mixed_lengths(self, table, context) -> list[Finding]:
        mixed = mixed_lengths(table, context)
        return [self.found(mixed[0], mixed[1], fix=mixed[2])] if mixed else []


def _missing(names: list[str]) -> str:
    if len(names) == 1:
        return f"column '{names[0]}' is missing"
    quoted = [f"'{name}'" for name in names]
    return f"columns {', '.join(quoted[:-1])} and {quoted[-1]} are missing"


def _holds(table, column: str, group: pl.DataFrame) -> str:
    """The type a column failed with, as the file declares it (the frame holds numbers as Float64), unless its lists
    are all empty: that type is only how `[]` was read."""
    empty = empty_lists(table.frame[column]) if column in table.frame.columns else None
    declared = table.source.schema.get(column)
    return empty or (str(declared) if declared is not None else group["failure_case"][0])
