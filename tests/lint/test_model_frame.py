"""The frame a layout's pandera model validates: model names for the roles, empty columns typed as the model wants."""

import polars as pl

from pipeline.lint.layouts import Roles
from pipeline.lint.load import Source
from pipeline.lint.model_frame import model_names, typed_by_model
from pipeline.lint.table import LintTable
from schemas.layouts import FlagModel


def test_a_labeled_pair_in_st_names_is_checked_under_the_pair_names() -> None:
    frame = pl.DataFrame({"query": ["a cat"], "answer": ["a dog"], "sim": [0.4]})
    table = LintTable(Source("train.jsonl", frame, frame.schema, "line"), "labeled-pair",
                      Roles("query", ("answer",), (), "sim"))
    assert model_names(table) == {"query": "sentence1", "answer": "sentence2", "sim": "score"}
    assert model_names(LintTable(table.source, "triplet", table.roles)) == {}


def test_a_column_without_a_value_takes_the_type_the_model_wants() -> None:
    # JSON gives [] and null no type: lint reads them as a list of texts and a text, which may not be meant.
    empty = {"neg": [[], []], "pos_scores": [None, None]}
    frame = pl.DataFrame({"query": ["q a", "q b"], "pos": [["p a"], ["p b"]], **empty},
                         schema_overrides={"neg": pl.List(pl.String), "pos_scores": pl.String})
    typed = typed_by_model(frame, FlagModel)
    assert typed.schema == pl.Schema({"query": pl.String, "pos": pl.List(pl.String), "neg": pl.List(pl.String),
                                      "pos_scores": pl.List(pl.Float64)})
