"""How lint types the columns it reads (pipeline/lint/column_types.py), on tiny in-file frames."""

import polars as pl

from pipeline.lint.column_types import as_float, declared_type, empty_lists, kind_of, numbers_from_text


def test_each_dtype_has_the_kind_read_columns_reads_it_as():
    assert [kind_of(dtype) for dtype in (pl.String, pl.Int32, pl.Boolean, pl.List(pl.String), pl.List(pl.Int8))] \
        == ["text", "number", "bool", "texts", "numbers"]
    assert kind_of(pl.Struct({"a": pl.String})) is None


def test_numbers_become_float64_and_csv_text_that_is_all_numbers_becomes_numbers():
    frame = pl.DataFrame({"label": [1, 0], "scores": [[1, 2], [3]], "empty": [None, None], "text": [" 2", "3 "]})
    typed = frame.with_columns(as_float(frame, column) for column in frame.columns)
    assert typed.schema == pl.Schema({"label": pl.Float64, "scores": pl.List(pl.Float64), "empty": pl.String,
                                      "text": pl.String})
    numbers = typed.with_columns(numbers_from_text(typed, "text"))
    assert numbers["text"].to_list() == [2.0, 3.0] and declared_type(numbers["text"]) == pl.Int64
    assert declared_type(pl.Series([0.5, 1.0])) == pl.Float64


def test_a_list_column_without_an_element_says_so():
    assert empty_lists(pl.Series([[], []], dtype=pl.List(pl.String))) == "an empty list in every row"
    assert empty_lists(pl.Series([[], None], dtype=pl.List(pl.String))) == "an empty list or null in every row"
    assert empty_lists(pl.Series([["a"], []])) is None and empty_lists(pl.Series(["a"])) is None
