"""The write converts the rows to Arrow a slice at a time (pipeline/stages/arrow_rows.py), for datasets folders,
buckets and Parquet alike: it never holds the whole output's text in Arrow, and the written rows are the same."""

import json

import datasets
import polars as pl
import pyarrow.parquet as pq
import pytest

import pipeline.stages.arrow_rows as arrow_rows
from pipeline.stages.arrow_rows import arrow_slices

ROWS = [{"query": f"query {i} " + "word " * (i % 7), "pos": [f"positive {i} " * (1 + i % 3)],
         "neg": [f"negative {i} {j} " * (1 + j) for j in range(3)]} for i in range(40)]


@pytest.fixture
def many_rows(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    return path


@pytest.fixture
def converted(monkeypatch):
    """Records the height of every frame converted to Arrow."""
    heights = []
    convert = arrow_rows.to_arrow_strings

    def recorded(frame: pl.DataFrame):
        heights.append(frame.height)
        return convert(frame)

    monkeypatch.setattr(arrow_rows, "to_arrow_strings", recorded)
    return heights


def loaded(folder, shard_format: str) -> dict[str, list[dict]]:
    """The rows by Parquet file, or by split."""
    if shard_format == "parquet":
        return {str(path.relative_to(folder)): pq.read_table(path).to_pylist()
                for path in sorted((folder / "data").rglob("*.parquet"))}
    written = datasets.load_from_disk(str(folder))
    splits = written if isinstance(written, datasets.DatasetDict) else {"train": written}
    return {name: split.to_list() for name, split in splits.items()}


@pytest.mark.parametrize("layout", ["n-tuple", "buckets"])
@pytest.mark.parametrize("shard_format", ["arrow", "parquet"])
def test_the_rows_are_converted_a_slice_at_a_time(many_rows, convert_to, converted, monkeypatch, tmp_path, layout,
                                                  shard_format):
    whole = convert_to(many_rows, out="whole", layout=layout, shard_format=shard_format)
    whole_rows = loaded(tmp_path / "whole", shard_format)
    assert converted and max(converted) == len(ROWS)  # one slice: the whole output, as before
    converted.clear()
    monkeypatch.setattr(arrow_rows, "SLICE_BYTES", 300)  # about 3 rows of these
    sliced = convert_to(many_rows, out="sliced", layout=layout, shard_format=shard_format)
    assert len(converted) > 5 and max(converted) <= 4
    assert loaded(tmp_path / "sliced", shard_format) == whole_rows
    assert sliced["stages"] == whole["stages"]
    assert not list(tmp_path.glob("sliced/**/.rows*"))  # the Arrow files that datasets sharded are gone


def test_slices_follow_the_texts_lengths_not_the_frames_memory(monkeypatch):
    """The same rows give the same slices (they set the fingerprint): counted from the texts, which Polars' own size
    estimate is not (a frame of views counts its shared buffers)."""
    monkeypatch.setattr(arrow_rows, "SLICE_BYTES", 100)
    frame = pl.DataFrame({"anchor": ["a" * 10] * 12, "negative": [["b" * 5, "c" * 5]] * 12, "label": [1.0] * 12})
    assert [table.num_rows for table in arrow_slices(frame)] == [5, 5, 2]  # 20 bytes a row
    rebuilt = pl.concat([frame.slice(0, 7), frame.slice(7)], rechunk=False)
    assert [table.num_rows for table in arrow_slices(rebuilt)] == [5, 5, 2]
    assert [table.num_rows for table in arrow_slices(frame.clear())] == [0]


def test_a_write_in_slices_is_byte_identical_run_to_run(many_rows, convert_to, monkeypatch, tmp_path):
    """The fingerprint (state.json) is the slices' content: the same rows give the same slices and bytes."""
    monkeypatch.setattr(arrow_rows, "SLICE_BYTES", 300)
    for out in ("one", "two"):
        convert_to(many_rows, out=out)
    files = sorted(path.relative_to(tmp_path / "one") for path in (tmp_path / "one").rglob("*.arrow"))
    assert len(files) == 1  # one shard, written from a dozen slices
    for name in [*files, "state.json", "dataset_info.json"]:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
