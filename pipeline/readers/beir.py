"""BEIR folders: corpus.jsonl {_id, title, text}, queries.jsonl {_id, text}, qrels/<split>.tsv.

Each query of the split is one row, numbered by its first qrels line: qrels with score > 0 are its positives,
judged qrels at or below 0 its negatives, each with its own qrels line (`positive_line`, `negative_line`). Titles
are joined to texts as sentence-transformers' InformationRetrievalEvaluator does.
"""

from pathlib import Path

import polars as pl

from pipeline.canonical import InputRows
from pipeline.errors import InputError
from pipeline.input_rows import FilePart
from pipeline.readers.corpus import read_texts
from pipeline.readers.files import blank_row
from pipeline.readers.line_endings import refuse_cr_line_endings
from pipeline.readers.text_encoding import refuse_other_encodings
from pipeline.wording import counted

QRELS_COLUMNS = ["query-id", "corpus-id", "score"]


def is_beir_folder(path: Path) -> bool:
    return path.is_dir() and (path / "corpus.jsonl").exists() and (path / "queries.jsonl").exists()


def read_beir(path: Path, split: str = "train") -> tuple[InputRows, pl.LazyFrame]:
    """The split's queries as rows, and the whole corpus as texts."""
    qrels_path = path / "qrels" / f"{split}.tsv"
    if not qrels_path.exists():
        splits = sorted(p.stem for p in (path / "qrels").glob("*.tsv"))
        raise InputError(qrels_path, f"no qrels for split '{split}'; splits here: {splits}")
    corpus = _one_text_per_id(read_texts(path / "corpus.jsonl", keep=("_id",)), path / "corpus.jsonl")
    queries = _one_text_per_id(read_texts(path / "queries.jsonl", keep=("_id",)), path / "queries.jsonl")
    qrels = _read_qrels(qrels_path)
    _fail_on_unknown(qrels, queries, qrels_path, "query-id")
    _fail_on_unknown(qrels, corpus, qrels_path, "corpus-id")
    judged = (
        qrels.join(queries.rename({"_id": "query-id", "text": "query"}), on="query-id", maintain_order="left")
        .join(corpus.rename({"_id": "corpus-id", "text": "doc"}), on="corpus-id", maintain_order="left")
        .with_columns(is_positive=pl.col("score") > 0)
    )
    frame = judged.group_by("query-id", maintain_order=True).agg(
        row=pl.col("row").first(),
        query=pl.col("query").first(),
        positive=pl.col("doc").filter("is_positive"),
        positive_line=pl.col("row").filter("is_positive").cast(pl.UInt32),
        negative=pl.col("doc").filter(~pl.col("is_positive")),
        negative_line=pl.col("row").filter(~pl.col("is_positive")).cast(pl.UInt32),
        positive_score=pl.col("score").filter("is_positive"),
        negative_score=pl.col("score").filter(~pl.col("is_positive")),
    ).drop("query-id")
    fields = {"query": "query-id", "positive": "corpus-id", "negative": "corpus-id"}
    # One part, the qrels file: messages and rejects then say `train.tsv line N`, not `input row N`.
    part = FilePart(qrels_path, 0, "line", tuple(fields.items()))  # errors name corpus-id, as without a part
    return (InputRows(frame, qrels_path, fields, "line", negative_source="qrels", parts=(part,)),
            corpus.lazy().select("text"))


def _read_qrels(path: Path) -> pl.DataFrame:
    refuse_other_encodings(path)
    refuse_cr_line_endings(path)
    try:
        frame = pl.read_csv(path, glob=False, separator="\t", quote_char=None, infer_schema=False)
    except pl.exceptions.PolarsError as error:
        raise _ragged_line(path) or InputError(path, "cannot be read as a tab-separated qrels file: "
                                                     f"{str(error).splitlines()[0]}") from None
    if not set(QRELS_COLUMNS) & set(frame.columns):
        _refuse_a_judgement_as_header(path)
    frame = frame.with_row_index("row", offset=2).filter(~blank_row("row"))
    for required in QRELS_COLUMNS:
        if required not in frame.columns:
            raise InputError(path, f"missing column '{required}'; BEIR qrels have query-id, corpus-id, score")
    # Polars reads a line short of fields, or an empty field, as nulls
    # other columns (a note, a trailing tab's) may be empty
    if (empty := frame.filter(pl.any_horizontal(pl.col(QRELS_COLUMNS).is_null()))).height:
        field = next(name for name in QRELS_COLUMNS if empty[name][0] is None)
        raise _ragged_line(path) or InputError(path, "is empty", line=empty["row"][0], field=field)
    score = pl.col("score").cast(pl.Float64, strict=False)
    # a NaN or inf would reach the loss; here it is at its own line
    bad = frame.filter(score.is_null() | score.is_nan() | score.is_infinite())
    if bad.height:
        kind = "infinite" if bad.head(1).select(score.is_infinite()).item() else "not a number"
        raise InputError(path, f"score '{bad['score'][0]}' is {kind}", line=bad["row"][0], field="score")
    return frame.with_columns(score=score)


def _refuse_a_judgement_as_header(path: Path) -> None:
    """A first line that is a judgement (its score a number): the file lacks BEIR's header. Read as written: polars
    renames a repeated name ('1', '1_duplicated_0')."""
    with path.open("rb") as handle:
        fields = handle.readline().decode("utf-8", "replace").strip().split("\t")
    if _is_number(fields[-1]):
        first = ", ".join(repr(field) for field in fields)
        raise InputError(path, f"has no header line: its first line holds {first}; BEIR qrels start with the line "
                               "query-id<TAB>corpus-id<TAB>score (BEIR's loader skips the first line: without it, "
                               "the first judgement is lost there)")


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def _ragged_line(path: Path) -> InputError | None:
    """The first line with another number of fields than the header (a qrels line is a record: TSV has no quoting)."""
    with path.open("rb") as handle:
        header = handle.readline().count(b"\t") + 1
        for number, raw in enumerate(handle, start=2):
            if raw.strip() and (fields := raw.count(b"\t") + 1) != header:
                return InputError(path, f"{fields} tab-separated fields, the header has {header}", line=number)
    return None


def _one_text_per_id(texts: pl.DataFrame, path: Path) -> pl.DataFrame:
    """(_id, text) with each _id once. A line repeating an earlier one is dropped; an _id given a second, other
    text is an error: the qrels could mean either."""
    texts = texts.unique(["_id", "text"], keep="first", maintain_order=True)
    again = texts.filter(~pl.col("_id").is_first_distinct())
    if again.height:
        first = texts.filter(pl.col("_id") == again["_id"][0])["row"][0]
        raise InputError(path, f"_id '{again['_id'][0]}' has another text on line {first}; ids must be unique "
                         f"({again.height} repeated)", line=again["row"][0], field="_id")
    return texts.drop("row")


def _fail_on_unknown(qrels: pl.DataFrame, texts: pl.DataFrame, path: Path, field: str) -> None:
    unknown = qrels.join(texts, left_on=field, right_on="_id", how="anti", maintain_order="left")
    if unknown.height:
        source = "queries.jsonl" if field == "query-id" else "corpus.jsonl"
        raise InputError(path, f"id '{unknown[field][0]}' is not in {source} "
                               f"({counted(unknown.height, 'such line', 'such lines')})",
                         line=unknown["row"][0], field=field)
