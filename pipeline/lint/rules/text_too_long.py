"""text-too-long: texts over the encoder's max_seq_length in its own tokens; training truncates them."""

import numpy as np
import polars as pl

from pipeline.lint.rule import WARNING, Finding, Rule
from pipeline.wording import counted

# A token covers at least one byte, but for a word-start marker and the special tokens: a text with fewer bytes
# than max_seq_length - SLACK cannot be over the limit and is not tokenised (Unicode expansions by the
# tokenizer's own normaliser aside).
SLACK = 8


class TextTooLong(Rule):
    id = "text-too-long"
    severity = WARNING
    description = "Texts longer than the encoder's max_seq_length (special tokens included): truncated in training."
    fix = "Split or shorten long documents, or raise max_seq_length if the model supports it."

    def check(self, table, context) -> list[Finding]:
        counter = context.token_counter
        limit = counter.max_seq_length
        if limit is None:  # StaticEmbedding truncates nothing
            return []
        # Each text as encoded: a query with the query prompt, the others with the document prompt.
        texts = table.texts.filter(pl.col("text").is_not_null()).with_columns(
            encoded_as=pl.when(pl.col("role") == "anchor").then(pl.lit("query")).otherwise(pl.lit("document")))
        slack = SLACK + max(len((prompt or "").encode()) for prompt in counter.prompts)
        candidates = texts.filter(pl.col("text").str.len_bytes() + slack > limit).unique(["raw", "encoded_as"])
        if candidates.is_empty():
            return []
        parts = candidates.partition_by("encoded_as", as_dict=True)
        lengths = {key[0]: counter.count(part["text"].to_list(), key[0]) for key, part in parts.items()}
        over = pl.concat([part.filter(pl.Series(lengths[key[0]] > limit)) for key, part in parts.items()])
        if over.is_empty():
            return []
        flagged = texts.join(over.select("raw", "encoded_as"), on=["raw", "encoded_as"], how="semi",
                             maintain_order="left")
        # Distinct normalised texts per role, as prep report's over_max_seq_length counts them: mined data repeats
        # one passage across many rows, whose cells are counted apart.
        by_role = ", ".join(f"{role} {n:,}" for role, n in flagged.unique(["role", "id"], maintain_order=True)
                            .group_by("role", maintain_order=True).len().iter_rows())
        return [self.found(flagged["line"], f"distinct texts over {limit} tokens ({counter.name}): {by_role} "
                           f"({counted(flagged.height, 'cell', 'cells')}); the longest has "
                           f"{int(max(np.max(found) for found in lengths.values())):,} tokens")]
