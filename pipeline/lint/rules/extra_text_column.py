"""extra-text-column: a text column the trainer will feed as one more input (ST trains on it without a word)."""

import polars as pl

from pipeline.lint.layouts import ST_READ, is_id_like, st_inputs, unused_inputs
from pipeline.lint.rule import ERROR, WARNING, Finding, Rule
from pipeline.readers.names import NEGATIVE_LIKE

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
    """Why the column cannot hold negatives: a tenth as many distinct values as the positives or fewer (a source, a
    language; negatives drawn from a small pool of answers are as many as the answers), or the start of the row's
    own positive in most rows (its title): trained on, a false negative. A name like a negative's is left alone."""
    frame, rows = table.frame, table.rows
    positive = table.roles.positives[0] if table.roles.positives else None
    if NEGATIVE_LIKE.match(name) or frame.schema.get(positive) != pl.String or frame.schema[name] != pl.String:
        return None
    distinct = frame[name].drop_nulls().n_unique()
    if rows >= 10 and distinct * 10 <= frame[positive].n_unique():
        return (f"it holds {distinct:,} distinct {'value' if distinct == 1 else 'values'} in {rows:,} rows, where "
                f"'{positive}' holds {frame[positive].n_unique():,}")
    text = pl.col(name).str.strip_chars()
    starts = frame.select(((text != "") & pl.col(positive).str.starts_with(text)).fill_null(False).sum()).item()
    if starts * 2 > rows:
        return f"in {starts:,} of {rows:,} rows it is the start of the row's own '{positive}' (a title?)"
    return None
