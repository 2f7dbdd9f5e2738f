"""text-too-long: texts over the encoder's max_seq_length in its own tokens; training truncates them."""

import numpy as np
import polars as pl

from pipeline.lint.rule import WARNING, Finding, Rule

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
        texts = table.texts.filter(pl.col("text").is_not_null())
        candidates = texts.filter(pl.col("text").str.len_bytes() + SLACK > limit).unique("raw")
        if candidates.is_empty():
            return []
        lengths = counter.count(candidates["text"].to_list())
        over = candidates.filter(pl.Series(lengths > limit))
        if over.is_empty():
            return []
        flagged = texts.filter(pl.col("raw").is_in(over["raw"].implode()))
        by_role = ", ".join(f"{role} {n:,}" for role, n in
                            flagged.group_by("role", maintain_order=True).len().iter_rows())
        return [self.found(flagged["line"], f"texts over {limit} tokens ({counter.name}): {by_role}; the longest has "
                           f"{int(np.max(lengths)):,} tokens")]
