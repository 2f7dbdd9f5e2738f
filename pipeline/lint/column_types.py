"""How lint types the columns it reads: numbers as Float64, CSV text that is all numbers as numbers, and what a
list column with no element says about itself."""

import polars as pl


def empty_lists(values: pl.Series) -> str | None:
    """What a list column without an element in any row holds, said as such: the type it is read with (a list of
    texts, as `load` reads one, or whatever a Parquet file declares) tells nothing about what the rows were meant
    to hold. None for any other column."""
    if not isinstance(values.dtype, pl.List) or values.is_empty() or values.list.len().fill_null(0).max() > 0:
        return None
    return "an empty list in every row" if values.null_count() == 0 else "an empty list or null in every row"


def kind_of(dtype: pl.DataType) -> str | None:
    """How `read_columns` should read a column; None for types no layout uses (structs...)."""
    if dtype in (pl.String, pl.Null):
        return "text"
    if dtype.is_numeric():
        return "number"
    if dtype == pl.Boolean:
        return "bool"
    if isinstance(dtype, pl.List):
        inner = dtype.inner
        if inner == pl.String:
            return "texts"
        if inner.is_numeric():
            return "numbers"
    return None


def as_float(frame: pl.DataFrame, column: str) -> pl.Expr:
    """Numbers (and booleans) as Float64 and number lists as List(Float64), so checks need not care about widths;
    whether a column held integers or booleans stays in `Source.schema`. An all-null column becomes text."""
    dtype = frame.schema[column]
    if dtype == pl.Null:
        return pl.col(column).cast(pl.String)
    if dtype.is_numeric() or dtype == pl.Boolean:  # a boolean label, as the pairs reader reads it: 1.0 or 0.0
        return pl.col(column).cast(pl.Float64)
    if isinstance(dtype, pl.List) and dtype.inner.is_numeric():
        return pl.col(column).cast(pl.List(pl.Float64))
    return pl.col(column)


def declared_type(values: pl.Series) -> pl.DataType:
    """What a CSV column would be declared as: Int64 when every number is whole, as a typed format would say."""
    if values.dtype == pl.Float64 and (values.drop_nulls() % 1 == 0).all():
        return pl.Int64
    return values.dtype


def numbers_from_text(frame: pl.DataFrame, column: str) -> pl.Expr:
    """CSV holds text only: a column whose every value reads as a number is a number column."""
    values = frame[column]
    if values.dtype != pl.String:
        return pl.col(column)
    numbers = values.str.strip_chars().cast(pl.Float64, strict=False)
    if values.len() and numbers.null_count() == values.null_count():
        return pl.col(column).str.strip_chars().cast(pl.Float64)
    return pl.col(column)
