"""The rows of a run accounted for, for `manifest.json`: per stage, the rows in, out and rejected by reason, which
reconcile (`rows_in == rows_out + rows_rejected`); input rows that yield nothing go to rejects.parquet."""

import polars as pl

from pipeline.canonical import ROLES, Canonical
from pipeline.input_rows import FilePart, row_place
from pipeline.output import Output
from pipeline.stages.batches import SET_ASIDE
from pipeline.unusable_negatives import Unusable, unusable_negatives, unusable_summary
from pipeline.wording import counted


def rejected_rows(canon: Canonical, negatives_kept: bool = False, unusable: Unusable | None = None) -> pl.DataFrame:
    """Input rows that yield nothing: an empty query, or no positive at all (with `negatives_kept`, for
    labeled pairs, a query with only negatives still yields its pairs scored 0, unless its only negative is its
    own text: `negative_is_anchor`, or a positive the other way round: `negative_is_reversed_positive`, among
    `unusable`, found once by the caller). Each with its query's text as `anchor` (null for an empty query)."""
    anchor_negatives = canon.negatives.filter(pl.col("doc_id") == pl.col("query_id"))["query_id"].implode()
    reversed_negatives = (unusable.reversed_ if negatives_kept and unusable else canon.negatives.clear())["query_id"]
    rows = canon.rows.with_columns(
        reason=pl.when(pl.col("query_id").is_null()).then(pl.lit("empty_query"))
        .when(pl.col("query_id").is_in(_yielding(canon, negatives_kept, unusable).implode())).then(None)
        .when(negatives_kept & pl.col("query_id").is_in(anchor_negatives)).then(pl.lit("negative_is_anchor"))
        .when(negatives_kept & pl.col("query_id").is_in(reversed_negatives.implode()))
        .then(pl.lit("negative_is_reversed_positive"))
        .otherwise(pl.lit("no_positive")))
    rows = rows.filter(pl.col("reason").is_not_null()).join(  # the query's text, where it has one
        canon.queries.select("query_id", anchor="text"), on="query_id", how="left", maintain_order="left")
    return rows.select(
        pl.col("row").cast(pl.Int64), "anchor", "reason",
        detail=pl.when(pl.col("reason") == "negative_is_anchor")
        .then(pl.lit("the input row's only negative is its query's own text, which is never a pair"))
        .when(pl.col("reason") == "negative_is_reversed_positive")
        .then(pl.lit("the input row's only negative is a positive the other way round (a pair loss scores the cosine, "
                     "the same either way round): the pair is kept as that positive"))
        .otherwise(pl.lit("the input row has no usable (query, positive) pair")))


def _yielding(canon: Canonical, negatives_kept: bool, unusable: Unusable | None) -> pl.Series:
    negatives = canon.negatives.filter(pl.col("doc_id") != pl.col("query_id"))  # the query's own text: no pair
    if negatives_kept and unusable:  # nor a positive the other way round, which labeled pairs keep as that positive
        negatives = negatives.join(unusable.reversed_, on=["query_id", "doc_id"], how="anti")
    queries = [canon.positives["query_id"], *([negatives["query_id"]] if negatives_kept else [])]
    return pl.concat(queries).unique()


def stage_counts(canon: Canonical, output: Output, negatives_kept: bool = False,
                 unusable: Unusable | None = None) -> list[dict]:
    """rows_in == rows_out + rows_rejected, per stage, with the check written down. Rows that conflict-free
    batches set aside are counted in a `batches` stage, in the layout's rows: a triplet pair has a row per
    negative and may lose some of them only, so in pairs they would not add up. `unusable`: as the caller found
    them (prep run's are found here)."""
    unusable = unusable or unusable_negatives(canon)
    batched = output.rejects["reason"] == SET_ASIDE
    pair_rejects = output.rejects.filter(~batched)
    rejected = rejected_rows(canon, negatives_kept, unusable)
    # Counted apart from the rejects: input rows whose query kept at least one pair.
    with_pairs = int(canon.rows["query_id"].is_in(_yielding(canon, negatives_kept, unusable).implode()).sum())
    pairs, pairs_out = canon.positives.height, output.laid_out[0]
    read = {"stage": "read", "unit": "input rows", "rows_in": canon.rows.height, "rows_out": with_pairs,
            "rows_rejected": rejected.height, "reconciled": canon.rows.height == with_pairs + rejected.height,
            "rejected_by_reason": _by_reason(rejected),
            # empty or whitespace-only texts are not texts: counted here (report.json lists them), never paired
            "empty_texts": {role: int((canon.empty["role"] == role).sum()) for role in ROLES},
            # texts of --corpus or a BEIR corpus.jsonl that are empty or whitespace-only: no document, left out
            "empty_corpus_texts": int((canon.empty["role"] == "corpus").sum()),
            # null negative_k cells (a CSV empty cell among them): negatives the row lacks, not texts
            "missing_negatives": canon.missing_negatives,
            "repeated_pairs": _repeated(canon.repeated, canon.parts),
            "note": "rows repeating a query are merged into that query; their positives and negatives are kept, "
                    "a (query, text) pair given again once, with its first score"}
    read |= _empty_texts(canon, read["empty_texts"]) | unusable_summary(canon, unusable)
    repeated = canon.repeated.sort("row")
    other = repeated.filter("other_score")
    if repeated.height:  # else a pairs file loses rows without a word: STS-B's train has 43 pairs given twice
        again = (f"{counted(repeated.height, '(query, text) pair', '(query, text) pairs')} given again "
                 f"{'is' if repeated.height == 1 else 'are'} kept once")
        if other.height:
            pairs_have = "pair has" if other.height == 1 else "pairs have"
            their = "its" if other.height == 1 else "their"
            again += (f"; {other.height:,} repeated (query, text) {pairs_have} another score than {their} first "
                      f"occurrence, which is kept (the first such repeat: {row_place(canon.parts, other['row'][0])})")
        else:
            again += f" (the first repeat: {row_place(canon.parts, repeated['row'][0])})"
        read["message"] = f"{again}; manifest: stages.read.repeated_pairs"
    return [
        read,
        {"stage": "layout", "unit": "(query, positive) pairs", "rows_in": pairs, "rows_out": pairs_out,
         "rows_rejected": pair_rejects.height, "reconciled": pairs == pairs_out + pair_rejects.height,
         "rejected_by_reason": _by_reason(pair_rejects)},
        *_batches_stage(output, output.rejects.filter(batched)),
    ]


def _batches_stage(output: Output, set_aside: pl.DataFrame) -> list[dict]:
    if output.batches is None:
        return []
    rows_in, rows_out = output.laid_out[1], output.layout.rows.height
    return [{"stage": "batches", "unit": "rows", "rows_in": rows_in, "rows_out": rows_out,
             "rows_rejected": set_aside.height, "reconciled": rows_in == rows_out + set_aside.height,
             "rejected_by_reason": _by_reason(set_aside)}]


def _empty_texts(canon: Canonical, counts: dict[str, int]) -> dict:
    """Where the empty texts were (each text's own line, as a BEIR qrels line), and the console line that says
    they are left out: without it a pair with an empty text vanished from the output without a word."""
    empty = canon.empty.filter(pl.col("role").is_in(ROLES))  # not a BEIR corpus's unjudged documents
    if empty.is_empty():
        return {}
    rows = empty["line" if "line" in empty.columns else "row"].cast(pl.Int64).unique().sort()
    roles = ", ".join(f"{role} {n:,}" for role, n in counts.items() if n)
    return {"rows_with_empty_texts": rows.head(20).to_list(),
            "empty_texts_message": f"left out {empty.height:,} empty or whitespace-only "
                                   f"text{'s' if empty.height > 1 else ''} ({roles}) from the output "
                                   f"(the first: {row_place(canon.parts, rows[0])}); "
                                   "manifest: stages.read.empty_texts"}


def _by_reason(rejects: pl.DataFrame) -> dict[str, int]:
    """{reason: count}, the most frequent first."""
    counts = rejects["reason"].value_counts().sort(["count", "reason"], descending=[True, False])
    return dict(counts.iter_rows())


def _repeated(repeated: pl.DataFrame, parts: tuple[FilePart, ...]) -> dict:
    """Counts per role; the first 20 rows with another score, and for a folder where each is (`FILE line L`)."""
    counts = {role: int((repeated["role"] == role).sum()) for role in ROLES[1:]}
    rows = repeated.filter("other_score").sort("row")["row"].cast(pl.Int64)
    places = {"places_with_another_score": [row_place(parts, row) for row in rows.head(20)]} if parts else {}
    return counts | {"with_another_score": rows.len(), "rows_with_another_score": rows.head(20).to_list()} | places
