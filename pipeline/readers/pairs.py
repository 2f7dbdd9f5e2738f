"""Scored pairs (sentence1, sentence2, score|label), as AnglE, CoSENT and CosineSimilarityLoss read them.

A pair with a score above 0 is a positive of sentence1, one at or below 0 a negative; the score is kept. The
pair may be named with st's synonyms instead, as QA data and Contrastive/CoSENT users often do:
(query, answer, label), (anchor, positive, score).
"""

from pathlib import Path

import polars as pl

from pipeline.canonical import InputRows
from pipeline.errors import InputError
from pipeline.readers.class_labels import class_columns, classes_read_as_scores
from pipeline.readers.files import ROW, line_unit, peek_columns, read_columns
from pipeline.readers.names import (
    NUMBERED_NEGATIVE,
    SCORE_NAMES,
    SYNONYMS,
    named_column,
    refuse_unread_negatives,
    separator_hint,
)

# Each role's names in the order they are looked for, and the --columns role that means the same.
PAIR_NAMES = {"sentence1": ("sentence1", *SYNONYMS["anchor"]), "sentence2": ("sentence2", *SYNONYMS["positive"]),
              "score": SCORE_NAMES}
PAIR_ALIASES = {"sentence1": "anchor", "sentence2": "positive", "score": "label"}


def read_pairs(path: Path, columns: dict[str, str] | None = None, split: str = "train",
               schema: pl.Schema | None = None) -> InputRows:
    """Columns are chosen by name from `schema`, by default the peeked rows', as st's are: a JSON Lines field that
    first appears later raises LateColumns, to choose again from all the fields (a label beside the score)."""
    schema = schema or peek_columns(path, split)
    names = resolve_pair_columns(schema.names(), columns or {}, path)
    # A boolean label (JSON true/false, Parquet bool) is read as 1.0 or 0.0, as a relevance label means.
    score_kind = "bool" if schema.get(names["score"]) == pl.Boolean else "number"
    frame = read_columns(path, {names["sentence1"]: "text", names["sentence2"]: "text", names["score"]: score_kind},
                         split, known=schema)  # a field first seen after the peeked rows: LateColumns, read again
    refuse_unread_negatives(schema, set(names.values()), path, "which scored pairs (one pair a row, scored by "
                            f"'{names['score']}') have no place for: drop '{names['score']}' to read the table as st "
                            "(anchor, positive, negatives; --columns maps other names), or drop them")
    score = _scores(frame, names["score"], path, line_unit(path))
    if classes := nli_classes(names["sentence1"], names["sentence2"], frame[names["score"]]):
        raise InputError(path, f"{classes}: {NLI_FIX}", field=names["score"])
    if classes := classes_read_as_scores(names["score"], class_columns(path, split).get(names["score"])):
        raise InputError(path, f"{classes[0]}. {classes[1]}", field=names["score"])
    one = pl.concat_list(names["sentence2"])
    no_texts = pl.lit([], pl.List(pl.String))
    is_positive = score > 0
    frame = frame.select(
        row=ROW,
        query=names["sentence1"],
        positive=pl.when(is_positive).then(one).otherwise(no_texts),
        negative=pl.when(is_positive).then(no_texts).otherwise(one),
        positive_score=pl.when(is_positive).then(pl.concat_list(score)),
        negative_score=pl.when(is_positive).then(None).otherwise(pl.concat_list(score)),
    )
    fields = {"query": names["sentence1"], "positive": names["sentence2"], "negative": names["sentence2"],
              "positive_score": names["score"], "negative_score": names["score"]}
    return InputRows(frame, path, fields, line_unit(path))


# entailment, neutral, contradiction: ST's all-nli pair-class, GLUE's MNLI and SNLI; SNLI's -1 is a pair without a gold
# label (as are GLUE's test labels)
NLI_CLASSES = {-1, 0, 1, 2}
NLI_FIX = ("keep the entailment pairs as (anchor, positive) for MultipleNegativesRankingLoss (`dataset.filter(lambda "
           "row: row['label'] == 0).remove_columns(['label'])`), or train SoftmaxLoss on the classes as they are")


def nli_classes(first: str, second: str, labels: pl.Series) -> str | None:
    """Why (premise, hypothesis, label) with labels 0, 1 and 2 are not relevance scores: they are NLI classes, in
    which 0 is entailment, so that read as scores (above 0 a positive) every contradiction would be a positive."""
    if first.lower() != "premise" and second.lower() != "hypothesis":
        return None
    values = set(labels.drop_nulls().cast(pl.Float64, strict=False).drop_nulls().unique().to_list())
    if 2 not in values or not values <= NLI_CLASSES:
        return None
    return (f"'{labels.name}' holds NLI classes (0 entailment, 1 neutral, 2 contradiction), not relevance: read as "
            "scores, every pair above 0 would be a positive, every contradiction among them")


def _scores(frame: pl.DataFrame, column: str, path: Path, unit: str) -> pl.Series:
    """The score column as floats; a missing or non-numeric score is an error, never a silent negative."""
    raw = frame[column]
    readable = raw.dtype in (pl.String, pl.Boolean) or raw.dtype.is_numeric()
    text = raw.str.strip_chars() if raw.dtype == pl.String else raw  # ' 3.0 ', as pandas (and datasets) read it
    score = text.cast(pl.Float64, strict=False) if readable else None
    if score is None:
        raise InputError(path, f"expected numbers, the column holds {raw.dtype}", field=column)
    unreadable = score.is_null() | score.is_nan() | score.is_infinite()
    bad = frame.filter(unreadable)
    if bad.height:
        value, number = bad[column][0], score.filter(unreadable)[0]
        message = "is null; expected a number" if value is None else f"'{value}' is not a number"
        if number is not None and abs(number) == float("inf"):  # CoSENT's and AnglE's loss would be NaN
            message = f"'{value}' is infinite; expected a finite number"
        elif isinstance(value, float):
            message = "is NaN; expected a number"
        raise InputError(path, message, field=column, **{unit: bad[ROW][0]})
    return score


def resolve_pair_columns(available: list[str], mapped: dict[str, str], path: Path) -> dict[str, str]:
    """The user's column for each role: a --columns mapping (sentence1 or anchor, sentence2 or positive, score or
    label), else the first of the role's names that the table has."""
    return {role: _pair_column(role, available, mapped, path) for role in PAIR_NAMES}


def _pair_column(role: str, available: list[str], mapped: dict[str, str], path: Path) -> str:
    for key in (role, PAIR_ALIASES[role]):
        if key in mapped:
            if mapped[key] not in available:
                raise InputError(path, f"--columns maps {key} to '{mapped[key]}', which is not a column; "
                                 f"columns are {available}")
            return mapped[key]
    found = named_column(role, PAIR_NAMES[role], available, mapped, path)
    if found is None:
        raise InputError(path, f"missing column '{role}' for {role} (looked for {'|'.join(PAIR_NAMES[role])}); "
                         f"columns are {available}. "
                         f"{separator_hint(available) or f'Map yours with --columns {role}=COLUMN'}")
    return found


def is_labeled_pair(schema: pl.Schema, mapped: dict[str, str] | None = None) -> bool:
    """Two text roles (sentence1/sentence2 or st's anchor/positive names, or --columns), no negatives, and a
    score or label column that may hold numbers: labeled pairs, which st would read as all positives.

    A text column counts as a score, since CSV holds numbers as text (the reader names any value that is no number),
    and so does a boolean one, read as 1.0 or 0.0. A column that --columns maps as the score (or label) counts unless
    it holds lists: [positive score] is st's label list (ST's n-tuple label for distillation), not a pair's score.
    """
    mapped = mapped or {}
    names = schema.names()
    if mapped_score := mapped.get("score", mapped.get("label")):
        has_score = not isinstance(schema.get(mapped_score), pl.List)
    else:
        score = next((name for name in SCORE_NAMES if name in names), None)
        has_score = score is not None and (schema[score].is_numeric() or schema[score] in (pl.String, pl.Boolean))
    negatives = "negative" in mapped or any(name in SYNONYMS["negative"] or NUMBERED_NEGATIVE.match(name)
                                            for name in names)
    return (_has_role("sentence1", names, mapped) and _has_role("sentence2", names, mapped) and has_score
            and not negatives)


def _has_role(role: str, names: list[str], mapped: dict[str, str]) -> bool:
    return role in mapped or PAIR_ALIASES[role] in mapped or any(name in names for name in PAIR_NAMES[role])
