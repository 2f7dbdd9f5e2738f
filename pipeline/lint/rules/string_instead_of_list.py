"""string-instead-of-list: FlagEmbedding `pos`/`neg` (or a labeled list's `docs`) given as one string."""

import polars as pl

from pipeline.lint.rule import ERROR, Finding, Rule
from pipeline.readers.files import ROW

LIST_FIELDS = {"flag": ("pos", "neg"), "labeled-list": ("docs",)}  # a labeled list's: its roles' (docs, documents)


class StringInsteadOfList(Rule):
    id = "string-instead-of-list"
    severity = ERROR
    description = "A list field given as a string: the trainer samples characters of it as texts."
    fix = 'Wrap the text in a list: {"pos": ["text"]}, not {"pos": "text"}.'
    layouts = frozenset(LIST_FIELDS)

    def check(self, table, context) -> list[Finding]:
        findings = []
        for name in table.roles.positives if table.layout == "labeled-list" else LIST_FIELDS[table.layout]:
            if table.source.schema.get(name) != pl.String:
                continue
            rows = table.frame.filter(pl.col(name).is_not_null())[ROW]
            findings.append(self.found(rows, f"'{name}' is a string, not a list; a trainer that samples from it "
                                       "takes single characters as texts"))
        return findings
