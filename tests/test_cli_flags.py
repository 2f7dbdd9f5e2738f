"""A bad value given by a flag of `prep run` or `prep convert` is named by that flag, as the user typed it."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config_file import FLAGS
from pipeline.errors import ConfigError

# --model and --cache-dir are checked when they load or are written (tests/test_cli.py), but for an empty string (an
# unset shell variable), which would mean the default model or the current folder; --trust-given-negatives is right
# whatever it says.
NEVER_WRONG_ALONE = {"--model", "--cache-dir", "--trust-given-negatives"}
RUN = [
    (["--negatives", "0"], "--negatives 0: negatives must be a positive integer"),
    (["--seed", "-1"], "--seed -1: mining.seed must be from 0"),
    (["--relative-margin", "1.5"], "--relative-margin 1.5: mining.relative_margin is a share"),
    (["--sampling", "best"], "--sampling best: sampling must be one of"),
    (["--given-sampling", "hardest"], "--given-sampling hardest: given_sampling must be one of"),
    (["--positive-neighbors", "-1"], "--positive-neighbors -1: mining.positive_neighbors must be from 0 (off) to 1024"),
    # faiss was asked for a (positives x N + 1) array after the encoding: a MemoryError traceback
    (["--positive-neighbors", "10000000000"], "--positive-neighbors 10000000000: mining.positive_neighbors must be "
                                              "from 0 (off) to 1024, got 10000000000"),
    (["--max-positive-rank", "-2"], "--max-positive-rank -2: max_positive_rank must be 0 (off) or more"),
    (["--dedupe-threshold", "1.5"], "--dedupe-threshold 1.5: dedupe.threshold is a cosine"),
    (["--backend", "fp64"], "--backend fp64: backend must be one of"),
    (["--tokenizer-workers", "-1"], "--tokenizer-workers -1: tokenizer_workers must be 0 or more"),
    (["--layout", "bogus"], "--layout bogus: layout must be one of"),
    (["--fill", "pad"], "--fill pad: fill 'pad' writes empty strings"),
    (["--allow-padding"], "--allow-padding: allow_padding confirms fill 'pad'"),
    (["--scores", "--layout", "triplet"], "--layout triplet --scores: the triplet layout has no score column"),
    (["--binary"], "--binary: binary labels are for the labeled-pair layout"),
    (["--no-scores", "--teacher", "x"], "--no-scores --teacher x: a teacher gives scores"),
    (["--layout", "flag", "--group-size", "1"], "--group-size 1: group_size must be at least 2"),
    (["--all-negatives"], "--all-negatives: all_negatives is for the flag layout"),
    (["--shard-format", "csv"], "--shard-format csv: shard_format must be one of"),
    (["--shard-rows", "0"], "--shard-rows 0: shard_rows must be a positive integer"),
    (["--positives", "some"], "--positives some: positives must be 'all', 'first' or 'sample:N'"),
    (["--batch-size", "1"], "--batch-size 1: batch_size must be at least 2"),
    (["--leftover", "reject"], "--leftover reject: leftover applies to conflict-free batches: give --batch-size too"),
    # it was told to give --batch-size, which it had given
    (["--batch-size", "0", "--leftover", "reject"], "--batch-size 0 --leftover reject: leftover applies to "
                                                    "conflict-free batches, which batch_size 0 (or false) turns off: "
                                                    "give a --batch-size of 2 or more"),
    (["--engine", "spark"], "--engine spark: name must be one of 'local', 'ray'"),
    (["--ray-address", "auto"], "--ray-address auto: engine address, workers"),
    (["--engine", "ray", "--workers", "0"], "--workers 0: workers must be a positive integer"),
    (["--model", ""], "--model '': model is an empty string; leave it out to use the default"),
    (["--cache-dir", ""], "--cache-dir '': cache_dir is an empty string"),
    (["--scores", "--teacher", ""], "--teacher '': teacher is an empty string"),
    (["--layout", "flag", "--group-size", "4", "--negatives", "5"],
     "--negatives 5 --group-size 4: group_size 4 means 3 negatives per query; negatives says 5"),
]
CONVERT = [
    (["--to", "bogus"], "--to bogus: layout must be one of"),
    (["--to", "triplet", "--fill", "repeat"], "--to triplet --fill repeat: fill 'repeat' completes rows"),
    (["--to", "flag", "--group-size", "1"], "--group-size 1: group_size must be at least 2"),
    (["--to", "n-tuple", "--negatives", "0"], "--negatives 0: negatives must be a positive integer"),
    (["--to", "n-tuple", "--seed", "-4"], "--seed -4: mining.seed must be from 0"),
    (["--to", "flag", "--group-size", str(2**63)], f"--group-size {2**63}: group_size must fit in a 64-bit integer"),
]


def _error(command: str, args: list[str], tmp_path: Path) -> str:
    data = tmp_path / "train.jsonl"
    data.write_text('{"query": "q", "pos": ["p"], "neg": ["n"]}\n')
    result = CliRunner().invoke(app, [command, str(data), "--out", str(tmp_path / "out"), *args])
    assert isinstance(result.exception, ConfigError), result.output
    return str(result.exception)


@pytest.mark.parametrize(("args", "message"), RUN)
def test_a_bad_flag_of_prep_run_is_named_as_typed(tmp_path: Path, args: list[str], message: str) -> None:
    assert _error("run", args, tmp_path).startswith(message)


@pytest.mark.parametrize(("args", "message"), CONVERT)
def test_a_bad_flag_of_prep_convert_is_named_as_typed(tmp_path: Path, args: list[str], message: str) -> None:
    assert _error("convert", args, tmp_path).startswith(message)


def test_every_flag_that_sets_a_config_value_has_a_case() -> None:
    typed = {word for _, message in RUN + CONVERT for word in message.partition(": ")[0].split() if word[:2] == "--"}
    assert set(FLAGS) - NEVER_WRONG_ALONE <= typed
