"""Sentence-transformers style tables: anchor, positive, and negatives as one column, a list, or negative_1..k."""

from pathlib import Path

import polars as pl

from pipeline.canonical import InputRows
from pipeline.errors import InputError
from pipeline.readers.files import ROW, line_unit, peek_columns, read_columns
from pipeline.readers.json_files import file_suffix
from pipeline.readers.names import (
    NUMBERED_NEGATIVE,
    SCORE_NAMES,
    SYNONYMS,
    named_column,
    refuse_unread_negatives,
    separator_hint,
)

NAMES = {**SYNONYMS, "score": SCORE_NAMES}  # each role's names, the score or label list's among them


def read_st(path: Path, columns: dict[str, str] | None = None, split: str = "train",
            schema: pl.Schema | None = None) -> InputRows:
    """Columns are chosen by name (and kind) from `schema`, by default the peeked rows'; a JSON Lines field that
    first appears later (a negative_4 from line 5,000 on) raises LateColumns, to choose again from all the fields.

    A `label` (or `score`) that is a list of numbers is read as the scores of the row's texts, the positive's
    first: [positive, negative_1, ..., negative_K], ST's n-tuple label for distillation losses and what
    `prep convert --scores` writes. A single number per row is an error rather than a column dropped without a
    word: (query, answer, label) pairs would make every answer a positive, label 0 or not, and a MarginMSE
    margin cannot be told from a relevance label, so the user drops the column or picks the format that reads
    it. Two score or label columns (score and label) are an error, as two columns for any role are: ST's collator
    would take one as the label and tokenise the other, and only the user knows which holds the scores."""
    schema = schema or peek_columns(path, split)
    anchor, positive, negatives, score = st_columns(schema.names(), columns or {}, path)
    if "negative" not in (columns or {}):
        refuse_unread_negatives(schema, {anchor, positive, *negatives, score}, path)
    kinds = {anchor: "text", positive: _kind(schema, positive),
             **{name: "text" if len(negatives) > 1 else _kind(schema, name) for name in negatives}}
    label = _score_list(schema, score, kinds, path)
    frame = read_columns(path, kinds | ({label: "numbers"} if label else {}), split, known=schema)
    if file_suffix(path) in {".csv", ".tsv"}:
        frame = frame.with_columns(_empty_cell_as_null(name) for name in negatives if kinds[name] == "text")
    missing = sum(frame[name].null_count() for name in negatives if kinds[name] == "text")
    scores = {"positive_score": pl.col(label).list.head(1),
              "negative_score": _negative_scores(label, negatives, kinds)} if label else {}
    frame = frame.select(
        row=ROW,
        query=anchor,
        positive=_as_list(positive, kinds[positive]),
        negative=_negative_list(negatives, kinds),
        **scores,
    )
    fields = {"query": anchor, "positive": positive, "negative": "/".join(negatives) or "negative"}
    return InputRows(frame, path, fields | dict.fromkeys(scores, label), line_unit(path), missing_negatives=missing)


def st_columns(available: list[str], columns: dict[str, str],
               path: Path | str) -> tuple[str, str, list[str], str | None]:
    """The anchor, positive, negative and score columns of an st table, as --columns maps them or by name. Lint finds
    its roles with it too, so that a table `prep report` refuses (two columns for one role) is refused by lint alike."""
    # `label` is the score role's other name, as pairs takes it (--columns anchor=q,positive=a,label=l).
    mapped = {"score" if role == "label" else role: column for role, column in columns.items()}
    anchor = _find(available, mapped, "anchor", path, required=True)
    positive = _find(available, mapped, "positive", path, required=True)
    negatives = _negative_columns(available, mapped, path)
    return anchor, positive, negatives, _find(available, mapped, "score", path, required=False)


def _find(available: list[str], mapped: dict[str, str], role: str, path: Path | str, required: bool) -> str | None:
    if role in mapped:
        if mapped[role] not in available:
            raise InputError(path, f"--columns maps {role} to '{mapped[role]}', which is not a column; "
                             f"columns are {available}")
        return mapped[role]
    found = named_column(role, NAMES[role], available, mapped, path)
    if found is None and required:
        raise InputError(path, f"no {role} column: looked for {'|'.join(NAMES[role])} in {available}. "
                         f"{separator_hint(available) or f'Map yours with --columns {role}=COLUMN'}")
    return found


def _negative_columns(available: list[str], mapped: dict[str, str], path: Path | str) -> list[str]:
    single = _find(available, mapped, "negative", path, required=False)
    numbers = [(int(m.group(1)), name) for name in available if (m := NUMBERED_NEGATIVE.match(name))]
    numbered = [name for _, name in sorted(numbers)]
    if single and numbered and "negative" not in mapped:  # both hold the negatives: which ones are meant?
        span = numbered[0] if len(numbered) == 1 else f"{numbered[0]}..{numbered[-1]}"
        raise InputError(path, f"has negatives in '{single}' and in {span}; choose with --columns "
                         f"negative={single}, or drop '{single}' to read {span}")
    return [single] if single else numbered


def _empty_cell_as_null(column: str) -> pl.Expr:
    """datasets' CSV loader (pandas) reads an empty cell as null, so in a negative column it is a negative the row
    lacks, as a JSON null is, not an empty text."""
    return pl.when(pl.col(column) != "").then(pl.col(column)).alias(column)


def _score_list(schema: pl.Schema, label: str | None, kinds: dict[str, str], path: Path) -> str | None:
    """The score column `label` (None where there is none), checked to hold lists that score the row's texts,
    positive first."""
    if label is None:
        return None
    anchor, positive, *negatives = kinds
    if isinstance(schema[label], pl.List) and kinds[positive] == "text":
        return label
    if isinstance(schema[label], pl.List):
        raise InputError(path, f"'{positive}' holds lists of texts: a {label} list scores one positive and its "
                         "negatives, so give one positive per row", field=positive)
    raise InputError(path, unread_score(label, anchor, positive, bool(negatives)), field=label)


def unread_score(label: str, anchor: str, positive: str, has_negatives: bool) -> str:
    """Why st refuses one number per row in a score or label column; lint names the same reason."""
    if has_negatives:
        use = (f"st reads a {label} list [positive, negatives...] as their scores, but one number per row (a "
               "MarginMSE margin) cannot be split into them; drop the column to read the texts alone")
    else:
        use = (f"every {positive} would be trained on as a positive whatever its {label}; use --format pairs for "
               f"({anchor}, {positive}, {label}) pairs, or drop the column")
    return f"has a '{label}' column, which --format st does not read: {use}"


def _negative_list(negatives: list[str], kinds: dict[str, str]) -> pl.Expr:
    """The row's negatives as one list. A null in a text column (negative_1..k, or a single negative) is a
    negative the row lacks, as pandas writes a ragged table, so the others keep their order without it; a null
    inside a list of negatives stays and is an error."""
    if not negatives:
        return pl.lit([], pl.List(pl.String))
    if kinds[negatives[0]] == "texts":
        return pl.col(negatives[0])
    return _text_columns(negatives).list.drop_nulls()


def _negative_scores(label: str, negatives: list[str], kinds: dict[str, str]) -> pl.Expr:
    """The negatives' part of a label list. Where it has a score per negative column, those of null negatives
    go with them; a list as long as the row's negatives is taken as is (and any other length is an error later)."""
    listed = pl.col(label).list.slice(1)
    if not negatives or kinds[negatives[0]] == "texts":
        return listed
    present = _text_columns(negatives).list.eval(pl.element().is_not_null().arg_true())
    return pl.when(listed.list.len() == len(negatives)).then(listed.list.gather(present)).otherwise(listed)


def _text_columns(columns: list[str]) -> pl.Expr:
    """Text columns as one list per row, nulls kept (a column of nothing but nulls is read as type Null)."""
    return pl.concat_list(pl.col(column).cast(pl.String) for column in columns)


def _kind(schema: pl.Schema, column: str) -> str:
    """A positive or negative column may hold one text per row or a list of texts."""
    return "texts" if isinstance(schema[column], pl.List) else "text"


def _as_list(column: str, kind: str) -> pl.Expr:
    return pl.concat_list(pl.col(column).cast(pl.String)) if kind == "text" else pl.col(column)
