"""extra-text-column: a text column the trainer will feed as one more input (ST trains on it without a word)."""

import polars as pl

from pipeline.lint.layouts import ST_READ, is_id_like, st_inputs, unused_inputs
from pipeline.lint.rule import ERROR, WARNING, Finding, Rule

_NEGATIVE_FIX = ("If it holds negatives, name the columns negative_1..negative_K, which prep reads as negatives "
                 "(--columns maps a single negative column); else drop it: `dataset.remove_columns(['{name}'])`.")


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
        drop = f"Drop it before training: `dataset.remove_columns(['{name}'])`."
        if position >= 2 and table.layout not in ("labeled-pair", "labeled-list"):
            trained = f"; ST trains it as one more negative (input {position + 1} of {inputs})"
            if metadata := _metadata(table, name):  # no negative: a label of the row, or a piece of its positive
                return self.found([], f"{where}{trained}, but {metadata}", count=table.rows, fix=drop)
            return self.found([], f"{where}{trained}, which prep report, prep run and lint's negative checks do not "
                              "read", count=table.rows, severity=WARNING, fix=_NEGATIVE_FIX.format(name=name))
        instead = f", where the layout has '{table.roles.texts[position]}'" if position < 2 else ""
        return self.found([], f"{where}; ST takes it as input {position + 1} of {inputs}{instead}", count=table.rows,
                          fix=drop)


def _metadata(table, name: str) -> str | None:
    """Why the column cannot hold negatives: few distinct values over many rows (a source, a language), or texts
    that are part of the row's anchor or positive in most rows (a title): trained on, a false negative."""
    frame, rows = table.frame, table.rows
    distinct = frame[name].drop_nulls().n_unique()
    if rows >= 10 and distinct <= rows // 10:
        return f"it holds {distinct:,} distinct {'value' if distinct == 1 else 'values'} in {rows:,} rows"
    roles = (table.roles.anchor, *table.roles.positives[:1])
    own = [column for column in roles if frame.schema.get(column) == pl.String]
    if frame.schema[name] != pl.String or not own:
        return None
    text = pl.col(name).str.strip_chars()
    inside = pl.any_horizontal(pl.col(column).str.contains(text, literal=True) for column in own)
    part = frame.select(((text != "") & inside).fill_null(False).sum()).item()
    if part * 2 > rows:
        return f"in {part:,} of {rows:,} rows it is part of the row's own {' or '.join(own)}"
    return None
