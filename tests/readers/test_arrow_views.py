"""Arrow view types, which pyarrow writes and Polars' Arrow and Parquet readers panicked on: string views are read,
list views are an error that names the column."""

from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from pipeline.errors import InputError
from pipeline.readers import read_dataset


def test_string_views_in_an_arrow_file_are_read(tmp_path: Path) -> None:
    path = tmp_path / "train.arrow"
    feather.write_feather(pa.table({"anchor": pa.array(["NA", "q2"], pa.string_view()), "positive": ["null", "p2"]}),
                          path)
    canon = read_dataset(path)
    assert sorted(canon.queries["text"]) == ["NA", "q2"] and sorted(canon.corpus["text"]) == ["null", "p2"]


def write_stream(table: pa.Table, path: Path) -> None:
    """The Arrow IPC stream format, which `datasets` writes."""
    with pa.ipc.new_stream(str(path), table.schema) as writer:
        writer.write_table(table)


@pytest.mark.parametrize("name, write", [("train.arrow", feather.write_feather), ("stream.arrow", write_stream),
                                         ("train.parquet", pq.write_table)])
def test_a_list_view_column_is_named(tmp_path: Path, name: str, write) -> None:
    path = tmp_path / name
    write(pa.table({"anchor": ["q"], "positive": ["p"], "negative": pa.array([["n"]], pa.list_view(pa.string()))}),
          path)
    with pytest.raises(InputError, match=r"field 'negative': holds list_view<\w+: string>, which Polars cannot read"):
        read_dataset(path)


def test_a_list_view_column_in_a_parquet_folder_names_its_shard(tmp_path: Path) -> None:
    folder = tmp_path / "shards"
    folder.mkdir()
    pq.write_table(pa.table({"anchor": ["q1"], "positive": ["p1"], "negative": [["n1"]]}), folder / "part-0.parquet")
    pq.write_table(pa.table({"anchor": ["q2"], "positive": ["p2"],
                             "negative": pa.array([["n2"]], pa.list_view(pa.string()))}), folder / "part-1.parquet")
    with pytest.raises(InputError, match=r"part-1\.parquet, field 'negative': holds list_view"):
        read_dataset(folder)


def test_string_views_in_a_parquet_folder_are_read_from_every_shard(tmp_path: Path) -> None:
    folder = tmp_path / "shards"
    folder.mkdir()
    for shard, rows in enumerate((["q1", "q2"], ["q3"])):
        pq.write_table(pa.table({"anchor": pa.array(rows, pa.string_view()), "positive": [f"p-{q}" for q in rows]}),
                       folder / f"part-{shard}.parquet")
    canon = read_dataset(folder)
    assert sorted(canon.queries["text"]) == ["q1", "q2", "q3"] and canon.positives.height == 3
