"""FlagEmbedding's per-row instruction (`prompt`) and data `type`: kept per query, written to the flag layout where
every row written has them, and accounted for in the manifest where they are not."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from pipeline.input_rows import row_place

if TYPE_CHECKING:
    from pipeline.canonical import Canonical
    from pipeline.layouts.layout import Layout

FIELDS = ("prompt", "type")
QUERY_COLUMN = {"labeled-pair": "sentence1", "labeled-list": "query"}  # else anchor
# other_row: the first input row of the query that gives another prompt or type than the one kept
INSTRUCTION_SCHEMA = {"query_id": pl.UInt64, "prompt": pl.String, "type": pl.String, "other_row": pl.UInt32}


def instructions_of(frame: pl.DataFrame, by_row: pl.DataFrame) -> pl.DataFrame:
    """Per query that has either, the first prompt and type its rows give (as a repeated pair keeps its first
    score), and the first row that gives another."""
    given = [name for name in FIELDS if name in frame.columns]
    if not given:
        return pl.DataFrame(schema=INSTRUCTION_SCHEMA)
    rows = frame.select("row", *given).join(by_row, on="row", maintain_order="left")
    first = rows.group_by("query_id", maintain_order=True).agg(pl.col(given).drop_nulls().first())
    differs = pl.any_horizontal(pl.col(name).ne(pl.col(f"{name}_kept")).fill_null(False) for name in given)
    other = (rows.join(first, on="query_id", suffix="_kept").filter(differs)
             .group_by("query_id").agg(other_row=pl.col("row").min()))
    return (first.join(other, on="query_id", how="left", maintain_order="left")
            .select("query_id", *(pl.col(name) if name in given else pl.lit(None).alias(name) for name in FIELDS),
                    "other_row")
            .cast(INSTRUCTION_SCHEMA).filter(pl.any_horizontal(pl.col(given).is_not_null())))


def chosen_instructions(instructions: pl.DataFrame, positives: pl.DataFrame) -> pl.DataFrame:
    """query_id and the prompt and type of the queries with a chosen positive (null where one lacks it), for the
    fields some of them have. Which are written is decided over the rows written (`complete_instructions`)."""
    chosen = instructions.join(positives.select("query_id").unique(), on="query_id", how="semi")
    return chosen.select("query_id", *(name for name in FIELDS if chosen[name].null_count() < chosen.height))


def complete_instructions(rows: pl.DataFrame) -> pl.DataFrame:
    """The flag rows without the prompt or type columns that some row lacks. FlagEmbedding reads a column for every
    row once any row has it (`datasets.load_dataset("json")`): a missing prompt would be read as None. Decided over
    the rows written, after the queries short of negatives are rejected and the partitions are joined: a query
    that is not written does not keep the others' prompts out."""
    partial = [name for name in FIELDS if name in rows.columns and (not rows.height or rows[name].null_count())]
    return rows.drop(partial)


def st_prompt_note(layout_name: str, prompt: str | None) -> str:
    """Where ST takes the prompts that an ST layout does not hold; with the value where every query has the same
    `prompt` (None: they differ, or some have none). A bi-encoder matches a dict's keys to column names, and its
    query column differs by layout. CrossEncoderDataCollator reads a dict as dataset names, and ignores it on a
    plain Dataset: a CrossEncoder takes one string, for every pair."""
    value = "..." if prompt is None else repr(prompt)
    column = QUERY_COLUMN.get(layout_name, "anchor")
    bi_encoder = f"SentenceTransformerTrainingArguments(prompts={{{column!r}: {value}}})"
    cross_encoder = f"CrossEncoderTrainingArguments(prompts={value})"
    why = "one string: a CrossEncoder reads a dict as dataset names, not columns"
    if layout_name == "labeled-list":  # the listwise losses are CrossEncoder losses
        where = f"{cross_encoder}, {why}"
    else:  # labeled-pair: CoSENTLoss or BinaryCrossEntropyLoss; n-tuple, triplet, buckets: MNRL of either
        where = f"{bi_encoder} for a bi-encoder loss, {cross_encoder} for a CrossEncoder loss ({why})"
    same = "" if prompt is None else f" (every query has {prompt!r})"
    return f"the input's per-query prompts are not written{same}: ST takes prompts in {where}"


def instruction_summary(canon: Canonical, layout: Layout, layout_name: str) -> dict | None:
    """What became of the input's `prompt` and `type` for the queries written: written (flag, where every row has
    one), or not and why; and the queries whose rows disagree. None where they have neither."""
    written_queries = layout.pairs.select("query_id").unique()
    chosen = canon.instructions.join(written_queries, on="query_id", how="semi")
    queries = written_queries.height
    summary = {}
    for name in FIELDS:
        given = chosen[name].drop_nulls()
        if given.is_empty():
            continue
        written = layout_name == "flag" and name in layout.rows.columns
        entry = {"queries_with_it": given.len(), "queries": queries, "written": written}
        if written and name == "prompt":
            entry["note"] = ("FlagEmbedding reads the prompt column with --same_dataset_within_batch, or else "
                             "only once --query_instruction_for_retrieval is set (to anything: each row's "
                             "prompt replaces it)")
        elif layout_name == "flag" and not written:
            entry["note"] = (f"{given.len():,} of {queries:,} queries have a {name}: FlagEmbedding reads one for "
                             f"every row or none (a missing one is read as None), so none is written")
        elif not written and name == "prompt":
            values = given.unique()
            entry["note"] = st_prompt_note(layout_name, values[0] if values.len() == 1 and given.len() == queries
                                           else None)
        elif not written:
            entry["note"] = "the input's FlagEmbedding `type` is not written: ST layouts have no use for it"
        summary[name] = entry
    disagreeing = chosen["other_row"].drop_nulls()
    if disagreeing.len():
        summary["disagreeing"] = {
            "queries": disagreeing.len(), "first_row": int(disagreeing.min()),
            "note": f"{disagreeing.len():,} {'query appears' if disagreeing.len() == 1 else 'queries appear'} on rows "
                    "with another prompt or type (the first such row: "
                    f"{row_place(canon.parts, disagreeing.min())}); each keeps the first it was given"}
    return summary or None


def mining_prompts_note(layout_name: str, columns: list[str], query: str | None, document: str | None) -> str | None:
    """The prompts the encoder mined with, which the texts written do not hold: train with the same, in the form the
    layout's trainer takes them. None where there were none."""
    if not (query or document):
        return None
    used = f"mined with the query prompt {query or ''!r} and the document prompt {document or ''!r}, not written"
    if layout_name == "flag":
        return f"{used}: the load line gives them to FlagEmbedding (--query/passage_instruction_for_retrieval)"
    if layout_name == "labeled-list":  # a CrossEncoder reads (query, document) as one input: no prompt per role
        return f"{used} into the texts"
    by_column = {column: query if column == QUERY_COLUMN.get(layout_name, "anchor") else document
                 for column in columns if column not in ("label", "score")}
    prompts = {column: prompt for column, prompt in by_column.items() if prompt}
    return f"{used} into the texts: train with the same, SentenceTransformerTrainingArguments(prompts={prompts!r})"


def passed_over_note(declared: dict[str, str], document: str | None) -> str | None:
    """ST 6 gives every model a "document" prompt ("" where its config has none), which encode_document takes before
    "passage" or "corpus": a model saved with E5's {"query": "query: ", "passage": "passage: "} has its documents
    encoded without "passage: ", by ST's miner and so by prep. Say so where that happened."""
    name = next((name for name in ("passage", "corpus") if declared.get(name)), None)
    if document or name is None:
        return None
    return (f"the model declares a '{name}' prompt ({declared[name]!r}), which ST's encode_document passes over for "
            f"its 'document' prompt (''): documents were mined without it; [encoder] document_prompt = "
            f"{declared[name]!r} uses it")
