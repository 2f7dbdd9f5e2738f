"""Each layout written by `prep convert` from tiny data: exact columns, rows, rejects and reconciliation."""

import json

import datasets
import polars as pl
import pytest
from flag_rows import NEGATIVES, POSITIVES, ROWS

from pipeline.errors import ConfigError


def layout_stage(manifest: dict) -> dict:
    stage = next(s for s in manifest["stages"] if s["stage"] == "layout")
    assert stage["reconciled"] and stage["rows_in"] == 5
    return stage


def test_n_tuple_drop_rejects_queries_short_of_k(flag_data, convert_to, tmp_path):
    manifest = convert_to(flag_data)
    rows = datasets.load_from_disk(str(tmp_path / "out"))
    assert rows.column_names == ["anchor", "positive", "negative_1", "negative_2", "negative_3"]
    assert rows["anchor"] == ["what is the capital of france"]
    assert [rows[0][f"negative_{i}"] for i in (1, 2, 3)] == NEGATIVES["what is the capital of france"][:3]
    assert layout_stage(manifest)["rejected_by_reason"] == {"fewer_than_k_negatives": 4}
    rejects = pl.read_parquet(tmp_path / "out" / "rejects.parquet")
    assert sorted(rejects["detail"]) == ["0 of 3 negatives", "1 of 3 negatives", "1 of 3 negatives",
                                         "2 of 3 negatives"]
    lines = {(row["query"], positive): number for number, row in enumerate(ROWS, 1) for positive in row["pos"]}
    assert rejects.select("anchor", "positive", "row").rows() == [
        (anchor, positive, lines[anchor, positive]) for anchor, positive in rejects.select("anchor", "positive").rows()]
    assert manifest["negatives"] == {"given": 7, "dropped_as_positive_of_the_same_query": 0,
                                     "dropped_as_a_positive_the_other_way_round": 0,
                                     "dropped_as_the_anchor_itself": 0, "in_output_rows": 3}


def test_n_tuple_repeat_fills_from_the_query_own_negatives(flag_data, convert_to, tmp_path):
    manifest = convert_to(flag_data, fill="repeat")
    rows = datasets.load_from_disk(str(tmp_path / "out")).to_list()
    assert len(rows) == 4 and layout_stage(manifest)["rejected_by_reason"] == {"fewer_than_k_negatives": 1}
    for row in rows:
        negatives = [row[f"negative_{i}"] for i in (1, 2, 3)]
        assert set(negatives) == set(NEGATIVES[row["anchor"]][:3])
    assert manifest["layout"]["negatives_added_by_fill"] == {"repeated": 3}  # per query: hamlet 2, cat 1
    assert "repeats" in manifest["layout"]["note"]


def test_pad_needs_allow_padding_and_warns(flag_data, convert_to, tmp_path):
    with pytest.raises(ConfigError, match="allow-padding"):
        convert_to(flag_data, fill="pad")
    manifest = convert_to(flag_data, fill="pad", allow_padding=True)
    rows = datasets.load_from_disk(str(tmp_path / "out")).to_list()
    assert len(rows) == 5
    sky = next(row for row in rows if row["anchor"] == "why is the sky blue")
    assert [sky[f"negative_{i}"] for i in (1, 2, 3)] == ["", "", ""]
    assert manifest["layout"]["negatives_added_by_fill"] == {"padding": 6}  # per query: hamlet 2, sky 3, cat 1
    assert "empty strings" in manifest["layout"]["warning"]


def test_buckets_keep_every_negative_one_split_per_count(flag_data, convert_to, tmp_path):
    manifest = convert_to(flag_data, layout="buckets")
    buckets = datasets.load_from_disk(str(tmp_path / "out"))
    assert sorted(buckets) == ["neg1", "neg2", "neg4"]
    assert buckets["neg1"].column_names == ["anchor", "positive", "negative_1"]
    assert len(buckets["neg1"]) == 2 and len(buckets["neg2"]) == 1 and len(buckets["neg4"]) == 1
    assert [buckets["neg4"][0][f"negative_{i}"] for i in range(1, 5)] == NEGATIVES["what is the capital of france"]
    assert layout_stage(manifest)["rejected_by_reason"] == {"no_negatives": 1}


def test_triplet_one_row_per_negative(flag_data, convert_to, tmp_path):
    manifest = convert_to(flag_data, layout="triplet")
    rows = datasets.load_from_disk(str(tmp_path / "out"))
    assert rows.column_names == ["anchor", "positive", "negative"]
    expected = sorted((q, p, n) for q in POSITIVES for p in POSITIVES[q] for n in NEGATIVES[q])
    assert sorted(zip(rows["anchor"], rows["positive"], rows["negative"], strict=True)) == expected
    assert layout_stage(manifest)["rejected_by_reason"] == {"no_negatives": 1}


def test_labeled_pair_scores_and_binary_labels(flag_data, convert_to, tmp_path):
    convert_to(flag_data, layout="labeled-pair")
    rows = datasets.load_from_disk(str(tmp_path / "out"))
    assert rows.column_names == ["sentence1", "sentence2", "score"]
    assert rows.features["score"].dtype == "float64"
    got = {(r["sentence1"], r["sentence2"]): r["score"] for r in rows}
    expected = {(q, p): 1.0 for q in POSITIVES for p in POSITIVES[q]} | {
        (q, n): 0.0 for q in NEGATIVES for n in NEGATIVES[q]}
    assert got == expected and len(rows) == 12
    manifest = convert_to(flag_data, out="binary", layout="labeled-pair", binary=True)
    binary = datasets.load_from_disk(str(tmp_path / "binary"))
    assert binary.column_names == ["sentence1", "sentence2", "label"] and binary.features["label"].dtype == "int64"
    assert sorted(binary["label"]) == [0] * 7 + [1] * 5
    assert layout_stage(manifest)["rows_out"] == 5


def test_labeled_list_docs_and_labels_are_as_long(flag_data, convert_to, tmp_path):
    manifest = convert_to(flag_data, layout="labeled-list")
    rows = datasets.load_from_disk(str(tmp_path / "out")).to_list()
    # The sky query has no negatives: a list of [1.0] teaches a listwise loss nothing (ST's miner drops it too).
    assert [row["query"] for row in rows] == [query for query in POSITIVES if NEGATIVES[query]]
    assert layout_stage(manifest)["rejected_by_reason"] == {"no_negatives": 1}
    rejects = pl.read_parquet(tmp_path / "out" / "rejects.parquet")
    assert rejects.select("anchor", "positive", "reason").rows() == [
        ("why is the sky blue", "light scattering makes the sky blue", "no_negatives")]
    for row in rows:
        assert len(row["docs"]) == len(row["labels"])
        assert row["docs"] == POSITIVES[row["query"]] + NEGATIVES[row["query"]]
        assert row["labels"] == [1.0] * len(POSITIVES[row["query"]]) + [0.0] * len(NEGATIVES[row["query"]])


def test_flag_has_exactly_group_size_minus_one_negatives(flag_data, convert_to, tmp_path):
    manifest = convert_to(flag_data, layout="flag", group_size=3, negatives=2, fill="repeat")
    lines = (tmp_path / "out" / "train.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 3 and all(list(row) == ["query", "pos", "neg"] for row in rows)
    for row in rows:
        # FlagEmbedding samples train_group_size - 1 negatives per query; with exactly that many none repeat.
        assert isinstance(row["pos"], list) and isinstance(row["neg"], list) and len(row["neg"]) == 2
        assert row["pos"] == POSITIVES[row["query"]] and set(row["neg"]) <= set(NEGATIVES[row["query"]])
    assert "--train_group_size 3 --query_instruction_for_retrieval '' " in manifest["layout"]["load"]
    assert layout_stage(manifest)["rejected_by_reason"] == {"fewer_than_group_size_negatives": 1}


def test_flag_group_size_and_negatives_must_agree(flag_data, convert_to):
    from pipeline.config_file import load_run_config

    with pytest.raises(ConfigError, match="group_size 3 means 2 negatives"):
        load_run_config(None, {"--negatives": 5, "--layout": "flag", "--group-size": 3})
    assert load_run_config(None, {"--layout": "flag", "--group-size": 8}).mining.negatives == 7


def test_scores_from_the_input_and_an_error_when_there_are_none(flag_data, convert_to, tmp_path, write_table):
    with pytest.raises(ConfigError, match="no score in the input"):
        convert_to(flag_data, layout="labeled-pair", scores=True)
    scored = write_table("scored.jsonl", [
        {"query": "q one", "pos": ["p one"], "neg": ["n one", "n two"], "pos_scores": [0.9], "neg_scores": [0.3, 0.1]}])
    convert_to(scored, layout="n-tuple", negatives=2, scores=True)
    row = datasets.load_from_disk(str(tmp_path / "out"))[0]
    assert row["label"] == [0.9, 0.3, 0.1]
    convert_to(scored, out="flag", layout="flag", group_size=2, negatives=1, scores=True)
    flag = json.loads((tmp_path / "flag" / "train.jsonl").read_text(encoding="utf-8"))
    assert flag == {"query": "q one", "pos": ["p one"], "neg": ["n one"], "pos_scores": [0.9], "neg_scores": [0.3]}


@pytest.mark.parametrize(("settings", "message"), [
    ({"layout": "labeled-pair", "batch_size": 2}, "for the n-tuple and triplet layouts"),
    ({"batch_size": 2, "shard_format": "parquet"}, "use shard_format 'arrow'"),
    ({"leftover": "reject"}, "give batch_size too"),
    ({"layout": "flag", "shard_rows": 10}, "do not apply"),
    ({"layout": "triplet", "fill": "repeat"}, "keeps whatever negatives"),
])
def test_options_that_would_be_ignored_are_errors(settings, message):
    from pipeline.config import LayoutConfig

    with pytest.raises(ConfigError, match=message):
        LayoutConfig(**settings)


def test_convert_takes_fill_from_the_config_file(flag_data, prep, tmp_path):
    config = tmp_path / "prep.toml"
    config.write_text('[layout]\nfill = "repeat"\n')
    result = prep("convert", flag_data, "--to", "n-tuple", "--config", config, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["layout"]["fill"] == "repeat" and manifest["stages"][1]["rows_out"] == 4
