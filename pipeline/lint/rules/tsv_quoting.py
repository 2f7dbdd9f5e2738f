"""tsv-quoting: texts of a .tsv file quoted as CSV quotes them, which a .tsv reader (prep's, MS MARCO's) keeps as
text, and the model trains on."""

from pipeline.lint.rule import WARNING, Finding, Rule
from pipeline.wording import counted

# pandas' to_csv(sep="\t") (QUOTE_MINIMAL) quotes a text that holds a quote, doubling it: the doubled quote inside
# a text that starts and ends with one is the mark. A quoted text holding a tab or line break breaks the line first.
CSV_QUOTED = r'^"(?:[^"]|"")*""(?:[^"]|"")*"$'


class TsvQuoting(Rule):
    id = "tsv-quoting"
    severity = WARNING
    description = "Texts of a .tsv file quoted as CSV quotes them: a .tsv has no quoting, so the quotes are text."
    fix = ("Write the file without quoting (pandas: `to_csv(sep='\\t', quoting=csv.QUOTE_NONE, escapechar=...)`), "
           "or name it .csv with `sep=','` so that its quoting is read (prep and `datasets` read .csv quoting).")

    def check(self, table, context) -> list[Finding]:
        if not table.source.name.lower().endswith(".tsv"):
            return []
        flagged = table.matching(CSV_QUOTED)
        if flagged.is_empty():
            return []
        texts = counted(flagged.height, "text looks", "texts look")
        return [self.found(flagged["line"], f"{texts} quoted as CSV quotes them, e.g. {flagged['text'][0][:60]!r}: "
                           "if so, the model trains on the quotes")]
