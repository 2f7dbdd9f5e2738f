"""Laying out partition by partition (one query each here) writes what one whole layout writes, for every layout."""

import json

import datasets
import pytest
from flag_rows import ROWS

import pipeline.layouts.partitions
from pipeline.layouts.partitions import partition_selection


def written(folder) -> dict[str, bytes]:
    files = {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    manifest = json.loads(files.pop("manifest.json"))
    manifest.pop("timings_seconds")
    return files | {"manifest.json": json.dumps(manifest).encode()}


@pytest.mark.parametrize("layout", [
    {"layout": "n-tuple"}, {"layout": "n-tuple", "fill": "repeat"}, {"layout": "flag", "fill": "pad",
                                                                      "allow_padding": True},
    {"layout": "buckets"}, {"layout": "triplet"}, {"layout": "labeled-pair"}, {"layout": "labeled-list"},
], ids=lambda layout: "-".join(str(value) for value in layout.values()))
def test_partitions_of_one_query_write_the_whole_layout(flag_data, convert_to, tmp_path, monkeypatch, layout):
    convert_to(flag_data, out="whole", **layout)
    calls = []
    monkeypatch.setattr(pipeline.layouts.partitions, "PARTITION_QUERIES", 1)
    monkeypatch.setattr(pipeline.layouts.partitions, "lay_out_partition",
                        lambda part, shared: calls.append(part) or pipeline.layouts.lay_out(part, *shared))
    convert_to(flag_data, out="parts", **layout)
    assert len(calls) == 4  # one partition per query
    assert written(tmp_path / "parts") == written(tmp_path / "whole")


def test_a_partition_holds_its_own_queries_positives_negatives_and_texts(flag_data, tmp_path):
    from pipeline.convert import given_negatives
    from pipeline.layouts.selection import Selection
    from pipeline.readers import read_dataset

    canon = read_dataset(flag_data, None, "train", None)
    negatives, _ = given_negatives(canon)
    selection = Selection.of(canon, canon.positives.with_columns(score=None), negatives, 3)
    parts = partition_selection(selection, 3)
    assert [part.queries.height for part in parts] == [3, 1]
    for part in parts:
        ids = set(part.queries["query_id"])
        assert set(part.positives["query_id"]) == ids and set(part.negatives["query_id"]) <= ids
        assert set(part.corpus["doc_id"]) == set(part.positives["doc_id"]) | set(part.negatives["doc_id"])
    assert sum(part.positives.height for part in parts) == selection.positives.height
    assert sum(part.negatives.height for part in parts) == selection.negatives.height
    assert partition_selection(selection, 4) == [selection]


def test_a_query_with_scattered_rows_keeps_every_row_with_its_partition(tmp_path, convert_to, monkeypatch):
    rows = [*ROWS, {"query": ROWS[0]["query"], "pos": ["france's capital is paris"], "neg": ROWS[0]["neg"]}]
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    whole = convert_to(path, out="whole", fill="repeat")
    monkeypatch.setattr(pipeline.layouts.partitions, "PARTITION_QUERIES", 1)
    parts = convert_to(path, out="parts", fill="repeat")
    first, second = (datasets.load_from_disk(str(tmp_path / name)).to_list() for name in ("whole", "parts"))
    assert sorted(map(str, first)) == sorted(map(str, second)) and len(first) == 5
    assert [row["anchor"] for row in second[:2]] == [ROWS[0]["query"]] * 2  # together, in its partition
    assert parts["stages"] == whole["stages"]
