"""A header that reads as one column because the file has another separator says so."""

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.lint.context import LintOptions
from pipeline.lint.runner import lint
from pipeline.readers import read_dataset


@pytest.mark.parametrize("name, content, fmt, looks", [
    ("train.csv", "anchor;positive\nq1;p1\n", None, "';'-separated"),
    ("train.csv", "anchor|positive\nq1|p1\n", "st", "'|'-separated"),
    ("pairs.csv", "sentence1;sentence2;score\nq1;p1;1\n", "pairs", "';'-separated"),
    ("train.tsv", "anchor,positive\nq1,p1\n", None, "comma-separated"),
    ("train.csv", "anchor\tpositive\nq1\tp1\n", None, "tab-separated"),
])
def test_a_header_of_one_column_holding_another_separator_says_so(tmp_path: Path, name: str, content: str,
                                                                   fmt: str | None, looks: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError, match=rf"The file looks {looks}: prep reads a \.csv file as comma-separated"):
        read_dataset(path, fmt)


def test_lint_of_a_layout_says_so_too(tmp_path: Path) -> None:
    path = tmp_path / "pairs.csv"
    path.write_text("sentence1;sentence2;score\nq1;p1;1\n")
    with pytest.raises(InputError, match=r"this layout needs.*The file looks ';'-separated"):
        lint(path, LintOptions(fmt="pairs"))


def test_a_row_that_reads_as_more_fields_than_the_header_says_so_too(tmp_path: Path) -> None:
    """Texts with commas in a ';'-separated export: the row, not the header, fails first, as lint reads every column."""
    path = tmp_path / "train.csv"
    path.write_text("anchor;positive;negative\nq, x;p, y, z;n\n")
    with pytest.raises(InputError, match=r"row 1: 4 comma-separated fields, the header has 1\. The file looks "
                                         r"';'-separated"):
        lint(path, LintOptions())


def test_a_header_of_one_other_column_has_no_hint(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text("text\nq1\n")
    with pytest.raises(InputError, match=r"Map yours with --columns anchor=COLUMN") as error:
        read_dataset(path)
    assert "looks" not in str(error.value)
