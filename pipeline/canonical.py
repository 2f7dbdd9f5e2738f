"""The canonical relational model every reader produces and every stage consumes.

Texts are stored once, keyed by the content hash of their normalised form (see `pipeline.normalize`), so
duplicate texts collapse and later stages can cache work per unique text. The tables are validated by the
pandera models in `schemas/`.
"""

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.errors import InputError
from pipeline.instructions import INSTRUCTION_SCHEMA, instructions_of
from pipeline.normalize import normalize_texts

ROLES = ("query", "positive", "negative")


@dataclass(frozen=True)
class InputRows:
    """What a reader yields: one row per input record, texts still raw.

    `frame` has `row` (1-based), `query` (str), `positive` and `negative` (list[str]) and, where the input has
    them, `positive_score` / `negative_score` (list[f64], as long as their text lists), and `prompt` / `type`
    (FlagEmbedding's per-row instruction and data type, str). A reader whose row gathers
    several input lines (BEIR: a query's qrels) adds `positive_line` (list[u32]), each positive's own line.
    `fields` maps each role to the user's own column name, so errors speak the user's language.
    `missing_negatives` counts the null negative_k cells (negatives the row lacks) that `frame` leaves out.
    """

    frame: pl.DataFrame
    path: Path
    fields: dict[str, str]
    unit: str = "line"
    negative_source: str = "input"  # "qrels" for judged non-relevant BEIR documents
    missing_negatives: int = 0


@dataclass(frozen=True)
class Canonical:
    """queries(query_id, text), corpus(doc_id, text), positives(query_id, doc_id, score, row),
    negatives(query_id, doc_id, score, rank, source, row), plus provenance of the input rows: a link's `row` is the
    first input row (or the positive's own line, where the reader gives one) that holds the pair, so that a pair
    set aside, or one without a score, can be traced to the input. `fields` maps roles (and `positive_score`,
    `negative_score`) to the input's own names and `unit` says whether rows are lines, as in `InputRows`.

    `rows` has one entry per input row: `row`, `query_id` (null when the query is empty) and `first_exact`
    (the exact query text did not appear in an earlier row). `empty` lists (row, role) of every empty or
    whitespace-only text, which the tables leave out. `repeated` has one entry per later occurrence of a (query,
    text) pair of the same role, which the tables hold once with its first score: `role`, `row` and
    `other_score` (its score differs from the one kept). `instructions` holds FlagEmbedding's prompt and type per query
    (`pipeline.instructions`).
    `missing_negatives` is `InputRows.missing_negatives`, so that no input cell is dropped without a count.
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
    long = _explode_roles(rows)
    _fail_on_null_text(long, rows)
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
    mapping = normalize_texts(first_seen.lazy()).collect()
    ids = long.drop("text").join(mapping.select("raw", "id", "raw_bytes", empty=pl.col("norm") == ""), on="raw",
                                 how="left", maintain_order="left", suffix="_mapped")
    if (ids["raw_bytes"] != ids["raw_bytes_mapped"]).any():
        mapping = normalize_texts(long.lazy().select("text").unique()).collect()
        ids = long.join(mapping.select("text", "id", empty=pl.col("norm") == ""), on="text", how="left",
                        maintain_order="left").drop("text")
    del long, first_seen  # the exploded texts: the largest table here, not held while the tables below are built
    texts = mapping.filter(pl.col("norm") != "").select("id", text="norm")
    del mapping
    query_rows = ids.filter(pl.col("role") == "query")
    by_row = query_rows.filter(~pl.col("empty")).select("row", query_id="id")
    row_table = query_rows.select("row", query_id=pl.when(~pl.col("empty")).then("id"),
                                  first_exact=pl.col("raw").is_first_distinct())
    empty = ids.filter(pl.col("empty")).select("row", "role")
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
    )


def _repeats(docs: pl.DataFrame) -> pl.DataFrame:
    """The occurrences of a (query, text) pair of one role after its first, which `_links` drops."""
    pair = ["query_id", "id", "role"]
    return docs.with_columns(kept=pl.col("score").first().over(pair)).filter(
        ~pl.struct(pair).is_first_distinct()).select("role", row=pl.col("line"),
                                                      other_score=pl.col("score").ne_missing(pl.col("kept")))


def _explode_roles(rows: InputRows) -> pl.DataFrame:
    """One row per text: (row, role, rank, text, score, line); rank is the 1-based position within its list, line
    the input line or row that holds the text (`row`, or a positive's own `positive_line`)."""
    frame = rows.frame
    parts = [frame.select("row", role=pl.lit("query"), rank=pl.lit(0, pl.Int64), text="query",
                          score=pl.lit(None, pl.Float64), line=pl.col("row").cast(pl.UInt32))]
    for role in ("positive", "negative"):
        scores = f"{role}_score"
        listed = frame.filter(pl.col(role).list.len() > 0)
        has_scores = scores in frame.columns
        if has_scores:
            _fail_on_length_mismatch(frame, rows, role)
            listed = listed.with_columns(pl.col(scores).cast(pl.List(pl.Float64))
                                         .fill_null(pl.col(role).list.eval(pl.lit(None, pl.Float64))))
        lists = {"score": scores} if has_scores else {}  # exploded with the texts
        if f"{role}_line" in frame.columns:
            lists["line"] = f"{role}_line"
        part = listed.select("row", role=pl.lit(role), rank=pl.int_ranges(1, pl.col(role).list.len() + 1),
                             text=role, **lists).explode(["rank", "text", *lists])
        score = pl.col("score") if has_scores else pl.lit(None, pl.Float64).alias("score")
        line = pl.col("line" if "line" in lists else "row").cast(pl.UInt32).alias("line")
        parts.append(part.select("row", "role", "rank", "text", score, line))
    return pl.concat(parts, how="vertical")


def _fail_on_length_mismatch(frame: pl.DataFrame, rows: InputRows, role: str) -> None:
    scores = f"{role}_score"
    bad = frame.filter(pl.col(scores).is_not_null() & (pl.col(scores).list.len() != pl.col(role).list.len()))
    if bad.height:
        first = bad.row(0, named=True)
        raise InputError(rows.path, f"has {len(first[scores])} scores for {len(first[role])} texts",
                         field=rows.fields.get(scores, scores), **{rows.unit: first["row"]})


def _fail_on_null_text(long: pl.DataFrame, rows: InputRows) -> None:
    if rows.frame["positive"].null_count():
        row = rows.frame.filter(pl.col("positive").is_null())["row"][0]
        raise InputError(rows.path, "is missing or null; expected a list of texts",
                         field=rows.fields.get("positive", "positive"), **{rows.unit: row})
    if long["text"].null_count():
        first = long.filter(pl.col("text").is_null()).sort("row").row(0, named=True)
        raise InputError(rows.path, "is null; expected text", field=rows.fields.get(first["role"], first["role"]),
                         **{rows.unit: first["row"]})


def _texts_of(ids: pl.Series, texts: pl.DataFrame, name: str) -> pl.DataFrame:
    """The texts of these ids, once each, sorted by id (a deterministic order that costs no bookkeeping)."""
    wanted = ids.unique().to_frame("id")
    return texts.join(wanted, on="id", how="semi").unique("id").sort("id").rename({"id": name})


def _links(docs: pl.DataFrame, role: str) -> pl.DataFrame:
    """(query_id, doc_id) pairs of one role, once each, first occurrence kept (its score and rank)."""
    links = docs.filter(pl.col("role") == role).rename({"id": "doc_id"})
    return links.filter(pl.struct("query_id", "doc_id").is_first_distinct())
