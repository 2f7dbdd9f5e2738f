"""conflicting-label: a (query, text) pair that one row labels a positive and another a negative."""

import polars as pl

from pipeline.lint.folder import file_rows, folder_of, folder_texts, once_for_folder, place_of
from pipeline.lint.layouts import st_inputs
from pipeline.lint.losses import CLASS
from pipeline.lint.rule import ERROR, Finding, Rule
from pipeline.readers.files import ROW

CROSS_ENCODER_PAIR_LOSSES = ("BinaryCrossEntropyLoss", "CrossEntropyLoss")  # (query, passage): order is the input


class ConflictingLabel(Rule):
    id = "conflicting-label"
    severity = ERROR
    description = ("A (query, text) pair is a positive in one row and a negative in another (a pair scored above 0 "
                   "and again at 0, in labeled pairs either way round): the labels contradict each other.")
    fix = ("Keep the right label and drop the other row; prep run and prep convert keep such a pair as a positive "
           "and say so (manifest: stages.read.negatives_that_are_positives).")

    def check(self, table, context) -> list[Finding]:
        if context.loss is not None and any(form.label == CLASS for form in context.loss.forms):
            # the same texts after normalisation, as run and convert find them (not texts that differ in case only)
            return self._classes(table, table.texts.filter(pl.col("id").is_not_null()))
        # A bi-encoder's pair loss scores the cosine, the same either way round: (a, b) at 1 contradicts (b, a) at 0.
        either_order = table.layout == "labeled-pair" and context.options.loss not in CROSS_ENCODER_PAIR_LOSSES
        # A folder of JSON files is one dataset to a trainer: a positive in one file contradicts a negative in another.
        tables = folder_of(table, context)
        clashes = once_for_folder(context, (self.id, either_order), table, tables,
                                  lambda: _clashes(tables, either_order))
        number = place_of(table, tables)
        clash = clashes.filter(pl.col("file") == number)
        if clash.is_empty():
            return []
        lines = file_rows(clash["line"], number)
        elsewhere = int((~clash["same_file"]).sum())
        if elsewhere:
            where = f" ({elsewhere:,} of them in another file of the folder, which a trainer reads as one dataset)"
        else:
            where = ""
        if either_order:
            said = "pair labelled 0 is" if clash.height == 1 else "pairs labelled 0 are"
            return [self.found(lines, f"{clash.height:,} {said} labelled above 0 in another row, in the same "
                               f"or the other order{where}", fix="Keep the right label and drop the other row: a pair "
                               "loss scores the cosine of the two texts, the same either way round.")]
        said = "negative is a positive of its query" if clash.height == 1 else "negatives are positives of their query"
        return [self.found(lines, f"{clash.height:,} {said} in another row{where}")]

    def _classes(self, table, texts: pl.DataFrame) -> list[Finding]:
        """A class loss (SoftmaxLoss: NLI's entailment, neutral, contradiction) reads each pair's class as given: a
        pair given again with another class contradicts it, whichever classes they are."""
        _, label = st_inputs(table.source.schema)
        if label is None or label not in table.frame.columns:
            return []
        pairs = (texts.filter(pl.col("role") == "anchor").select(ROW, "line", anchor="id")
                 .join(texts.filter(pl.col("role") != "anchor").select(ROW, "id"), on=ROW)
                 .join(table.frame.select(ROW, label=label), on=ROW).sort(ROW))
        clash = pairs.filter(pl.col("label") != pl.col("label").first().over("anchor", "id"))
        if clash.is_empty():
            return []
        said = "pair is given" if clash.height == 1 else "pairs are given"
        return [self.found(clash["line"], f"{clash.height:,} {said} again with another class than its first row's",
                           fix="Keep the right class and drop the other rows.")]


def _clashes(tables: tuple, either_order: bool) -> pl.DataFrame:
    """(line, file, same_file) of each negative that another row of `tables` labels a positive for its query, rows
    numbered as `folder_texts` numbers them; `same_file`: a row of its own file does."""
    # the same texts after normalisation, as run and convert find them (not texts that differ in case only)
    texts = folder_texts(tables, lambda table: table.texts.filter(pl.col("id").is_not_null())
                         .select(ROW, "line", "role", "id"))
    anchors = texts.filter(pl.col("role") == "anchor").select(ROW, anchor="id")
    if not either_order:
        anchors = anchors.filter(pl.col("anchor").is_duplicated())  # a query in one row only has no other row
    pairs = texts.filter(pl.col("role") != "anchor").join(anchors, on=ROW).select(ROW, "line", "file", "role",
                                                                                    "anchor", "id")
    positives = pairs.filter(pl.col("role") == "positive")
    known = positives.select("anchor", "id", "file")
    if either_order:
        known = pl.concat([known, known.select(anchor="id", id="anchor", file="file")])
    clash = (pairs.filter(pl.col("role") == "negative")  # within one row it is positive-in-negatives' finding
             .join(positives.select(ROW, "anchor", "id"), on=[ROW, "anchor", "id"], how="anti")
             .join(known.select("anchor", "id").unique(), on=["anchor", "id"], how="semi"))
    same = known.unique().with_columns(same_file=pl.lit(True))
    return (clash.join(same, on=["anchor", "id", "file"], how="left")
            .select("line", "file", same_file=pl.col("same_file").fill_null(False)))
