"""A prep flag output is linted as its --train_data, against the train_group_size its manifest.json gives; a Parquet
output as its data/ folder."""

import json
from pathlib import Path

import pytest
from rule_findings import by_rule, one

from pipeline.config import LayoutConfig, MiningConfig, RunConfig
from pipeline.convert import convert
from pipeline.lint.context import LintOptions
from pipeline.lint.runner import lint
from pipeline.run import RunInputs

ROWS = [{"query": f"query {i}", "pos": [f"passage {i}"], "neg": [f"negative {i} {k}" for k in range(3)],
         "type": "normal" if i < 3 else "sts"} for i in range(6)]
UNTYPED = [{key: value for key, value in row.items() if key != "type"} for row in ROWS]


def flag_output(tmp_path: Path, rows: list[dict]) -> Path:
    """`prep convert --to flag --group-size 4`: three negatives per row, as FlagEmbedding samples them."""
    data = tmp_path / "input.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    config = RunConfig(mining=MiningConfig(negatives=3), layout=LayoutConfig(layout="flag", fill="drop", group_size=4))
    convert(RunInputs(data, None), config, tmp_path / "out")
    return tmp_path / "out"


def lint_findings(path: Path, tokenizer: Path, **options: object) -> list:
    return lint(path, LintOptions(model=str(tokenizer), **options)).findings


@pytest.mark.parametrize("inside", ["", "train.jsonl"])
def test_a_flag_output_is_linted_against_its_own_group_size(tmp_path, tiny_tokenizer, inside) -> None:
    out = flag_output(tmp_path, UNTYPED)
    result = lint(out / inside, LintOptions(model=str(tiny_tokenizer)))
    assert [table["source"] for table in result.tables] == [str(out / "train.jsonl")]
    assert not by_rule(result.findings, "empty-negatives")
    finding = one(lint_findings(out / inside, tiny_tokenizer, group_size=8), "empty-negatives")
    assert "fewer than 7 negatives (train_group_size 8)" in finding.message, "an explicit --group-size wins"


@pytest.mark.parametrize("inside", ["", "train", "train/normal.jsonl"])
def test_a_flag_output_of_one_file_per_type(tmp_path, tiny_tokenizer, inside) -> None:
    out = flag_output(tmp_path, ROWS)
    assert not by_rule(lint_findings(out / inside, tiny_tokenizer), "empty-negatives")


def test_data_outside_a_prep_output_keeps_the_default(tmp_path, tiny_tokenizer) -> None:
    out = flag_output(tmp_path, UNTYPED)
    (out / "manifest.json").write_text('{"layout": {"layout": "flag", "negatives_per_row": 3}}')  # not prep's
    finding = one(lint_findings(out / "train.jsonl", tiny_tokenizer), "empty-negatives")
    assert "fewer than 7 negatives (train_group_size 8)" in finding.message


def test_a_parquet_output_is_linted_as_its_data_folder_each_bucket_a_split(tmp_path, tiny_tokenizer) -> None:
    data = tmp_path / "input.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in UNTYPED[:2]) + json.dumps(
        {"query": "query 9", "pos": ["passage 9"], "neg": ["negative 9"]}) + "\n")
    config = RunConfig(layout=LayoutConfig(layout="buckets", fill="drop", shard_format="parquet"))
    convert(RunInputs(data, None), config, tmp_path / "out")
    result = lint(tmp_path / "out", LintOptions(model=str(tiny_tokenizer)))
    assert [(table["source"], table["rows"]) for table in result.tables] == [
        (f"{tmp_path / 'out' / 'data'} [neg1]", 1), (f"{tmp_path / 'out' / 'data'} [neg3]", 2)]
    assert result.exit_code() == 0, result.findings


@pytest.mark.parametrize("shard_format", ["arrow", "parquet"])
def test_a_buckets_output_without_a_bucket_lints_as_empty(tmp_path, tiny_tokenizer, shard_format) -> None:
    """No query has a negative (a BEIR folder's qrels): convert writes no bucket and warns; lint reads 0 rows."""
    data = tmp_path / "input.jsonl"
    data.write_text("".join(json.dumps({"query": f"query {i}", "pos": [f"passage {i}"], "neg": []}) + "\n"
                            for i in range(3)))
    config = RunConfig(layout=LayoutConfig(layout="buckets", fill="drop", shard_format=shard_format))
    manifest = convert(RunInputs(data, None), config, tmp_path / "out")
    assert manifest["layout"]["splits"] == {} and "no rows written" in manifest["layout"]["warning"]
    result = lint(tmp_path / "out", LintOptions(model=str(tiny_tokenizer)))
    assert [(table["rows"], table["layout"]) for table in result.tables] == [(0, "buckets")]  # as its manifest says
    assert one(result.findings, "empty-dataset") and result.exit_code() == 0


@pytest.mark.parametrize("inside", ["", "train.jsonl"])
def test_an_empty_flag_output_lints_as_flag(tmp_path, tiny_tokenizer, inside) -> None:
    """No row has a usable positive: convert writes an empty train.jsonl, which has no columns to detect flag by."""
    out = flag_output(tmp_path, [{"query": "query 1", "pos": [""], "neg": ["negative 1"]}])
    result = lint(out / inside, LintOptions(model=str(tiny_tokenizer)))
    assert [(table["rows"], table["layout"]) for table in result.tables] == [(0, "flag")]
    assert lint(out, LintOptions(model=str(tiny_tokenizer), group_size=4)).tables[0]["layout"] == "flag"
    assert lint(out, LintOptions(model=str(tiny_tokenizer), layout="st")).tables[0]["layout"] == "st"


@pytest.mark.parametrize("name", ["shards.jsonl", "shards.csv"])
def test_an_output_named_like_a_file_is_linted_as_the_folder_it_is(tmp_path, tiny_tokenizer, name) -> None:
    """`--out shards.jsonl` is a datasets folder: linted as one, its padded negatives "" as padding, not as empty
    CSV cells."""
    data = tmp_path / "input.jsonl"
    data.write_text("".join(json.dumps(row | {"neg": row["neg"][:1]}) + "\n" for row in UNTYPED))
    config = RunConfig(mining=MiningConfig(negatives=2),
                       layout=LayoutConfig(fill="pad", allow_padding=True))
    convert(RunInputs(data, None), config, tmp_path / name)
    result = lint(tmp_path / name, LintOptions(model=str(tiny_tokenizer)))
    assert [table["rows"] for table in result.tables] == [6]
    assert one(result.findings, "padding-negative") and not by_rule(result.findings, "empty-text")
