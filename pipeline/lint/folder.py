"""A folder of JSON files that a trainer reads as one dataset (FlagEmbedding's --train_data, datasets'
load_dataset("json", data_dir=...)): the texts of its files in one frame, for rules whose finding depends on other rows,
and the way back from a row of the folder to the row of its file that a finding names."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import polars as pl

from pipeline.lint.rule import in_batch, no_in_batch_neg
from pipeline.readers.files import ROW

if TYPE_CHECKING:
    from pipeline.lint.context import LintContext
    from pipeline.lint.table import LintTable

FILE_SHIFT = 2**32  # a row of the folder is file * 2**32 + its row (a UInt32) in the file: the files' rows stay apart


def folder_of(table: "LintTable", context: "LintContext") -> tuple["LintTable", ...]:
    """The tables of the folder `table` is a file of, in name order (`table` alone outside a folder of JSON files)."""
    return context.folder if any(other is table for other in context.folder) else (table,)


def batched_with(table: "LintTable", context: "LintContext") -> tuple["LintTable", ...]:
    """The tables whose rows can share a batch with the rows of `table`, itself among them. A flag file or folder named
    *no_in_batch_neg only means something with FlagEmbedding's --same_dataset_within_batch, which draws each batch
    from one file: then no file's rows meet another's."""
    tables = folder_of(table, context)
    if any(no_in_batch_neg(other) for other in tables):
        return (table,)
    return tuple(other for other in tables if in_batch(other, context))


def folder_texts(tables: tuple["LintTable", ...], texts_of: Callable[["LintTable"], pl.DataFrame]) -> pl.DataFrame:
    """`texts_of(table)` of every table in one frame, `ROW` and `line` numbered as rows of the folder (`file` is the
    table's place in `tables`), so that joins on `ROW` pair the texts of one row of one file."""
    return pl.concat([texts_of(table).with_columns(file=pl.lit(number, pl.Int64),
                                                   **{column: pl.col(column).cast(pl.Int64) + number * FILE_SHIFT
                                                      for column in (ROW, "line")})
                      for number, table in enumerate(tables) if table.rows])  # an empty file has no roles


def file_rows(rows: pl.Series, number: int) -> pl.Series:
    """The rows of the folder that are rows of file `number`, as that file numbers them."""
    return rows.filter(rows // FILE_SHIFT == number) % FILE_SHIFT


def place_of(table: "LintTable", tables: tuple["LintTable", ...]) -> int:
    return next(number for number, other in enumerate(tables) if other is table)


def once_for_folder(context: "LintContext", key: tuple, table: "LintTable", tables: tuple["LintTable", ...],
                    compute: Callable[[], Any]) -> Any:
    """`compute()` over `tables`, run for their first file and kept until the last file with rows takes it: a
    folder's files are linted one after another, and each needs the result over all of them."""
    key = (*key, *(id(other) for other in tables))
    if key not in context.shared:
        context.shared[key] = compute()
    last = max(number for number, other in enumerate(tables) if other.rows)
    return context.shared.pop(key) if tables[last] is table else context.shared[key]
