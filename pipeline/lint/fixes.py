"""Fixes that name the command for this table: the negatives its rows hold decide K, and rows without any need
mining, so that a fix applied as written keeps the data (a `prep convert` with the default K=3 sets aside every row
of a triplet table)."""

import shlex

import polars as pl

from pipeline.readers.files import ROW
from pipeline.wording import counted


def negatives_per_row(table, empty: bool = False) -> pl.DataFrame:
    """(ROW, negatives): the negative texts each row holds, nulls not counted; once per table and kind. Empty texts
    are not counted either (prep drops them, so every fix that names K counts so) unless `empty`: ST trains on ""
    as on any negative, so for what the trainer sees only a null, a negative the row lacks, makes the row short."""
    key = f"negatives_per_row{'_with_empty' if empty else ''}"
    if key not in table.cache:
        held = pl.col("text").is_not_null() if empty else pl.col("id").is_not_null()  # no id: null or empty text
        counts = table.texts.filter((pl.col("role") == "negative") & held).group_by(ROW).len()
        table.cache[key] = (table.frame.select(ROW).join(counts, on=ROW, how="left")
                            .select(ROW, negatives=pl.col("len").fill_null(0)))
    return table.cache[key]


def prep_command(context, verb: str, columns: dict[str, str] | None = None) -> str:
    """`prep VERB DATA` with the --format, --split and --columns that lint read DATA with (and `columns` added),
    quoted for a shell."""
    options = context.options
    columns = ",".join(f"{role}={name}" for role, name in {**options.columns, **(columns or {})}.items())
    flags = [("--format", options.fmt), ("--split", None if options.split == "train" else options.split),
             ("--columns", columns)]
    return f"prep {verb} DATA" + "".join(f" {flag} {shlex.quote(value)}" for flag, value in flags if value)


def convert_command(context, to: str, columns: dict[str, str] | None = None) -> str:
    return f"{prep_command(context, 'convert', columns)} --to {to}"


def fixed_k_fix(table, context, flags: str = "") -> str:
    """How to get the same K negatives in every row without losing rows: convert where the rows hold them, mine
    where they do not; `flags` (` --scores`) added to both commands."""
    counts = negatives_per_row(table)["negatives"]
    low, high = int(counts.min() or 0), int(counts.max() or 0)
    command, run = convert_command(context, "n-tuple") + flags, prep_command(context, "run") + flags
    if high == 0:
        return (f"`{run}` mines K negatives per row (the rows hold none, and `prep convert` lays out only the "
                "negatives a row holds)")
    if low == high:
        return f"`{command} --negatives {high}`"
    short = counts.filter(counts < high).len()
    mine = f"`{run} --negatives {high}` mines the {counted(short, 'short row', 'short rows')} up to {high}"
    if low == 0:
        return f"{mine}, or `{command} --negatives {high}` sets them aside (rejects.parquet)"
    return (f"{mine}; or `{command} --negatives {low}` keeps every row (longer ones cut to {low}), or "
            f"`--negatives {high} --fill repeat` repeats a short row's own")
