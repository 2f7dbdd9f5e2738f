"""Text tables: BEIR corpus/queries files and extra corpus texts for mining (`--corpus`)."""

from pathlib import Path

import polars as pl

from pipeline.errors import InputError
from pipeline.readers.files import check_kinds, collect_rows, line_unit, scan_table


def read_corpus_texts(path: Path) -> pl.LazyFrame:
    """`--corpus`: BEIR corpus.jsonl, a JSONL/Parquet/CSV table with a `text` column, or .txt with one text per line."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such corpus file")
    if path.suffix.lower() == ".txt":
        lines = pl.read_csv(path, has_header=False, separator="\x1f", quote_char=None, new_columns=["text"],
                            schema_overrides={"text": pl.String})
        return lines.lazy()
    return read_texts(path).lazy().select("text")


def read_texts(path: Path, keep: tuple[str, ...] = ()) -> pl.DataFrame:
    """`row`, the `keep` columns (required, cast to string) and `text`, with a `title` joined in front as
    sentence-transformers' InformationRetrievalEvaluator does."""
    expected = {"text": "text", "title": "text"}
    frame = collect_rows(scan_table(path), path, expected)
    for required in (*keep, "text"):
        if required not in frame.columns:
            raise InputError(path, f"missing required field '{required}'; fields are {frame.columns}")
    frame = frame.with_columns(pl.col(name).cast(pl.String) for name in keep)
    check_kinds(frame, path, expected)
    for name in (*keep, "text"):
        nulls = frame.filter(pl.col(name).is_null())
        if nulls.height:
            raise InputError(path, "is null; expected text", field=name, **{line_unit(path): nulls["row"][0]})
    text = pl.col("text")
    if "title" in frame.columns:
        text = pl.concat_str(pl.col("title").fill_null(""), pl.lit(" "), text).str.strip_chars()
    return frame.select("row", *keep, text=text)
