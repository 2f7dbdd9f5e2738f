"""empty-dataset: a table without rows, which `prep report` reads (0 rows) and a trainer has nothing to learn from."""

from pipeline.lint.rule import WARNING, Finding, Rule


class EmptyDataset(Rule):
    id = "empty-dataset"
    severity = WARNING
    description = "The table has no rows: training on it does nothing."
    fix = "Check the path and the step that wrote the file; lint the file that holds the data."

    def check(self, table, context) -> list[Finding]:
        if table.rows:
            return []
        return [self.found([], "no rows: nothing to check and nothing to train on", count=0)]
