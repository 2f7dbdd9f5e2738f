"""string-instead-of-list: FlagEmbedding `pos`/`neg` (or a labeled list's `docs`) given as one string."""

import polars as pl

from pipeline.lint.rule import ERROR, Finding, Rule
from pipeline.readers.files import ROW


class StringInsteadOfList(Rule):
    id = "string-instead-of-list"
    severity = ERROR
    description = "A list field given as a string: the trainer samples characters of it as texts."
    fix = 'Wrap the text in a list: {"pos": ["text"]}, not {"pos": "text"}.'
    layouts = frozenset({"flag", "labeled-list"})

    def check(self, table, context) -> list[Finding]:
        findings = []
        for name in (*table.roles.positives, *table.roles.negatives):  # pos and neg; a labeled list's docs
            if table.source.schema.get(name) != pl.String:
                continue
            rows = table.frame.filter(pl.col(name).is_not_null())[ROW]
            wrap = f'Wrap the text in a list: {{"{name}": ["text"]}}, not {{"{name}": "text"}}.'
            findings.append(self.found(rows, f"'{name}' is a string, not a list; a trainer that samples from it "
                                       "takes single characters as texts", fix=wrap))
        return findings
