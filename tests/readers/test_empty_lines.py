"""A CSV/TSV line of separators only is a row of empty texts, counted and rejected; an empty line is no row."""

from pathlib import Path

import polars as pl
import pytest

from pipeline.config import LayoutConfig, MiningConfig, RunConfig
from pipeline.convert import convert
from pipeline.lint.context import LintOptions
from pipeline.lint.runner import lint
from pipeline.readers import read_dataset
from pipeline.report.profile import profile
from pipeline.run import RunInputs

CASES = [
    ("train.csv", "anchor,positive\nq1,p1\n,\n\nq4,p4\n,\n\n\n"),
    ("train.tsv", "anchor\tpositive\nq1\tp1\n\t\n\nq4\tp4\n\t\n\n\n"),
    ("run[1]/train.tsv", "anchor\tpositive\nq1\tp1\n\t\n\nq4\tp4\n\t\n\n\n"),  # a path Polars would glob
    ("train.csv", 'anchor,positive\n"q1\non two lines",p1\n,\n\n"q4\n\nwith a blank line",p4\n,\n\n'),
]


@pytest.mark.parametrize("name, content", CASES)
def test_a_row_of_separators_is_a_row_and_an_empty_line_is_not(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(content)
    canon = read_dataset(path, "st")
    assert canon.rows["row"].to_list() == [1, 2, 4, 5]
    assert canon.rows["query_id"].is_null().to_list() == [False, True, False, True]
    assert profile(canon, None)["rows_in"] == 4


def test_a_row_of_separators_is_rejected_as_an_empty_query(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text("anchor,positive,negative\nq1,p1,n1\n,,\n\nq4,p4,n4\n")
    config = RunConfig(mining=MiningConfig(negatives=1), layout=LayoutConfig(layout="triplet", fill="drop"))
    read = convert(RunInputs(path, None), config, tmp_path / "out")["stages"][0]
    assert (read["rows_in"], read["rows_out"], read["rejected_by_reason"]) == (3, 2, {"empty_query": 1})
    rejects = pl.read_parquet(tmp_path / "out" / "rejects.parquet")
    assert rejects.select("row", "reason").rows() == [(2, "empty_query")]


def test_lint_flags_a_row_of_separators_as_empty_texts(tmp_path: Path, tiny_tokenizer: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text("anchor,positive\nq1,p1\n\n,\nq4,p4\n")
    finding = next(f for f in lint(path, LintOptions(model=str(tiny_tokenizer))).findings if f.rule == "empty-text")
    assert finding.rows == (3,)
