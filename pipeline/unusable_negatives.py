"""Given negatives that cannot be negatives of their query, found once per run or convert and passed on: each kind
is dropped from the negatives, counted in the manifest and said on the console, and the rows left with no pair by
them are rejected with their reason. Finding them joins the negatives with a hash table of the positives, which at
scale is the costly part: callers take the `Unusable` they are given rather than finding them again."""

from dataclasses import dataclass

import polars as pl

from pipeline.canonical import Canonical
from pipeline.input_rows import row_place
from pipeline.wording import counted


@dataclass(frozen=True)
class Unusable:
    """Each of the frames holds negatives (rows of `Canonical.negatives`), each negative in one of them at most."""
    positive: pl.DataFrame  # also a positive of the same query, which stays a positive
    reversed_: pl.DataFrame  # labeled pairs: a kept positive the other way round, which stays that positive
    query: pl.DataFrame  # the query's own text

    def all(self) -> pl.DataFrame:
        return pl.concat([self.positive, self.reversed_, self.query])


def unusable_negatives(canon: Canonical, kept_positives: pl.DataFrame | None = None) -> Unusable:
    """Those that are a positive of the same query (a pair scored above 0 and again at 0); with `kept_positives`
    (labeled pairs: their losses score the cosine, the same either way round, so lint's conflicting-label reads
    (a, b) and (b, a) as one pair) those that are one of these positives the other way round; then the query's own
    text. Only the positives the output keeps: one that --positives first or sample:N leaves out is in no pair of
    the output, and the negative, its input row's pair, is kept rather than lost with it."""
    if canon.negatives.is_empty():  # no join over the positives, which at scale costs a hash table of them all
        return Unusable(canon.negatives, canon.negatives, canon.negatives)
    link = ["query_id", "doc_id"]
    positive = canon.negatives.join(canon.positives, on=link, how="semi")
    reversed_ = canon.negatives.clear()
    if kept_positives is not None:
        other_way = kept_positives.select(query_id="doc_id", doc_id="query_id")
        reversed_ = canon.negatives.join(positive, on=link, how="anti").join(other_way, on=link, how="semi")
    query = canon.negatives.filter(pl.col("doc_id") == pl.col("query_id")).join(positive, on=link, how="anti")
    return Unusable(positive, reversed_, query)


def unusable_summary(canon: Canonical, unusable: Unusable) -> dict:
    """The counts for the manifest's read stage, and a message that says where the first one is, rather than only
    counting them: a row left short of K by them is rejected as short, which alone would not say why."""
    both = unusable.all()
    if both.is_empty():
        return {}
    said = ((unusable.positive.height, "also its positive"), (unusable.reversed_.height, "a positive the other way "
            "round"), (unusable.query.height, "the query's own text"))
    kinds = [f"{count:,} {'is' if count == 1 else 'are'} {what}" for count, what in said if count]
    rows = both["row"].drop_nulls().sort()
    first = f"; the first: {row_place(canon.parts, rows[0])}" if rows.len() else ""
    cannot = "a negative of its query" if both.height == 1 else "negatives of their query"
    return {"negatives_that_are_positives": unusable.positive.height,
            "negatives_that_are_reversed_positives": unusable.reversed_.height,
            "negatives_that_are_the_query": unusable.query.height,
            "contradiction_message": f"{counted(both.height, 'negative', 'negatives')} given in the input cannot be "
                                     f"{cannot}: {', '.join(kinds)}{first}; manifest: stages.read"}
