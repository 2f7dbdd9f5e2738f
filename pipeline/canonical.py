"""The canonical relational model every reader produces and every stage consumes.

Texts are stored once, keyed by the content hash of their normalised form (see `pipeline.normalize`), so
duplicate texts collapse and later stages can cache work per unique text. The tables are validated by the
pandera models in `schemas/`.
"""

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.input_rows import FilePart, InputRows, explode_roles, fail_on_null_text
from pipeline.instructions import INSTRUCTION_SCHEMA, instructions_of
from pipeline.normalize import normalize_texts

ROLES = ("query", "positive", "negative")


@dataclass(frozen=True)
class Canonical:
    """queries(query_id, text), corpus(doc_id, text), positives(query_id, doc_id, score, row),
    negatives(query_id, doc_id, score, rank, source, row), plus provenance of the input rows: a link's `row` is the
    first input row (or the text's own line, where the reader gives one) that holds the pair, so that a pair
    set aside, or one without a score, can be traced to the input. `fields` maps roles (and `positive_score`,
    `negative_score`) to the input's own names and `unit` says whether rows are lines, as in `InputRows`.

    `rows` has one entry per input row: `row`, `query_id` (null when the query is empty) and `first_exact`
    (the exact query text did not appear in an earlier row). `empty` lists (row, role, line) of every empty or
    whitespace-only text, which the tables leave out. `repeated` has one entry per later occurrence of a (query,
    text) pair of the same role, which the tables hold once with its first score: `role`, `row` and
    `other_score` (its score differs from the one kept). `instructions` holds FlagEmbedding's prompt and type per
    query (`pipeline.instructions`). `missing_negatives` is `InputRows.missing_negatives` (`pipeline.input_rows`),
    so that no input cell is dropped without a count. `parts` maps the rows of a folder read as one input to
    their files, as in `InputRows`.
    """

    queries: pl.DataFrame
    corpus: pl.DataFrame
    positives: pl.DataFrame
    negatives: pl.DataFrame
    rows: pl.DataFrame
    empty: pl.DataFrame
    sources: tuple[Path, ...] = field(default=())
    repeated: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={"role": pl.String, "row": pl.UInt32, "other_score": pl.Boolean}))
    instructions: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=INSTRUCTION_SCHEMA))
    fields: dict[str, str] = field(default_factory=dict)
    unit: str = "line"
    missing_negatives: int = 0
    parts: tuple[FilePart, ...] = ()

    def validate(self) -> "Canonical":
        """Run the pandera models with data checks; raises pandera's SchemaError on a broken invariant."""
        from schemas.canonical import CorpusModel, NegativesModel, PositivesModel, QueriesModel

        QueriesModel.validate(self.queries)
        CorpusModel.validate(self.corpus)
        PositivesModel.validate(self.positives)
        NegativesModel.validate(self.negatives)
        return self


def build_canonical(rows: InputRows, corpus_texts: pl.LazyFrame | None = None,
                    sources: tuple[Path, ...] = ()) -> Canonical:
    """Normalise, hash and split the rows into the canonical tables; `corpus_texts` (column `text`) adds
    documents that no row mentions, such as a BEIR corpus."""
    long = explode_roles(rows)
    fail_on_null_text(long, rows)
    if corpus_texts is not None:
        corpus_rows = corpus_texts.select(row=pl.lit(None, pl.UInt32), role=pl.lit("corpus"),
                                          rank=pl.lit(0, pl.Int64), text="text", score=pl.lit(None, pl.Float64),
                                          line=pl.lit(None, pl.UInt32))
        long = pl.concat([long, corpus_rows.collect()], how="vertical_relaxed")
    # Texts are normalised once per distinct raw text, keyed by an in-process 64-bit hash so that the big join
    # is on integers, not strings. The byte length travels along: a hash collision between texts of different
    # lengths is caught and the exact (slower) string join is used instead.
    long = long.with_columns(raw=pl.col("text").hash(), raw_bytes=pl.col("text").str.len_bytes())
    first_seen = long.select("raw", "raw_bytes", "text").filter(pl.col("raw").is_first_distinct())
    mapping = normalize_texts(first_seen.with_row_index("order").lazy()).collect()
    ids = long.drop("text").join(mapping.select("raw", "id", "raw_bytes", empty=pl.col("norm") == ""), on="raw",
                                 how="left", maintain_order="left", suffix="_mapped")
    if (ids["raw_bytes"] != ids["raw_bytes_mapped"]).any():
        distinct = long.lazy().select("text").unique(maintain_order=True).with_row_index("order")
        mapping = normalize_texts(distinct).collect()
        ids = long.join(mapping.select("text", "id", empty=pl.col("norm") == ""), on="text", how="left",
                        maintain_order="left").drop("text")
    del long, first_seen  # the exploded texts: the largest table here, not held while the tables below are built
    # A text is written as the input gives it (x², a code block's lines); its id is that of the normalised text, so
    # that the forms which normalise alike (x2, one line) are one text, written in the first form that
    # `explode_roles` lists: the queries' in row order, then the positives', the negatives', the corpus'.
    # Only the few ids with several forms are sorted: a sort of every text cost +40 MiB of peak RSS when encoding
    # 600,000 texts (`mine_scale.py --sizes 300000 --corpus 300000`); `_texts_of` orders the tables by id anyway.
    texts = mapping.filter(pl.col("norm") != "")
    alike = pl.col("id").is_duplicated()
    texts = pl.concat([texts.filter(~alike), texts.filter(alike).sort("order").unique("id", keep="first")]).select(
        "id", "text")
    del mapping
    query_rows = ids.filter(pl.col("role") == "query")
    by_row = query_rows.filter(~pl.col("empty")).select("row", query_id="id")
    row_table = query_rows.select("row", query_id=pl.when(~pl.col("empty")).then("id"),
                                  first_exact=pl.col("raw").is_first_distinct())
    empty = ids.filter(pl.col("empty")).select("row", "role", "line")
    kept = ids.filter(~pl.col("empty"))
    del ids, query_rows
    doc_ids = kept.filter(pl.col("role") != "query")["id"]
    docs = kept.filter(pl.col("role").is_in(["positive", "negative"])).join(by_row, on="row", maintain_order="left")
    del kept
    queries, corpus = _texts_of(by_row["query_id"], texts, "query_id"), _texts_of(doc_ids, texts, "doc_id")
    del texts, doc_ids
    return Canonical(
        queries=queries,
        corpus=corpus,
        positives=_links(docs, "positive").select("query_id", "doc_id", "score", row=pl.col("line")),
        negatives=_links(docs, "negative").select(
            "query_id", "doc_id", "score", pl.col("rank").cast(pl.UInt32), source=pl.lit(rows.negative_source),
            row=pl.col("line")),
        rows=row_table,
        empty=empty,
        sources=sources or (rows.path,),
        repeated=_repeats(docs),
        instructions=instructions_of(rows.frame, by_row),
        fields=rows.fields,
        unit=rows.unit,
        missing_negatives=rows.missing_negatives,
        parts=rows.parts,
    )


def _repeats(docs: pl.DataFrame) -> pl.DataFrame:
    """The occurrences of a (query, text) pair of one role after its first, which `_links` drops."""
    pair = ["query_id", "id", "role"]
    return docs.with_columns(kept=pl.col("score").first().over(pair)).filter(
        ~pl.struct(pair).is_first_distinct()).select("role", row=pl.col("line"),
                                                      other_score=pl.col("score").ne_missing(pl.col("kept")))


def _texts_of(ids: pl.Series, texts: pl.DataFrame, name: str) -> pl.DataFrame:
    """The texts of these ids, once each, sorted by id (a deterministic order that costs no bookkeeping)."""
    wanted = ids.unique().to_frame("id")
    return texts.join(wanted, on="id", how="semi").unique("id").sort("id").rename({"id": name})


def _links(docs: pl.DataFrame, role: str) -> pl.DataFrame:
    """(query_id, doc_id) pairs of one role, once each, first occurrence kept (its score and rank)."""
    links = docs.filter(pl.col("role") == role).rename({"id": "doc_id"})
    return links.filter(pl.struct("query_id", "doc_id").is_first_distinct())
