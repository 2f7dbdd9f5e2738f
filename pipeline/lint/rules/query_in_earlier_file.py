"""query-in-earlier-file: in a folder of JSON files, rows whose query an earlier file (in name order) already holds."""

import polars as pl

from pipeline.lint.rule import WARNING, Finding, Rule, in_batch
from pipeline.readers.files import ROW
from pipeline.wording import counted


class QueryInEarlierFile(Rule):
    id = "query-in-earlier-file"
    severity = WARNING
    description = ("A query in several files of a folder: a trainer that reads the folder as one dataset "
                   "(FlagEmbedding's --train_data, datasets' load_dataset(\"json\", data_dir=...)) can meet the query "
                   "twice in a batch.")
    fix = ("Merge each query's rows into one file: `prep run FOLDER` and `prep convert FOLDER` read the folder as "
           "one input and merge them.")

    def applies(self, table, context) -> bool:
        return context.earlier_queries is not None and in_batch(table, context)

    def check(self, table, context) -> list[Finding]:
        anchors = table.texts.filter((pl.col("role") == "anchor") & pl.col("id").is_not_null()).select(ROW, "id")
        seen = anchors.join(context.earlier_queries, on="id", how="inner", maintain_order="left")
        if seen.is_empty():
            return []
        first = seen.row(0, named=True)
        repeat = counted(seen.height, "row repeats", "rows repeat")
        return [self.found(seen[ROW], f"{repeat} a query of an earlier file (the first such row: {table.source.unit} "
                           f"{first[ROW]}, its query first at {first['file']} {first['unit']} {first['line']}). "
                           f"{_consequence(table.layout)}")]


def _consequence(layout: str) -> str:
    """What the repeat does to training, in the words of the trainer that reads this layout."""
    if layout == "flag":
        return ("FlagEmbedding trains on the folder as one dataset: without --same_dataset_within_batch each row's "
                "positive can be the other's in-batch false negative; with it, the query is trained once per file in "
                "every epoch")
    return ("Loaded as one dataset (datasets' load_dataset(\"json\", data_dir=FOLDER)), the folder holds the query in "
            "several rows: in a batch, each row's positive can be the other's in-batch false negative")
