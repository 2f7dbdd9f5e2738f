"""FlagEmbedding JSONL: {query, pos: [..], neg: [..], pos_scores?, neg_scores?, prompt?, type?}."""

from pathlib import Path

import polars as pl

from pipeline.canonical import InputRows
from pipeline.errors import InputError
from pipeline.readers.files import ROW, line_unit, peek_columns, read_columns
from pipeline.readers.names import SYNONYMS, refuse_unread_negatives

EXPECTED = {"query": "text", "pos": "texts", "neg": "texts", "pos_scores": "numbers", "neg_scores": "numbers",
            "prompt": "text", "type": "text"}
FIELDS = {"query": "query", "positive": "pos", "negative": "neg",
          "positive_score": "pos_scores", "negative_score": "neg_scores", "prompt": "prompt", "type": "type"}
# The fields st and pairs tables have no role for: read as either (with --columns), a flag file would lose them.
FLAG_ONLY = ("pos_scores", "neg_scores", "prompt", "type")


def refuse_flag_fields(names: list[str], fmt: str, where: Path | str, columns: dict[str, str] | None = None,
                       given: bool = False) -> None:
    """A FlagEmbedding file (query, pos) read as an st or pairs table, which have no role for flag's scores, prompt
    and type: where the table (at `where`) has any, that is an error rather than data dropped without a word. The
    way out depends on what chose st or pairs: a --columns mapping (detection), or --format (`given`)."""
    if fmt not in ("st", "pairs") or not {"query", "pos"} <= set(names):
        return
    if not (unread := [name for name in FLAG_ONLY if name in names]):
        return
    drops = f"which drops {', '.join(unread)}"
    if given:
        flag = "--format flag and no --columns (flag's field names are fixed)" if columns else "--format flag"
        raise InputError(where, f"has FlagEmbedding's fields query and pos; --format {fmt} reads it as {fmt}, {drops}. "
                         f"Read it with {flag}, or drop those fields to read it as {fmt}")
    raise InputError(where, f"has FlagEmbedding's fields query and pos; with --columns it is read as {fmt}, {drops}. "
                     f"FlagEmbedding's field names are fixed: leave out --columns to read it as flag, or drop those "
                     f"fields to read it as {fmt}")


def read_flag(path: Path, split: str = "train") -> InputRows:
    schema = peek_columns(path, split)
    available = schema.names()
    for required in ("query", "pos"):
        if required not in available:
            raise InputError(path, f"missing required field '{required}' (FlagEmbedding rows are "
                             "{query, pos: [...], neg: [...]}); fields are " + str(available))
    refuse_unread_negatives(schema, {"neg"}, path, "which FlagEmbedding reads from the field neg only: merge them "
                            "into neg, or drop them")
    texts = (pl.String, pl.List(pl.String))
    for role, field in (("anchor", "query"), ("positive", "pos")):  # FlagEmbedding would read one, drop the other
        other = next((name for name in SYNONYMS[role] if name != field and schema.get(name) in texts), None)
        if other:
            raise InputError(path, f"has {field} and {other}, two {role} fields; FlagEmbedding reads {field} only: "
                             f"drop {other}, or merge it into {field}", field=other)
    frame = read_columns(path, EXPECTED, split)
    rename = {theirs: ours for ours, theirs in FIELDS.items() if theirs in frame.columns}
    frame = frame.select(pl.col(ROW).alias("row"), *rename).rename(rename)
    if "negative" not in frame.columns:
        frame = frame.with_columns(negative=pl.lit([], pl.List(pl.String)))
    return InputRows(frame, path, FIELDS, line_unit(path))
