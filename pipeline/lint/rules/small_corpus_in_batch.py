"""small-corpus-in-batch: too few distinct queries or positives for --batch-size to keep in-batch negatives real."""

import polars as pl

from pipeline.lint.rule import WARNING, Finding, Rule, in_batch
from pipeline.wording import counted


class SmallCorpusInBatch(Rule):
    id = "small-corpus-in-batch"
    severity = WARNING
    description = "Fewer distinct queries or positives than --batch-size: every batch repeats texts."
    fix = "Lower --batch-size (and the trainer's per_device_train_batch_size), or add data."

    def applies(self, table, context) -> bool:
        return context.options.batch_size is not None and in_batch(table, context)

    def check(self, table, context) -> list[Finding]:
        batch = context.options.batch_size
        # distinct as the encoder sees them (an uncased tokenizer's lowercase), as duplicate-query counts them
        texts, key = table.keyed(context.folds_case, context.strips_accents)
        texts = texts.filter(pl.col("id").is_not_null())
        queries = texts.filter(pl.col("role") == "anchor")[key].n_unique()
        positives = texts.filter(pl.col("role") == "positive")[key].n_unique()
        if min(queries, positives) >= batch:
            return []
        sizes = f"{counted(queries, 'distinct query', 'distinct queries')} and " \
                f"{counted(positives, 'distinct positive', 'distinct positives')}"
        return [self.found([], f"{sizes} for batches of {batch}: batches cannot be filled without repeating texts",
                           count=table.rows)]
