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
