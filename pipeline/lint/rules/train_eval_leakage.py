"""train-eval-leakage: queries or positives of the --eval data that the training data holds too."""

import polars as pl

from pipeline.lint.rule import ERROR, Finding, Rule
from pipeline.wording import counted


class TrainEvalLeakage(Rule):
    id = "train-eval-leakage"
    severity = ERROR
    description = "Eval queries or positives in the training data (exact, normalised; near-duplicate with --deep)."
    fix = "Remove these rows from the training data, or split train and eval by query before preparing them."

    def applies(self, table, context) -> bool:
        return context.eval_texts is not None

    def check(self, table, context) -> list[Finding]:
        held_out = context.eval_texts.filter(pl.col("id").is_not_null())
        texts = table.texts.filter(pl.col("id").is_not_null())
        eval_queries = held_out.filter(pl.col("role") == "anchor")
        eval_positives = held_out.filter(pl.col("role") == "positive")["id"].unique()
        queries = texts.filter((pl.col("role") == "anchor") & pl.col("id").is_in(eval_queries["id"].implode()))
        positives = texts.filter((pl.col("role") == "positive") & pl.col("id").is_in(eval_positives.implode()))
        # A text's own line: in a BEIR folder a leaked positive's qrels line, not its query's first.
        found = {"an eval query": queries["line"], "an eval positive (exact or after normalisation)": positives["line"]}
        if context.options.deep:
            near = _near_queries(texts.filter(pl.col("role") == "anchor"), eval_queries, context)
            found["a near-duplicate of an eval query"] = near["line"]
        flagged = pl.concat(found.values())
        if flagged.is_empty():
            return []
        return [self.found(flagged, "; ".join(f"{counted(lines.n_unique(), 'row holds', 'rows hold')} {what}"
                                              for what, lines in found.items() if lines.len()))]


def _near_queries(anchors: pl.DataFrame, eval_queries: pl.DataFrame, context) -> pl.DataFrame:
    """Training anchors within --threshold cosine of an eval query (exact matches included)."""
    from pipeline.config import MiningConfig
    from pipeline.lint.deep import distinct_texts, embed
    from pipeline.stages.index import build_index

    train, held_out = distinct_texts(anchors), distinct_texts(eval_queries)
    if train.is_empty() or held_out.is_empty():
        return anchors.clear()
    best, _ = build_index(embed(held_out, context), MiningConfig()).search(embed(train, context), 1)
    close = train.filter(pl.Series(best[:, 0] >= context.options.threshold))
    return anchors.filter(pl.col("id").is_in(close["id"].implode()) & ~pl.col("id").is_in(eval_queries["id"].implode()))
