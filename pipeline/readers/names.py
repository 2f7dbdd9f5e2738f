"""Column names the st and pairs readers look for, shared with format detection and lint."""

import re
from pathlib import Path

import polars as pl

from pipeline.errors import InputError

# st's roles and the names each goes by.
SYNONYMS = {
    "anchor": ("anchor", "query", "question", "premise"),
    "positive": ("positive", "pos", "answer", "hypothesis"),
    "negative": ("negative", "neg"),
}
NUMBERED_NEGATIVE = re.compile(r"^negative_(\d+)$")
NEGATIVE_LIKE = re.compile(r"^(hard[_-]?)?neg(ative)?s?([_-]?\d+)?$", re.IGNORECASE)
# The score or label of a pair, as AnglE, CoSENT, ST's data collator and STS data name it.
SCORE_NAMES = ("score", "label", "labels", "scores", "similarity_score")


def named_column(role: str, names: tuple[str, ...], available: list[str], mapped: dict[str, str],
                 path: Path | str) -> str | None:
    """The one column of `available` that goes by one of the role's `names` (None where none does), columns that
    --columns maps to other roles aside. Two of them (anchor and query, positive and pos) are an error rather than
    a silent pick of the first: they may disagree, and only the user knows which one the role is."""
    present = [name for name in names if name in available and name not in mapped.values()]
    if len(present) > 1:
        raise InputError(path, f"has {len(present)} {role} columns ({', '.join(present)}); choose one with "
                         f"--columns {role}=COLUMN")
    return next(iter(present), None)


def separator_hint(available: list[str]) -> str:
    """Where the header reads as one column whose name holds another separator (a `;`-separated .csv), what is
    wrong; else ''."""
    found = next((char for char in ("\t", ";", "|", ",") if char in available[0]), None) if len(available) == 1 \
        else None
    if found is None:
        return ""
    name = {"\t": "tab", ";": "';'", "|": "'|'", ",": "comma"}[found]
    return (f"The file looks {name}-separated: prep reads a .csv file as comma-separated and a .tsv file as "
            "tab-separated, so its header reads as one column. Save it with commas (.csv) or tabs (.tsv)")


ST_NEGATIVES = ("which st reads from a column named negative or neg, or from negative_1..negative_K: rename them so, "
                "map the one to read with --columns negative=COLUMN, or drop them")


def refuse_unread_negatives(schema: pl.Schema, read: set[str | None], path: Path, how: str = ST_NEGATIVES) -> None:
    """A text column named as negatives are (negative1, negatives, hard_negative, neg_2) that the reader does not
    read: its negatives would be lost without a word (mined ones in their place), where ST's trainer, which reads
    columns by position, trains on them. `how` says where the reader takes negatives from, and what to do. Names
    that only hold the word (num_negatives, negative_source) are other data."""
    unread = [name for name, kind in schema.items() if name not in read and NEGATIVE_LIKE.match(name)
              and kind in (pl.String, pl.List(pl.String))]
    if unread:
        listed = ", ".join(f"'{name}'" for name in unread) + (" looks" if len(unread) == 1 else " look")
        raise InputError(path, f"{listed} like negatives, {how}", field=unread[0])
