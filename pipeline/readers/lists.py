"""Labeled lists (a query, a list of documents, a list of numbers), as CrossEncoder listwise losses read them.

The columns go by the names ST writes them under: the query by st's anchor names (query, anchor, question); the
documents as `docs` or `documents` (`resolve_ids(..., output_format="lists")`), or as lists in the positive column
(positive, pos, answer: `mine_hard_negatives(..., output_format="labeled-list")`); the numbers as `labels` or
`scores`, or `label` or `score` holding lists (the names ST's collator takes as the label).

A `labels` (or `label`) list holds relevance labels: a document labeled above 0 is a positive of the query, one at
or below 0 a negative. A `scores` (or `score`) list holds model or teacher scores, not labels (ST's miner writes
cosines, all above 0): the first document is the positive and the others its negatives, as ST's miner writes them.
Either way each number is kept as its document's score.
"""

from pathlib import Path
from typing import NamedTuple

import polars as pl

from pipeline.canonical import InputRows
from pipeline.errors import InputError
from pipeline.readers.files import ROW, line_unit, peek_columns, read_columns
from pipeline.readers.names import NUMBERED_NEGATIVE, SYNONYMS, named_column
from pipeline.wording import counted

DOC_NAMES = ("docs", "documents")  # a list of documents whatever it holds (string-instead-of-list reports a string)
NUMBER_NAMES = ("label", "labels", "score", "scores")  # in the order ST's collator looks for its label column
SCORE_LISTS = ("scores", "score")  # model scores: the first document is the positive, not those scored above 0


class ListColumns(NamedTuple):
    query: str
    docs: str
    numbers: str


def list_columns(schema: pl.Schema, where: Path | str) -> ListColumns | None:
    """The query, documents and numbers columns of a labeled list, or None where `schema` is not one. A positive
    column (positive, pos, answer) counts as the documents only where it holds lists and the table has no negative
    column, and `label` or `score` only where it holds lists: else the table is st's (an n-tuple's label list).
    Beside `docs` or `documents` the query is `query` where there is one, as ST's lists and prep's name it: an
    anchor or question column, or a list under a positive name, is then a column of its own, as it always was."""
    names = schema.names()
    negatives = any(name in SYNONYMS["negative"] or NUMBERED_NEGATIVE.match(name) for name in names)
    listed = [name for name in SYNONYMS["positive"] if _is_list(schema.get(name), pl.String) and not negatives]
    numbers = next((name for name in NUMBER_NAMES if name in names
                    and (name in ("labels", "scores") or _is_list(schema[name]))), None)
    if numbers is None:  # no labeled list: not one whose documents column is ambiguous either
        return None
    named = [name for name in DOC_NAMES if name in names]
    docs = named_column("documents", DOC_NAMES + SYNONYMS["positive"], named or listed, {}, where)
    if docs is None:
        return None
    query = "query" if named and "query" in names else named_column("query", SYNONYMS["anchor"], names, {}, where)
    return ListColumns(query, docs, numbers) if query else None


def read_lists(path: Path, split: str = "train") -> InputRows:
    available = peek_columns(path, split)
    found = list_columns(available, path)
    if found is None:
        raise InputError(path, f"is no labeled list: expected a query ({'|'.join(SYNONYMS['anchor'])}), a list of "
                         f"texts (docs|documents, or {'|'.join(SYNONYMS['positive'])} holding lists) and a list of "
                         f"numbers ({'|'.join(NUMBER_NAMES)}); fields are {available.names()}")
    query, docs, numbers = found
    frame = read_columns(path, {query: "text", docs: "texts", numbers: "numbers"}, split)
    unit = line_unit(path)
    word = "score" if numbers in SCORE_LISTS else "label"
    for field in (docs, numbers):
        missing = frame.filter(pl.col(field).is_null())
        if missing.height:
            raise InputError(path, f"no '{field}' list; a labeled list has a query, a list of texts "
                             f"('{docs}') and a list of numbers ('{numbers}')", field=field, **{unit: missing[ROW][0]})
    uneven = frame.filter(pl.col(docs).list.len() != pl.col(numbers).list.len())
    if uneven.height:
        row = uneven.row(0, named=True)
        given = counted(len(row[numbers]), word, word + "s")
        raise InputError(path, f"{counted(len(row[docs]), 'doc', 'docs')} but {given}; each doc in '{docs}' needs its "
                         f"{word}", field=numbers, **{unit: row[ROW]})
    null = frame.filter(pl.col(numbers).list.eval(pl.element().is_null()).list.any())
    if null.height:
        raise InputError(path, f"a {word} is null; every doc in '{docs}' needs a number", field=numbers,
                         **{unit: null[ROW][0]})
    pairs = frame.select(ROW, pl.col(docs).alias("doc"), pl.col(numbers).cast(pl.List(pl.Float64)).alias("label"),
                         position=pl.int_ranges(pl.col(docs).list.len())).explode("doc", "label", "position")
    positive = pl.col("position") == 0 if numbers in SCORE_LISTS else pl.col("label") > 0
    grouped = pairs.group_by(ROW, maintain_order=True).agg(
        positive=pl.col("doc").filter(positive),
        negative=pl.col("doc").filter(~positive),
        positive_score=pl.col("label").filter(positive),
        negative_score=pl.col("label").filter(~positive),
    )
    # A row with empty lists has no pairs: it keeps its query, with no positive (rejected as no_positive).
    roles = ("positive", "negative", "positive_score", "negative_score")
    frame = (frame.select(ROW, pl.col(query).alias("query")).join(grouped, on=ROW, how="left", maintain_order="left")
             .with_columns(pl.col(role).fill_null(pl.lit([], grouped.schema[role])) for role in roles)
             .rename({ROW: "row"}))
    fields = {"query": query, "positive": docs, "negative": docs, "positive_score": numbers, "negative_score": numbers}
    return InputRows(frame, path, fields, unit)


def _is_list(dtype: pl.DataType | None, inner: type[pl.DataType] | None = None) -> bool:
    """A list column (of `inner`, or of nothing yet: JSON's [] has no type)."""
    return isinstance(dtype, pl.List) and (inner is None or dtype.inner in (inner, pl.Null))
