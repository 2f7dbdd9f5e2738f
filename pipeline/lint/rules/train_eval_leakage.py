"""train-eval-leakage: queries or positives of the --eval data that the training data holds too."""

import polars as pl

from pipeline.lint.rule import ERROR, WARNING, Finding, Rule
from pipeline.readers.files import ROW
from pipeline.wording import counted


class TrainEvalLeakage(Rule):
    id = "train-eval-leakage"
    severity = ERROR
    description = "Eval queries or positives in the training data (exact, normalised; near-duplicate with --deep)."
    fix = "Remove these rows from the training data, or split train and eval by query before preparing them."

    def applies(self, table, context) -> bool:
        return context.eval_texts is not None

    def check(self, table, context) -> list[Finding]:
        texts, key = table.keyed(context.folds_case, context.strips_accents)  # eval_texts carry the same key
        held_out = context.eval_texts.filter(pl.col("id").is_not_null())
        texts = texts.filter(pl.col("id").is_not_null())
        if table.layout == "labeled-pair":
            return self._scored_pairs(texts, held_out, key)
        eval_queries = held_out.filter(pl.col("role") == "anchor")
        eval_positives = held_out.filter(pl.col("role") == "positive")[key].unique()
        queries = texts.filter((pl.col("role") == "anchor") & pl.col(key).is_in(eval_queries[key].implode()))
        positives = texts.filter((pl.col("role") == "positive") & pl.col(key).is_in(eval_positives.implode()))
        # A text's own line: in a BEIR folder a leaked positive's qrels line, not its query's first.
        found = {_case_only("an eval query", queries, held_out, context): queries["line"],
                 _case_only("an eval positive (exact or after normalisation)", positives, held_out, context):
                 positives["line"]}
        if context.options.deep:
            near = _near_queries(texts.filter(pl.col("role") == "anchor"), eval_queries, key, context)
            found["a near-duplicate of an eval query"] = near["line"]
        flagged = pl.concat(found.values())
        if flagged.is_empty():
            return []
        return [self.found(flagged, "; ".join(f"{counted(lines.n_unique(), 'row holds', 'rows hold')} {what}"
                                              for what, lines in found.items() if lines.len()))]

    def _scored_pairs(self, texts: pl.DataFrame, held_out: pl.DataFrame, key: str) -> list[Finding]:
        """A labeled pair's score is of the pair: a sentence of an eval pair that recurs in another training pair
        (STS-B's short captions do: 443 of its 5,749 training rows against its test split) is no leakage, the pair
        itself is (17 rows): an error for the pairs, a warning for the sentences. An eval row of another layout
        gives a pair per text (its anchor with each)."""
        train, evaluated = _pairs(texts, [], key), _pairs(held_out, ["table"], key)
        leaked = train.join(evaluated, on=["low", "high"], how="semi")["line"]
        shared = texts.filter(pl.col(key).is_in(held_out[key].implode()) & ~pl.col("line").is_in(leaked.implode()))
        findings = []
        if leaked.len():
            findings.append(self.found(leaked, f"{counted(leaked.n_unique(), 'row holds', 'rows hold')} a pair of the "
                                       "eval data (either order, exact or after normalisation)"))
        if shared.height:
            sharing = counted(shared["line"].n_unique(), "row shares", "rows share")
            findings.append(self.found(shared["line"], f"{sharing} a sentence with an eval pair, not the pair",
                                       severity=WARNING,
                                       fix="Fine for scored pairs, whose label is of the pair; split by sentence if "
                                       "the eval must hold unseen sentences."))
        return findings


def _pairs(texts: pl.DataFrame, tables: list[str], key: str) -> pl.DataFrame:
    """Each row's anchor with each other text of the row (a labeled pair scored 0 has its second text as a
    negative), unordered (low, high `key`), with the row's line; a row is (*tables, ROW)."""
    anchors = texts.filter(pl.col("role") == "anchor").select(*tables, ROW, "line", anchor=key)
    positives = texts.filter(pl.col("role") != "anchor").select(*tables, ROW, positive=key)
    both = ("anchor", "positive")
    return anchors.join(positives, on=[*tables, ROW]).select("line", low=pl.min_horizontal(both),
                                                             high=pl.max_horizontal(both))


def _case_only(what: str, found: pl.DataFrame, held_out: pl.DataFrame, context) -> str:
    """`what` the rows `found` hold, with how many hold it only as an uncased tokenizer sees it (another case or
    accents), so that a user who compares the texts sees why they match; the words in brackets go where all do."""
    rows = found.filter(~pl.col("id").is_in(held_out["id"].implode()))["line"].n_unique()
    if not rows:
        return what
    if rows == found["line"].n_unique():
        what = what.split(" (")[0]
    kind, does = ("case or accents", "lowercases and strips accents") if context.strips_accents else \
        ("case", "lowercases")
    return (f"{what} ({counted(rows, 'row', 'rows')} differing only in {kind}: {context.token_counter.name}'s "
            f"tokenizer {does}, the encoder sees one text)")


def _near_queries(anchors: pl.DataFrame, eval_queries: pl.DataFrame, key: str, context) -> pl.DataFrame:
    """Training anchors within --threshold cosine of an eval query, but for those equal to one (by `key`)."""
    from pipeline.config import MiningConfig
    from pipeline.lint.deep import distinct_texts, embed
    from pipeline.stages.index import build_index

    train, held_out = distinct_texts(anchors), distinct_texts(eval_queries)
    if train.is_empty() or held_out.is_empty():
        return anchors.clear()
    index = build_index(embed(held_out, context, "query"), MiningConfig())
    best, _ = index.search(embed(train, context, "query"), 1)
    close = train.filter(pl.Series(best[:, 0] >= context.options.threshold))
    return anchors.filter(pl.col("id").is_in(close["id"].implode()) & ~pl.col(key).is_in(eval_queries[key].implode()))
