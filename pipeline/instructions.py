"""FlagEmbedding's per-row instruction (`prompt`) and data `type`: kept per query, written to the flag layout where
every query has them, and accounted for in the manifest where they are not."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from pipeline.canonical import Canonical
    from pipeline.layouts.selection import Selection

FIELDS = ("prompt", "type")
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


def shared_instructions(instructions: pl.DataFrame, positives: pl.DataFrame) -> pl.DataFrame:
    """The prompt and type columns that every query with a chosen positive has. FlagEmbedding reads a column for
    every row once any row has it (`datasets.load_dataset("json")`): a missing prompt would be read as None, so a
    column some queries lack is not written at all."""
    queries = positives.select("query_id").unique()
    given = queries.join(instructions, on="query_id", how="left")
    full = [name for name in FIELDS if queries.height and given[name].null_count() == 0]
    return given.select("query_id", *full)


def instruction_summary(canon: Canonical, selection: Selection, layout: str) -> dict | None:
    """What became of the input's `prompt` and `type`: written (flag, where every query has one), or not and why;
    and the queries whose rows disagree. None where the input has neither."""
    chosen = canon.instructions.join(selection.positives.select("query_id").unique(), on="query_id", how="semi")
    queries = selection.positives["query_id"].n_unique()
    summary = {}
    for name in FIELDS:
        given = chosen[name].drop_nulls()
        if given.is_empty():
            continue
        written = layout == "flag" and name in selection.instructions.columns
        entry = {"queries_with_it": given.len(), "queries": queries, "written": written}
        if written and name == "prompt":
            entry["note"] = ("FlagEmbedding reads the prompt column with --same_dataset_within_batch, or else "
                             "only once --query_instruction_for_retrieval is set (to anything: each row's "
                             "prompt replaces it)")
        elif layout == "flag" and not written:
            entry["note"] = (f"{given.len():,} of {queries:,} queries have a {name}: FlagEmbedding reads one for "
                             f"every row or none (a missing one is read as None), so none is written")
        elif not written and name == "prompt":
            values = given.unique()
            same = f": every query has '{values[0]}', so prompts={{'anchor': '{values[0]}'}}" \
                if values.len() == 1 and given.len() == queries else ""
            entry["note"] = ("the input's per-query prompts are not written: ST takes prompts in "
                             f"SentenceTransformerTrainingArguments(prompts=...){same}")
        elif not written:
            entry["note"] = "the input's FlagEmbedding `type` is not written: ST layouts have no use for it"
        summary[name] = entry
    disagreeing = chosen["other_row"].drop_nulls()
    if disagreeing.len():
        summary["disagreeing"] = {
            "queries": disagreeing.len(), "first_row": int(disagreeing.min()),
            "note": f"{disagreeing.len():,} queries appear on rows with another prompt or type (the first: input row "
                    f"{disagreeing.min()}); each keeps the first it was given"}
    return summary or None
