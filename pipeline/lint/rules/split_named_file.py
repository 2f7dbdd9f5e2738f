"""split-named-file: in a folder of JSON files, a file whose name says a split other than train (test.jsonl,
dev.jsonl), which datasets would read apart while the folder is trained on whole."""

from pathlib import Path

from pipeline.lint.rule import WARNING, Finding, Rule
from pipeline.readers.file_splits import other_split_files


class SplitNamedFile(Rule):
    id = "split-named-file"
    severity = WARNING
    description = ("A file of a folder of JSON files whose name says a split other than train (datasets' own rules: "
                   "test, validation/dev/valid, ...): load_dataset(\"json\", data_dir=FOLDER) reads it as that split, "
                   "but prep run/convert and FlagEmbedding's --train_data read the folder whole, its rows as "
                   "training data.")
    fix = ("If it is eval data, give the train file alone as DATA, or move the file out of the folder; if it is "
           "training data (FlagEmbedding's hotpot_dev.jsonl), nothing to do.")

    def applies(self, table, context) -> bool:
        return any(other is table for other in context.folder)

    def check(self, table, context) -> list[Finding]:
        file = Path(table.source.name)
        files = [Path(other.source.name) for other in context.folder]
        split = next((split for split, chosen in other_split_files(file.parent, files).items() if file in chosen), None)
        if split is None:
            return []
        return [self.found([], f"{file.name}'s name says the {split} split: load_dataset(\"json\", data_dir=...) "
                           f"reads it as that split, but the folder is read whole (prep run and convert, "
                           f"FlagEmbedding's --train_data), its {table.rows:,} rows trained on with the rest",
                           count=table.rows)]
