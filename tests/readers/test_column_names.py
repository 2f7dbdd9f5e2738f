"""A header that names a column twice is an error naming the column, whichever table format holds it."""

from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from pipeline.errors import InputError
from pipeline.readers import read_dataset

TABLE = pa.Table.from_arrays([pa.array(["q1"]), pa.array(["q2"]), pa.array(["p"])],
                             names=["anchor", "anchor", "positive"])


@pytest.mark.parametrize("name", ["train.csv", "train.tsv", "train.parquet", "train.arrow", "run[1]/train.csv",
                                  "run[1]/train.tsv"])
def test_a_column_named_twice_is_an_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name  # run[1]: Polars reads a path as a glob pattern unless told not to
    path.parent.mkdir(exist_ok=True)
    if path.suffix in {".csv", ".tsv"}:
        separator = "," if path.suffix == ".csv" else "\t"
        path.write_text(separator.join(TABLE.column_names) + "\n" + separator.join(["q1", "q2", "p"]) + "\n")
    else:
        (pq.write_table if path.suffix == ".parquet" else feather.write_feather)(TABLE, path)
    with pytest.raises(InputError, match=r"field 'anchor': names two columns 'anchor' \(columns 1 and 2\)"):
        read_dataset(path)


def test_unnamed_columns_are_not_repeats(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text(",anchor,positive,\n0,q1,p1,\n")
    assert read_dataset(path).queries["text"].to_list() == ["q1"]


@pytest.mark.parametrize("text", ["anchor,positive,note,note_duplicated_0\nq1,p1,a,b\n",
                                  "anchor,positive,anchor_duplicated_0\nq1,p1,x\n",
                                  '"anchor","positive","a,b"\nq1,p1,x\n'])
def test_columns_named_like_polars_renames_are_not_repeats(tmp_path: Path, text: str) -> None:
    path = tmp_path / "train.csv"
    path.write_text(text)
    assert read_dataset(path).queries["text"].to_list() == ["q1"]


def test_a_shard_without_a_column_another_has_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "shards"
    folder.mkdir()
    pq.write_table(pa.table({"anchor": ["a"], "positive": ["b"], "negative": ["c"]}), folder / "a.parquet")
    pq.write_table(pa.table({"anchor": ["d"], "positive": ["e"]}), folder / "b.parquet")
    with pytest.raises(InputError, match=r"b\.parquet, field 'negative': no such column, which a\.parquet has"):
        read_dataset(folder)
