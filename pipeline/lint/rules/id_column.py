"""id-column: id-like columns (id, *_id, qid...) that the trainer would tokenise as text."""

from pipeline.lint.layouts import ST_READ, is_id_like, is_index, loaded_name, unused_inputs
from pipeline.lint.rule import ERROR, Finding, Rule


class IdColumn(Rule):
    id = "id-column"
    severity = ERROR
    description = "An id column is fed to the model as text (or fails, when the ids are numbers)."
    fix = "Resolve ids to texts first (`prep convert`), or drop the column: `dataset.remove_columns([...])`."
    layouts = ST_READ

    def check(self, table, context) -> list[Finding]:
        schema = table.source.schema
        ids = [name for name in unused_inputs(schema, table.roles) if is_id_like(name)]
        # Named as datasets loads it, as column-order names it: a CSV's unnamed index is 'Unnamed: 0', not ''.
        return [self.found([], f"column '{loaded_name(name, schema)}' ({schema[name]}) {_looks(name)}; the trainer "
                           "tokenises it as one more input", count=table.rows,
                           fix=f"Drop it: `dataset.remove_columns(['{loaded_name(name, schema)}'])`; "
                               "ids that stand for texts (a BEIR folder's) are resolved to them by `prep convert` and "
                               "`prep run`.")
                for name in ids]


def _looks(name: str) -> str:
    if is_index(name):
        return ("is a row index (pandas writes one with `to_csv()` unless index=False; datasets loads an unnamed "
                "one as 'Unnamed: 0')")
    return "looks like an id"

