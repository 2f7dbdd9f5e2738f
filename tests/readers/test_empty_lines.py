"""A CSV/TSV line of separators only is a row of empty texts, counted and rejected; an empty line is no row."""

from pathlib import Path

import polars as pl
import pytest

from pipeline.config import LayoutConfig, MiningConfig, RunConfig
from pipeline.convert import convert
from pipeline.errors import InputError
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
    assert canon.rows["row"].to_list() == [1, 2, 3, 4]  # records, as pandas and datasets number them
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
    assert finding.rows == (2,)


def test_rows_are_numbered_as_records_past_a_blank_line(tmp_path: Path, tiny_tokenizer: Path) -> None:
    """README: blank lines are not rows; lint, rejects and errors name the record (pandas' and datasets' row), not
    a count of the blank lines too, nor the file line (a quoted field may span lines)."""
    path = tmp_path / "bl.csv"
    path.write_text('anchor,positive,negative\nq1 paris,p1 france,n1\n\nq2 berlin,q2 berlin,n2\n"q3\nrome",p3,n3\n'
                    "q4,q4,n4\n")
    found = lint(path, LintOptions(model=str(tiny_tokenizer))).findings
    assert next(f for f in found if f.rule == "anchor-equals-positive").rows == (2, 4)
    config = RunConfig(mining=MiningConfig(negatives=1), layout=LayoutConfig(layout="triplet", fill="drop"))
    convert(RunInputs(path, None), config, tmp_path / "out")
    rejects = pl.read_parquet(tmp_path / "out" / "rejects.parquet")
    assert rejects.select("row", "anchor", "reason").rows() == [(2, "q2 berlin", "positive_is_anchor"),
                                                               (4, "q4", "positive_is_anchor")]
    for name, text in (("short.csv", "anchor,positive,negative\nq1,p1,n1\n\nq2,p2\n"),
                       ("short.tsv", "anchor\tpositive\tnegative\nq1\tp1\tn1\n\nq2\tp2\n"),
                       ("long.csv", "anchor,positive,negative\nq1,p1,n1\n\nq2,p2,n2,x\n"),
                       ("long.tsv", "anchor\tpositive\tnegative\nq1\tp1\tn1\n\nq2\tp2\tn2\tx\n")):
        (tmp_path / name).write_text(text)
        with pytest.raises(InputError, match=rf"{name}, row 2: "):
            read_dataset(tmp_path / name, "st")
