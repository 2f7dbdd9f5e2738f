"""`prep lint` as users run it: exit codes, --strict, the JSON list, DatasetDict folders, no torch, real data."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.lint.context import LintOptions
from pipeline.lint.registry import RULE_IDS, RULES
from pipeline.lint.runner import lint

CLEAN = [
    {"anchor": "what is bm25", "positive": "BM25 ranks documents.", "negative": "Dune is a novel."},
    {"anchor": "who wrote dune", "positive": "Frank Herbert wrote Dune.", "negative": "Mars is red."},
]
KEYS = {"rule", "severity", "count", "rows", "message", "fix", "source"}


def test_rule_ids_are_unique_kebab_case_and_described() -> None:
    assert len(set(RULE_IDS)) == len(RULE_IDS)
    for rule in RULES:
        assert rule.id.replace("-", "").isalpha() and rule.id.islower(), rule.id
        assert rule.severity in ("error", "warning") and rule.description and rule.fix


def test_exit_0_when_clean(write_table, prep, tiny_tokenizer: Path) -> None:
    result = prep("lint", write_table("train.jsonl", CLEAN), "--model", tiny_tokenizer)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no problems found" in result.stdout


def test_a_json_file_that_is_an_input_is_refused(write_table, prep, tmp_path: Path) -> None:
    """`prep lint data.jsonl --json data.jsonl` overwrote the data with its findings; so did --json naming --eval."""
    data, held_out = write_table("train.jsonl", CLEAN), write_table("eval.jsonl", CLEAN)
    before = data.read_bytes(), held_out.read_bytes()
    for option, path in (("DATA", data), ("--eval", held_out)):
        result = prep("lint", data, "--eval", held_out, "--json", path)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines() == [f"error: --json {path} is {option}: writing it would overwrite "
                                                      "the input; choose another file"]
    assert (data.read_bytes(), held_out.read_bytes()) == before


@pytest.mark.parametrize(("path", "message"), [("", "--json is an empty path; give a file"),
                                             (".", "--json . is a folder; give a file name")])
def test_a_json_file_that_is_empty_or_a_folder_is_refused_up_front(write_table, prep, tmp_path: Path, path: str,
                                                                   message: str) -> None:
    """`--json ""` was read as the working directory: the findings were computed, then a ValueError traceback."""
    data = write_table("train.jsonl", CLEAN)
    result = prep("lint", data, "--json", path, "--model", "/nonexistent", cwd=tmp_path)  # before the model is read
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [f"error: {message}"]


def test_exit_1_on_errors_and_json_shape(write_table, prep, tmp_path: Path, tiny_tokenizer: Path) -> None:
    rows = [*CLEAN, {**CLEAN[0], "positive": "what is bm25"}]
    out = tmp_path / "findings.json"
    result = prep("lint", write_table("train.jsonl", rows), "--json", out, "--model", tiny_tokenizer)
    assert result.returncode == 1
    findings = json.loads(out.read_text())
    assert isinstance(findings, list) and all(set(f) == KEYS for f in findings)
    equal = next(f for f in findings if f["rule"] == "anchor-equals-positive")
    assert (equal["severity"], equal["count"], equal["rows"]) == ("error", 1, [3])
    assert "anchor-equals-positive" in result.stdout


def test_warnings_pass_unless_strict(write_table, prep, tiny_tokenizer: Path) -> None:
    path = write_table("train.jsonl", [*CLEAN, {**CLEAN[0], "positive": "BM25 is a ranking function."}])
    assert prep("lint", path, "--model", tiny_tokenizer).returncode == 0
    strict = prep("lint", path, "--strict", "--model", tiny_tokenizer)
    assert strict.returncode == 1 and "duplicate-query" in strict.stdout


@pytest.mark.parametrize("args", [["--loss", "NoSuchLoss"], ["--layout", "pairs"], ["--batch-size", "1"]])
def test_exit_2_on_a_wrong_call(write_table, prep, args: list[str]) -> None:
    result = prep("lint", write_table("train.jsonl", CLEAN), *args)
    assert result.returncode == 2 and result.stderr.startswith("error:"), result.stderr


def test_format_and_layout_that_disagree_are_refused(write_table, prep) -> None:
    # `--format pairs --layout n-tuple` linted the table as n-tuple, exit 0, with no word about --format.
    result = prep("lint", write_table("train.jsonl", CLEAN), "--format", "pairs", "--layout", "n-tuple")
    assert result.returncode == 2
    assert result.stderr == ("error: --format pairs reads the labeled-pair layout, not --layout n-tuple; give the "
                             "--format the data is in, or leave one of the two out\n")


@pytest.mark.parametrize(("fmt", "layouts"), [("st", "n-tuple, triplet, buckets or st"), ("flag", "flag"),
                                              ("lists", "labeled-list"), ("beir", "beir")])
def test_a_format_goes_with_its_own_layouts_only(fmt: str, layouts: str) -> None:
    from pipeline.errors import ConfigError
    from pipeline.lint.layouts import LAYOUTS

    agree = [layout for layout in LAYOUTS if layout in layouts.replace(" or ", ", ").split(", ")]
    for layout in agree:
        LintOptions(fmt=fmt, layout=layout)
    for layout in set(LAYOUTS) - set(agree):
        with pytest.raises(ConfigError, match=f"^--format {fmt} reads the {layouts} layout, not --layout {layout};"):
            LintOptions(fmt=fmt, layout=layout)


def test_format_and_layout_that_agree_are_linted(write_table, tiny_tokenizer: Path) -> None:
    pairs = [{"sentence1": "what is bm25", "sentence2": "BM25 ranks documents.", "score": 1.0},
             {"sentence1": "who wrote dune", "sentence2": "Mars is red.", "score": 0.0}]
    options = LintOptions(fmt="pairs", layout="labeled-pair", model=str(tiny_tokenizer))
    result = lint(write_table("train.jsonl", pairs), options)
    assert (result.tables[0]["layout"], result.findings) == ("labeled-pair", [])


def test_batch_of_one_is_refused_by_lint_and_layouts() -> None:
    from pipeline.config import LayoutConfig
    from pipeline.errors import ConfigError

    for make in (lambda: LintOptions(batch_size=1), lambda: LayoutConfig(layout="n-tuple", batch_size=1)):
        with pytest.raises(ConfigError, match="at least 2: a batch of 1 row has no in-batch negatives"):
            make()


def test_a_batch_size_no_trainer_runs_is_refused(prep, tmp_path) -> None:
    """Bounded only by int64 before, where a typo's batches were described as if a trainer could run them."""
    (tmp_path / "train.jsonl").write_text('{"anchor": "a", "positive": "b"}\n')
    refused = prep("lint", tmp_path / "train.jsonl", "--batch-size", "1048577")
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.splitlines() == ["error: --batch-size is the trainer's per-device batch size, at most "
                                           "1,048,576; got 1048577"]
    assert LintOptions(batch_size=1_048_576).batch_size == 1_048_576


@pytest.mark.parametrize(("options", "message"), [
    ({"eval_split": "test"}, "--eval-split test is the split of the --eval data: give --eval too"),
    ({"cache_dir": "cache"}, "--cache-dir cache is the embedding cache of --deep, which alone encodes: add --deep"),
])
def test_an_option_that_needs_another_is_refused_without_it(options: dict, message: str) -> None:
    """Both were dropped without a word, so a missing --eval or --deep went unnoticed."""
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError) as error:
        LintOptions(**options)
    assert str(error.value) == message


@pytest.mark.parametrize(("args", "threshold"), [(["--threshold", "0.5"], None), (["--deep"], 0.90),
                                               (["--deep", "--threshold", "0.5"], 0.5)])
def test_a_threshold_without_deep_is_refused_as_a_cache_dir_is(write_table, monkeypatch, args: list[str],
                                                               threshold: float | None) -> None:
    """`prep lint DATA --threshold 0.5` linted without a word that the threshold of the --deep checks went unused."""
    from typer.testing import CliRunner

    import pipeline.lint.runner
    from pipeline.cli import app
    from pipeline.errors import ConfigError

    given: list[LintOptions] = []

    def stop(data: Path, options: LintOptions) -> None:
        given.append(options)
        raise KeyboardInterrupt  # before the lint

    monkeypatch.setattr(pipeline.lint.runner, "lint", stop)
    result = CliRunner().invoke(app, ["lint", str(write_table("train.jsonl", CLEAN)), *args])
    if threshold is None:
        assert isinstance(result.exception, ConfigError) and not given
        assert str(result.exception) == "--threshold 0.5 is the near-duplicate cosine of --deep, which alone " \
                                        "encodes: add --deep"
    else:
        assert given[0].threshold == threshold


def test_empty_file_is_a_warning(write_table, prep, tiny_tokenizer: Path) -> None:
    result = prep("lint", write_table("train.jsonl", []), "--model", tiny_tokenizer)
    assert result.returncode == 0, result.stderr  # readable, as `prep report` reads it: 0 rows
    assert "empty-dataset" in result.stdout and "no rows" in result.stdout


def test_the_header_counts_one_row_in_the_singular(write_table, tiny_tokenizer: Path) -> None:
    from rich.console import Console

    from pipeline.lint.render import render_terminal

    console = Console(record=True, width=120)
    render_terminal(lint(write_table("train.jsonl", CLEAN[:1]), LintOptions(model=str(tiny_tokenizer))), console)
    assert "train.jsonl: 1 row, layout triplet" in console.export_text()


def test_the_footer_counts_in_the_singular_and_plural(write_table, tiny_tokenizer: Path) -> None:
    from rich.console import Console

    from pipeline.lint.render import render_terminal

    same = [CLEAN[0], {**CLEAN[1], "positive": CLEAN[1]["anchor"]}]  # anchor-equals-positive
    repeated = [*CLEAN, {**CLEAN[0], "positive": "BM25 is a ranking function."}]  # duplicate-query and its conflict
    for records, footer in ((same, "1 error, 0 warnings"), (repeated, "0 errors, 2 warnings")):
        console = Console(record=True, width=120)
        render_terminal(lint(write_table("train.jsonl", records), LintOptions(model=str(tiny_tokenizer))), console)
        assert console.export_text().endswith(f"\n{footer}\n")


def test_exit_2_on_unreadable_input(tmp_path: Path, prep) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"anchor": "a", "positive": "b"}\n{"anchor": "c", "positive": \n')
    result = prep("lint", bad)
    assert result.returncode == 2 and "bad.jsonl, line 2" in result.stderr
    assert prep("lint", tmp_path / "missing.jsonl").returncode == 2


@pytest.mark.parametrize("name", ["nulls.jsonl", "nulls.json"])
def test_a_line_null_is_named_as_the_readers_name_it(tmp_path: Path, name: str) -> None:
    """Polars reads the line `null` as a record of null fields: lint said "empty texts: anchor 1 (1 null)"."""
    data = tmp_path / name
    data.write_text('{"anchor": "a", "positive": "b"}\n\n{}\nnull\n{"anchor": "c", "positive": "d"}\n')
    with pytest.raises(InputError, match=rf"{name}, line 4: is null, not a JSON object; remove the line"):
        lint(data, LintOptions())
    data.write_text('{"anchor": "a", "positive": "b"}\n{}\n')  # an object without the fields stays a finding
    assert "empty-text" in {finding.rule for finding in lint(data, LintOptions()).findings}


@pytest.mark.parametrize("first", [b"null", b"\xef\xbb\xbf  null \r"])
def test_a_line_null_that_starts_the_file_is_named_not_a_crash(tmp_path: Path, prep, first: bytes) -> None:
    """pyarrow's JSON reader crashed (SIGSEGV, exit 139) on a read block that starts with the line `null`: the first
    line, or any line that falls on a block's start. In a child process: the crash would end the test run."""
    data = tmp_path / "data.jsonl"
    data.write_bytes(first + b'\n{"anchor": "a", "positive": "b"}\n')
    for command in ("lint", "report"):
        result = prep(command, data)
        assert result.returncode == 2, (command, result.returncode, result.stderr)
        assert "data.jsonl, line 1: is null, not a JSON object; remove the line" in " ".join(result.stderr.split())
    data.write_bytes(b'{"anchor": "a", "positive": "b"}\r\n' * 3 + b"null\r\n")
    assert "data.jsonl, line 4: is null" in prep("report", data).stderr


def test_the_null_line_is_counted_across_the_scan_s_slices(tmp_path: Path, monkeypatch) -> None:
    import pipeline.readers.null_lines as null_lines

    monkeypatch.setattr(null_lines, "CHUNK", 7)  # lines are counted a slice at a time: the file may exceed memory
    data = tmp_path / "data.jsonl"
    data.write_text('{"anchor": "a", "positive": "b"}\n' * 4 + "null\n")
    with pytest.raises(InputError, match=r"data\.jsonl, line 5: is null"):
        null_lines.refuse_null_lines(data)


def test_dataset_dict_folder_lints_each_split(tmp_path: Path, tiny_tokenizer: Path) -> None:
    import datasets

    folder = tmp_path / "buckets"
    datasets.DatasetDict({
        "neg1": datasets.Dataset.from_list([{"anchor": "a b", "positive": "c d", "negative_1": "e f"}]),
        "neg2": datasets.Dataset.from_list([{"anchor": "g h", "positive": "g h", "negative_1": "i", "negative_2": ""}]),
    }).save_to_disk(folder)
    result = lint(folder, LintOptions(layout="buckets", model=str(tiny_tokenizer)))
    assert [t["source"] for t in result.tables] == [f"{folder} [neg1]", f"{folder} [neg2]"]
    assert {(f.rule, f.source, f.rows) for f in result.findings} == {
        ("anchor-equals-positive", f"{folder} [neg2]", (1,)), ("padding-negative", f"{folder} [neg2]", (1,))}


def test_plain_lint_does_not_import_torch(write_table, tiny_tokenizer: Path) -> None:
    path = write_table("train.jsonl", CLEAN)
    code = ("import sys; from pipeline.lint.runner import lint; from pipeline.lint.context import LintOptions; "
            f"lint({str(path)!r}, LintOptions(model={str(tiny_tokenizer)!r}, batch_size=2)); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


REAL = ["stsbenchmark/train.jsonl", "trecqa/train_pos_neg.jsonl", "scifact", "cranfield",
        "flagembedding/examples_finetune_embedder_example_data_retrieval_nq.jsonl",
        "flagembedding/examples_finetune_embedder_example_data_retrieval_nli.jsonl"]


@pytest.mark.parametrize("name", REAL)
def test_real_data_lints_without_crashing(shared_data: Path, name: str) -> None:
    result = lint(shared_data / name, LintOptions())
    assert result.tables and all(f.rule in RULE_IDS for f in result.findings)


def test_real_fiqa_needs_its_positive_column_named(shared_data: Path, prep) -> None:
    path = shared_data / "fiqa_nemo_sample" / "hard-neg-input-data.jsonl"
    assert prep("lint", path).returncode == 2
    result = lint(path, LintOptions(columns={"anchor": "question", "positive": "documents"}))
    assert {"list-column", "two-element-list"} <= {f.rule for f in result.findings}
