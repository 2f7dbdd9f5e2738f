"""Which layout a table is in, and which of its columns are the anchor, positives, negatives and label.

Layouts are those `prep convert` writes (issue 5), plus `st` (any other ST-style table: anchor, positive and
negatives as strings or lists) and `beir` (a BEIR folder, read into query/positive/negative lists).
"""

from dataclasses import dataclass

import polars as pl

from pipeline.errors import ConfigError, InputError
from pipeline.readers.lists import list_columns
from pipeline.readers.names import NUMBERED_NEGATIVE, SCORE_NAMES, named_column, separator_hint
from pipeline.readers.pairs import PAIR_ALIASES, PAIR_NAMES
from pipeline.readers.st import st_columns

LAYOUTS = ("n-tuple", "triplet", "labeled-pair", "labeled-list", "flag", "buckets", "st", "beir")
# Formats that fix the layout (st tables are told apart by their columns).
FORMATS = {"flag": "flag", "pairs": "labeled-pair", "lists": "labeled-list", "beir": "beir"}
ST_LAYOUTS = ("n-tuple", "triplet", "buckets", "st")  # the layouts of a table read as st
BI_ENCODER = frozenset({"n-tuple", "buckets", "triplet", "labeled-pair", "st"})  # fixed string columns, in order
ST_READ = BI_ENCODER | {"labeled-list"}  # fed to a trainer column by column, by position
# ST's data collator takes the first of these it finds as the label and tokenises every other column.
LABEL_COLUMNS = ("label", "labels", "score", "scores")


@dataclass(frozen=True)
class Roles:
    """Column names per role, in the order the trainer reads them; `label` is the label column, if any."""

    anchor: str
    positives: tuple[str, ...]
    negatives: tuple[str, ...]
    label: str | None

    @property
    def texts(self) -> tuple[str, ...]:
        return (self.anchor, *self.positives, *self.negatives)


def detect_layout(schema: pl.Schema, fmt: str) -> str:
    """The layout of a table read as `fmt` (--format, or as the readers detect it); an st table is then told
    apart by its columns."""
    if fmt in FORMATS:
        return FORMATS[fmt]
    names = schema.names()
    if any(NUMBERED_NEGATIVE.match(name) for name in names) and {"anchor", "positive"} <= set(names):
        return "n-tuple"
    if all(schema.get(name) == pl.String for name in ("anchor", "positive", "negative")):
        return "triplet"
    return "st"


def find_roles(layout: str, schema: pl.Schema, where: str, columns: dict[str, str] | None = None) -> Roles:
    """The role columns of `layout` (`columns` maps roles of st and pairs tables to other names, as `prep report`
    takes them); a table without an anchor or a positive, or with two columns for one role (anchor and query),
    cannot be linted (exit 2), as the readers cannot read it."""
    names = schema.names()
    mapped = columns or {}
    label = next((name for name in LABEL_COLUMNS if name in names), None)
    if layout == "flag":
        return Roles(_need("query", names, where), (_need("pos", names, where),),
                     ("neg",) if "neg" in names else (), None)
    if layout == "labeled-list":
        if found := list_columns(schema, where):  # as the reader finds them: {anchor, positive: [..], scores} too
            return Roles(found.query, (found.docs,), (), found.numbers)
        return Roles(_need("query", names, where), (_need("docs", names, where),), (), label)
    if layout == "labeled-pair":
        scores = _pair_mapped("score", names, where, mapped) or named_column("score", SCORE_NAMES, names, mapped, where)
        return Roles(_pair_role("sentence1", names, where, mapped), (_pair_role("sentence2", names, where, mapped),),
                     (), scores)
    if layout == "beir":
        return Roles("query", ("positive",), ("negative",), None)
    anchor, positive, negatives, score = st_columns(names, mapped, where)
    # The label is the collator's unless --columns names one (score=COLUMN): that one is then the scores' column.
    return Roles(anchor, (positive,), tuple(negatives), score if {"score", "label"} & set(mapped) else label)


def check_layout(layout: str, fmt: str | None = None) -> str:
    """--format says how DATA is read and --layout what it is checked against: a layout that the format cannot
    read would be one of the two ignored without a word."""
    if layout not in LAYOUTS:
        raise ConfigError(f"--layout must be one of {', '.join(LAYOUTS)}; got '{layout}'")
    read = ST_LAYOUTS if fmt == "st" else (FORMATS[fmt],) if fmt in FORMATS else (layout,)
    if layout not in read:
        raise ConfigError(f"--format {fmt} reads the {_either(read)} layout, not --layout {layout}; give the "
                          f"--format the data is in, or leave one of the two out")
    return layout


def _need(name: str, names: list[str], where: str) -> str:
    if name not in names:
        hint = separator_hint(names)
        raise InputError(where, f"no '{name}' column, which this layout needs; columns are {names}"
                         + (f". {hint}" if hint else ""))
    return name


def _pair_role(role: str, names: list[str], where: str, mapped: dict[str, str]) -> str:
    """sentence1 or sentence2, or st's name for the same role: (query, answer, label) is a labeled pair too."""
    found = _pair_mapped(role, names, where, mapped) or named_column(role, PAIR_NAMES[role], names, mapped, where)
    return found or _need(role, names, where)


def _pair_mapped(role: str, names: list[str], where: str, mapped: dict[str, str]) -> str | None:
    """The column --columns names for a pairs role, by its own name or st's (sentence1 or anchor...)."""
    key = next((key for key in (role, PAIR_ALIASES[role]) if key in mapped), None)
    return _need(mapped[key], names, where) if key else None


def st_inputs(schema: pl.Schema) -> tuple[list[str], str | None]:
    """The columns ST's collator feeds to the model, in order, and the one it takes as the label."""
    names = [name for name in schema.names() if name != "dataset_name"]
    label = next((name for name in LABEL_COLUMNS if name in names), None)
    return [name for name in names if name != label], label


def is_id_like(name: str) -> bool:
    """ST's own test (id, *_id, *_ids, *_idx) plus the short names of IR data sets, and a row index (`is_index`)."""
    return name in ("id", "qid", "pid", "docid") or name.endswith(("_id", "_ids", "_idx")) or is_index(name)


def is_index(name: str) -> bool:
    """A row index that pandas wrote beside the data: `to_csv()` without index=False heads it with nothing (which
    datasets loads as 'Unnamed: 0'), `to_parquet()` of a reindexed frame names it __index_level_0__."""
    return name in ("", "index", "__index_level_0__") or name.startswith("Unnamed: ")


def loaded_name(name: str, schema: pl.Schema) -> str:
    """The name datasets gives a column: an unnamed CSV column is 'Unnamed: <its position>', as pandas reads it."""
    return f"Unnamed: {schema.names().index(name)}" if name == "" else name


def unused_inputs(schema: pl.Schema, roles: Roles) -> list[str]:
    """Columns the trainer feeds as inputs that are not one of the layout's roles."""
    inputs, _ = st_inputs(schema)
    return [name for name in inputs if name not in roles.texts and name != roles.label]


def _either(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


TEACHER_SCORES = ("pos_scores", "neg_scores")  # FlagEmbedding's


def score_columns(table) -> tuple[str | None, ...]:
    """The columns that hold a layout's scores: FlagEmbedding's teacher scores, else the label (None without one)."""
    return TEACHER_SCORES if table.layout == "flag" else (table.roles.label,)
