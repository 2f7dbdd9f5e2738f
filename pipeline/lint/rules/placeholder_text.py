"""placeholder-text: texts that are a missing value as an export writes it (NULL, None, N/A, nan), trained as text."""

import polars as pl

from pipeline.lint.rule import WARNING, Finding, Rule

# How SQL, pandas, R and spreadsheets write a missing value; `datasets` reads a CSV cell so only where pandas does.
PLACEHOLDERS = ("null", "none", "nan", "n/a", "#n/a", "nil", "undefined")


class PlaceholderText(Rule):
    id = "placeholder-text"
    severity = WARNING
    description = "Texts that are an export's missing value (NULL, None, N/A): the model trains on the word."
    fix = "Write missing texts as empty cells or nulls (negatives the row lacks), or drop those rows."

    def check(self, table, context) -> list[Finding]:
        word = pl.col("text").str.strip_chars().str.to_lowercase()
        flagged = table.texts.filter(word.is_in(PLACEHOLDERS))
        if flagged.is_empty():
            return []
        by_role = ", ".join(f"{role} {n:,}" for role, n in flagged.group_by("role", maintain_order=True).len()
                            .iter_rows())
        first = flagged["text"][0]
        return [self.found(flagged["line"], f"texts that are a missing value as exports write it ({first!r}, ...): "
                           f"{by_role}")]
