"""What a reader yields, one row per input record with its texts still raw, and those rows as one row per text
for `build_canonical`, with the checks that name the row of a null text or of a score list of the wrong length."""

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.errors import InputError
from pipeline.wording import counted


@dataclass(frozen=True)
class FilePart:
    """One file of a folder read as one input: its rows are the input's rows `offset` + 1 on."""

    path: Path
    offset: int
    unit: str
    fields: tuple[tuple[str, str], ...] = ()  # the file's own column name of each role, where it differs


def located_error(path: Path, unit: str, parts: tuple[FilePart, ...], fields: dict[str, str], message: str,
                  row: int | None, role: str | None) -> InputError:
    """An InputError at an input row's `role` (positive, negative_score, ...), named by the user's column name: in a
    folder (`parts`), at the file that holds the row, its own line and its own column name there."""
    part = next((part for part in reversed(parts) if row is not None and part.offset < row), None)
    if part is None:
        return InputError(path, message, field=role and fields.get(role, role), **{unit: row})
    return InputError(part.path, message, field=role and dict(part.fields).get(role, role),
                      **{part.unit: row - part.offset})


def row_place(parts: tuple[FilePart, ...], row: int) -> str:
    """Where an input row is, for a message: `input row N`, or in a folder `FILE line L`."""
    part = next((part for part in reversed(parts) if part.offset < row), None)
    return f"input row {row}" if part is None else f"{part.path.name} {part.unit} {row - part.offset}"


def with_file_lines(frame: pl.DataFrame, parts: tuple[FilePart, ...]) -> pl.DataFrame:
    """`frame`'s input `row`s of a folder read as one input (`parts`), located: `file` (the file's name) and `line`
    (its own line or row there) added. Without parts, `frame` as it is."""
    if not parts:
        return frame
    starts = pl.DataFrame({"start": [part.offset + 1 for part in parts], "file": [part.path.name for part in parts]},
                          schema={"start": pl.Int64, "file": pl.String})
    located = (frame.with_row_index("_order").with_columns(_row=pl.col("row").cast(pl.Int64)).sort("_row")
               .join_asof(starts, left_on="_row", right_on="start", strategy="backward", check_sortedness=False)
               .sort("_order"))
    return located.with_columns(line=pl.col("_row") - pl.col("start") + 1).drop("_order", "_row", "start")


@dataclass(frozen=True)
class InputRows:
    """What a reader yields: one row per input record, texts still raw.

    `frame` has `row` (1-based), `query` (str), `positive` and `negative` (list[str]) and, where the input has
    them, `positive_score` / `negative_score` (list[f64], as long as their text lists), and `prompt` / `type`
    (FlagEmbedding's per-row instruction and data type, str). A reader whose row gathers
    several input lines (BEIR: a query's qrels) adds `positive_line` and `negative_line` (list[u32]), each text's own
    line.
    `fields` maps each role to the user's own column name, so errors speak the user's language.
    `missing_negatives` counts the null negative_k cells (negatives the row lacks) that `frame` leaves out.
    `parts` has the files of a folder read as one input (`pipeline.readers.json_folder`), whose rows are numbered
    on through them; errors name a row's own file and line (`error`).
    """

    frame: pl.DataFrame
    path: Path
    fields: dict[str, str]
    unit: str = "line"
    negative_source: str = "input"  # "qrels" for judged non-relevant BEIR documents
    missing_negatives: int = 0
    parts: tuple[FilePart, ...] = ()

    def error(self, message: str, row: int, role: str | None = None) -> InputError:
        return located_error(self.path, self.unit, self.parts, self.fields, message, row, role)


def explode_roles(rows: InputRows) -> pl.DataFrame:
    """One row per text: (row, role, rank, text, score, line); rank is the 1-based position within its list, line
    the input line or row that holds the text (`row`, or its own `positive_line` / `negative_line`)."""
    frame = rows.frame
    parts = [frame.select("row", role=pl.lit("query"), rank=pl.lit(0, pl.Int64), text="query",
                          score=pl.lit(None, pl.Float64), line=pl.col("row").cast(pl.UInt32))]
    for role in ("positive", "negative"):
        scores = f"{role}_score"
        listed = frame.filter(pl.col(role).list.len() > 0)
        has_scores = scores in frame.columns
        if has_scores:
            _fail_on_length_mismatch(frame, rows, role)
            _fail_on_nan_score(frame, rows, role)
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
        # st's one label list is split into the positive's score and the negatives': count it whole.
        shared = rows.fields.get("positive_score") == rows.fields.get("negative_score")
        roles = ("positive", "negative") if shared else (role,)
        given = sum(len(first[f"{name}_score"] or []) for name in roles)
        texts = sum(len(first[name]) for name in roles)
        why = " (a label list scores the positive, then each negative)" if shared else ""
        raise rows.error(f"has {counted(given, 'score', 'scores')} for {counted(texts, 'text', 'texts')}{why}",
                         first["row"], scores)


def _fail_on_nan_score(frame: pl.DataFrame, rows: InputRows, role: str) -> None:
    """A NaN score (pandas' missing value in Parquet, NaN in a .json file) or an infinite one would reach the
    trainer's loss (CoSENT, ListNet and FlagEmbedding's softmax turn inf into NaN)."""
    scores = f"{role}_score"
    value = pl.element().cast(pl.Float64)
    bad = frame.filter(pl.col(scores).list.eval(value.is_nan() | value.is_infinite()).list.any())
    if bad.height:
        first = next(score for score in bad[scores][0]
                     if score is not None and (score != score or abs(score) == float("inf")))
        raise rows.error(f"holds {'NaN' if first != first else first}; expected finite numbers", bad["row"][0],
                         scores)


def fail_on_null_text(long: pl.DataFrame, rows: InputRows) -> None:
    if rows.frame["positive"].null_count():
        row = rows.frame.filter(pl.col("positive").is_null())["row"][0]
        raise rows.error("is missing or null; expected a list of texts", row, "positive")
    if long["text"].null_count():
        first = long.filter(pl.col("text").is_null()).sort("row").row(0, named=True)
        # a query is one field, which a misspelled key leaves null too; the other texts are items of lists
        state = "is missing or null" if first["role"] == "query" else "is null"
        if rows.path.suffix.lower() in {".csv", ".tsv"}:
            state += " (an empty cell, or one that pandas and datasets read as missing: NA, N/A, NULL, None, nan)"
        raise rows.error(f"{state}; expected text", first["row"], first["role"])
