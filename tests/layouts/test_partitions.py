"""Laying out partition by partition writes what one whole layout writes, for every layout, also where a query's
rows are scattered through the input."""

import json

import pytest
from flag_rows import ROWS

import pipeline.layouts.partitions
from pipeline.layouts.partitions import partition_selection


def written(folder) -> dict[str, bytes]:
    files = {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    manifest = json.loads(files.pop("manifest.json"))
    manifest.pop("timings_seconds")
    return files | {"manifest.json": json.dumps(manifest).encode()}


LAYOUTS = [{"layout": "n-tuple"}, {"layout": "n-tuple", "fill": "repeat"},
           {"layout": "flag", "fill": "pad", "allow_padding": True}, {"layout": "buckets"}, {"layout": "triplet"},
           {"layout": "labeled-pair"}, {"layout": "labeled-list"}]
# France's second row comes after hamlet's: the two queries must share a partition. The last query has negatives only.
SCATTERED = [ROWS[0], ROWS[1], {"query": ROWS[0]["query"], "pos": ["france's capital is paris"], "neg": ROWS[0]["neg"]},
             ROWS[2], ROWS[3], {"query": "what is chlorophyll", "pos": [], "neg": ["leaves are green"]}]


def lay_out_in_partitions_of_one(convert_to, monkeypatch, data, layout: dict) -> list:
    calls = []
    monkeypatch.setattr(pipeline.layouts.partitions, "PARTITION_QUERIES", 1)
    monkeypatch.setattr(pipeline.layouts.partitions, "lay_out_partition",
                        lambda part, shared: calls.append(part) or pipeline.layouts.lay_out(part, *shared))
    convert_to(data, out="parts", **layout)
    return calls


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: "-".join(str(value) for value in layout.values()))
def test_partitions_of_one_query_write_the_whole_layout(flag_data, convert_to, tmp_path, monkeypatch, layout):
    convert_to(flag_data, out="whole", **layout)
    assert len(lay_out_in_partitions_of_one(convert_to, monkeypatch, flag_data, layout)) == 4  # one per query
    assert written(tmp_path / "parts") == written(tmp_path / "whole")


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: "-".join(str(value) for value in layout.values()))
def test_a_query_with_scattered_rows_keeps_the_queries_between_in_its_partition(convert_to, tmp_path, monkeypatch,
                                                                               layout):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in SCATTERED))
    convert_to(path, out="whole", **layout)
    parts = lay_out_in_partitions_of_one(convert_to, monkeypatch, path, layout)
    assert [part.queries.height for part in parts] == [2, 1, 1, 1]  # france with hamlet, sky, cat, chlorophyll
    assert written(tmp_path / "parts") == written(tmp_path / "whole")


MANY = [{"query": f"query {i} " + "word " * (i % 7), "pos": [f"positive {i} " * (1 + i % 3)],
         "neg": [f"negative {i} {j} " * (1 + j) for j in range(3)]} for i in range(40)]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: "-".join(str(value) for value in layout.values()))
def test_partitions_written_in_many_slices_write_the_whole_layout(convert_to, tmp_path, monkeypatch, layout):
    """Slices that lie inside one partition's rows share that partition's buffers, not the whole layout's: the
    dataset's fingerprint (state.json) must not see the difference."""
    import pipeline.stages.arrow_rows

    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in MANY))
    monkeypatch.setattr(pipeline.stages.arrow_rows, "SLICE_BYTES", 300)
    convert_to(path, out="whole", **layout)
    monkeypatch.setattr(pipeline.layouts.partitions, "PARTITION_QUERIES", 10)
    convert_to(path, out="parts", **layout)
    assert written(tmp_path / "parts") == written(tmp_path / "whole")


def test_a_prompt_some_partition_lacks_is_written_by_none(convert_to, tmp_path, monkeypatch):
    """Each partition has a prompt on every row or on none: the column is decided over all of them."""
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(row | ({"prompt": "Retrieve text."} if number else {})) + "\n"
                            for number, row in enumerate(ROWS)))
    layout = {"layout": "flag", "fill": "pad", "allow_padding": True}
    convert_to(path, out="whole", **layout)
    assert len(lay_out_in_partitions_of_one(convert_to, monkeypatch, path, layout)) == 4
    assert written(tmp_path / "parts") == written(tmp_path / "whole")
    assert "prompt" not in (tmp_path / "parts" / "train.jsonl").read_text()


def test_a_partition_holds_its_own_queries_positives_negatives_and_texts(flag_data, tmp_path):
    from pipeline.convert import given_negatives
    from pipeline.layouts.selection import Selection
    from pipeline.readers import read_dataset

    canon = read_dataset(flag_data, None, "train", None)
    negatives = given_negatives(canon)
    selection = Selection.of(canon, canon.positives.with_columns(score=None), negatives, 3)
    parts = partition_selection(selection, 3)
    assert [part.queries.height for part in parts] == [3, 1]
    for part in parts:
        ids = set(part.queries["query_id"])
        assert set(part.positives["query_id"]) == ids and set(part.negatives["query_id"]) <= ids
        assert set(part.corpus["doc_id"]) == set(part.positives["doc_id"]) | set(part.negatives["doc_id"])
    assert sum(part.positives.height for part in parts) == selection.positives.height
    assert sum(part.negatives.height for part in parts) == selection.negatives.height
    assert partition_selection(selection, 4)[0] is selection
