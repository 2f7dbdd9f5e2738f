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


@pytest.mark.parametrize("name", ["train.arrow", "train.parquet"])
def test_a_list_view_column_is_named(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    table = pa.table({"anchor": ["q"], "positive": ["p"], "negative": pa.array([["n"]], pa.list_view(pa.string()))})
    (pq.write_table if name.endswith(".parquet") else feather.write_feather)(table, path)
    with pytest.raises(InputError, match=r"field 'negative': holds list_view<\w+: string>, which Polars cannot read"):
        read_dataset(path)
