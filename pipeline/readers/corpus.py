"""Text tables: BEIR corpus/queries files and extra corpus texts for mining (`--corpus`)."""

from pathlib import Path

import polars as pl

from pipeline.errors import InputError, missing
from pipeline.readers.csv_quotes import first_bad_utf8
from pipeline.readers.files import ROW, is_blank, line_unit, peek_columns, read_columns
from pipeline.readers.line_endings import refuse_cr_line_endings
from pipeline.readers.table_files import TABLE_SUFFIXES, unsupported_file_type
from pipeline.readers.table_folders import is_datasets_folder, is_parquet_folder
from pipeline.readers.text_encoding import refuse_other_encodings

TEXT_LINES = ".txt"  # one text per line


def read_corpus_texts(path: Path) -> pl.LazyFrame:
    """`--corpus`: BEIR corpus.jsonl, a JSONL/Parquet/CSV table with a `text` column, or .txt with one text per line."""
    path = Path(path)
    if not path.exists():
        raise missing(path, "corpus file")
    if path.suffix.lower() == TEXT_LINES:
        refuse_other_encodings(path)
        refuse_cr_line_endings(path)
        if is_blank(path):
            return pl.LazyFrame(schema={"text": pl.String})
        try:  # lines as they are: a CSV reader would split a line at its separator, whatever it is
            lines = pl.read_lines(path, name="text", glob=False)
        except pl.exceptions.ComputeError:
            raise first_bad_utf8(path) or InputError(path, "not valid UTF-8 text") from None
        return lines.lazy().with_columns(pl.col("text").str.strip_prefix("\ufeff"))  # a byte order mark
    if path.is_dir() and not (is_datasets_folder(path) or is_parquet_folder(path)):
        beir = path / "corpus.jsonl"
        hint = f" (a BEIR folder: give --corpus {beir})" if beir.is_file() else ""
        raise InputError(path, f"a folder{hint}; --corpus takes BEIR corpus.jsonl, a table with a text column (a "
                               "file, a datasets folder or a folder of Parquet shards), or a .txt file, one text per "
                               "line")
    if path.is_file() and path.suffix.lower() not in TABLE_SUFFIXES:
        raise unsupported_file_type(path, (TEXT_LINES,))
    return read_texts(path).lazy().select("text")


def read_texts(path: Path, keep: tuple[str, ...] = ()) -> pl.DataFrame:
    """`row`, the `keep` columns (required, as strings) and `text`, with a `title` joined in front as
    sentence-transformers' InformationRetrievalEvaluator does."""
    available = peek_columns(path).names()
    for required in (*keep, "text"):
        if required not in available and not is_blank(path):
            fix = ("; rename the column that holds the documents to text (a title column, if there is one, is joined "
                   "in front)") if required == "text" else ""
            raise InputError(path, f"missing required field '{required}'; fields are {available}{fix}")
    frame = read_columns(path, {name: "id" for name in keep} | {"text": "text", "title": "text"})
    frame = frame.with_columns(pl.col(name).cast(pl.String) for name in keep if name in frame.columns)
    # A CSV or TSV passage that pandas reads as missing (N/A, None) is an empty one: counted and left out.
    if path.suffix.lower() in {".csv", ".tsv"} and "text" in frame.columns:
        frame = frame.with_columns(pl.col("text").fill_null(""))
    for name in (*keep, "text"):
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(name))
        nulls = frame.filter(pl.col(name).is_null())
        if nulls.height:
            raise InputError(path, "is null; expected text", field=name, **{line_unit(path): nulls[ROW][0]})
    text = pl.col("text")
    if "title" in frame.columns:
        text = pl.concat_str(pl.col("title").fill_null(""), pl.lit(" "), text).str.strip_chars()
    return frame.select(pl.col(ROW).alias("row"), *keep, text=text)
