"""The canonical relational model every reader produces and every stage consumes.

Texts are stored once, keyed by the content hash of their normalised form (see `pipeline.normalize`), so
duplicate texts collapse and later stages can cache work per unique text. The tables are validated by the
pandera models in `schemas/`.
"""

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.errors import InputError
from pipeline.normalize import normalize_texts

ROLES = ("query", "positive", "negative")


@dataclass(frozen=True)
class InputRows:
    """What a reader yields: one row per input record, texts still raw.

    `frame` has `row` (1-based), `query` (str), `positive` and `negative` (list[str]) and, where the input has
    them, `positive_score` / `negative_score` (list[f64], as long as their text lists).
    `fields` maps each role to the user's own column name, so errors speak the user's language.
    """

    frame: pl.DataFrame
    path: Path
    fields: dict[str, str]
    unit: str = "line"
    negative_source: str = "input"  # "qrels" for judged non-relevant BEIR documents


@dataclass(frozen=True)
class Canonical:
    """queries(query_id, text), corpus(doc_id, text), positives(query_id, doc_id, score),
    negatives(query_id, doc_id, score, rank, source), plus provenance of the input rows.

    `rows` has one entry per input row: `row`, `query_id` (null when the query is empty) and `first_exact`
    (the exact query text did not appear in an earlier row). `empty` lists (row, role) of every empty or
    whitespace-only text, which the tables leave out.
    """

    queries: pl.DataFrame
    corpus: pl.DataFrame
    positives: pl.DataFrame
    negatives: pl.DataFrame
    rows: pl.DataFrame
    empty: pl.DataFrame
    sources: tuple[Path, ...] = field(default=())

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
                                          rank=pl.lit(0, pl.Int64), text="text", score=pl.lit(None, pl.Float64))
        long = pl.concat([long, corpus_rows.collect()], how="vertical_relaxed")
    # Texts are normalised once per distinct raw text; an in-process hash plus the byte length keys the raw
    # text, so that the big joins are on integers, not strings.
    long = long.with_columns(raw=pl.col("text").hash(), raw_bytes=pl.col("text").str.len_bytes())
    mapping = normalize_texts(long.lazy().select("raw", "raw_bytes", "text").unique(["raw", "raw_bytes"])).collect()
    ids = long.drop("text").join(mapping.select("raw", "raw_bytes", "id", empty=pl.col("norm") == ""),
                                 on=["raw", "raw_bytes"], how="left", maintain_order="left")
    kept = ids.filter(~pl.col("empty"))
    query_rows = ids.filter(pl.col("role") == "query")
    by_row = query_rows.filter(~pl.col("empty")).select("row", query_id="id")
    docs = kept.filter(pl.col("role").is_in(["positive", "negative"])).join(by_row, on="row", maintain_order="left")
    texts = mapping.filter(pl.col("norm") != "").select("id", text="norm")
    return Canonical(
        queries=_texts_of(by_row["query_id"], texts, "query_id"),
        corpus=_texts_of(kept.filter(pl.col("role") != "query")["id"], texts, "doc_id"),
        positives=_links(docs, "positive").select("query_id", "doc_id", "score"),
        negatives=_links(docs, "negative").select(
            "query_id", "doc_id", "score", pl.col("rank").cast(pl.UInt32), source=pl.lit(rows.negative_source)),
        rows=query_rows.select(
            "row",
            query_id=pl.when(~pl.col("empty")).then("id"),
            first_exact=pl.col("raw").is_first_distinct(),
        ),
        empty=ids.filter(pl.col("empty")).select("row", "role"),
        sources=sources or (rows.path,),
    )


def _explode_roles(rows: InputRows) -> pl.DataFrame:
    """One row per text: (row, role, rank, text, score); rank is the 1-based position within its list."""
    frame = rows.frame
    parts = [frame.select("row", role=pl.lit("query"), rank=pl.lit(0, pl.Int64), text="query",
                          score=pl.lit(None, pl.Float64))]
    for role in ("positive", "negative"):
        scores = f"{role}_score"
        no_scores = pl.col(role).list.eval(pl.lit(None, pl.Float64))
        listed = frame.filter(pl.col(role).list.len() > 0)
        if scores in frame.columns:
            _fail_on_length_mismatch(frame, rows, role)
            listed = listed.with_columns(pl.col(scores).cast(pl.List(pl.Float64)).fill_null(no_scores))
        else:
            listed = listed.with_columns(no_scores.alias(scores))
        part = listed.select("row", role=pl.lit(role), rank=pl.int_ranges(1, pl.col(role).list.len() + 1),
                             text=role, score=scores)
        parts.append(part.explode("rank", "text", "score"))
    return pl.concat(parts, how="vertical")


def _fail_on_length_mismatch(frame: pl.DataFrame, rows: InputRows, role: str) -> None:
    scores = f"{role}_score"
    bad = frame.filter(pl.col(scores).is_not_null() & (pl.col(scores).list.len() != pl.col(role).list.len()))
    if bad.height:
        first = bad.row(0, named=True)
        raise InputError(rows.path, f"has {len(first[scores])} scores for {len(first[role])} texts",
                         field=rows.fields.get(scores, scores), **{rows.unit: first["row"]})


def _fail_on_null_text(long: pl.DataFrame, rows: InputRows) -> None:
    missing = rows.frame.filter(pl.col("positive").is_null())
    if missing.height:
        raise InputError(rows.path, "is missing or null; expected a list of texts",
                         field=rows.fields.get("positive", "positive"), **{rows.unit: missing["row"][0]})
    nulls = long.filter(pl.col("text").is_null())
    if nulls.height:
        first = nulls.sort("row").row(0, named=True)
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
