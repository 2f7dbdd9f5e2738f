"""The `prep` command line: `prep report` writes the terminal summary, JSON and HTML."""

import json
from pathlib import Path
from urllib.parse import quote

import pytest
from plain_norm import norm

from pipeline.cli_app import parse_columns
from pipeline.cli_output import check_apart, write_out
from pipeline.errors import ConfigError

REPO = Path(__file__).parents[1]
ROWS = [
    {"query": "what is bm25", "pos": ["BM25 ranks documents."], "neg": ["Dune is a novel.", "Mars is red."]},
    {"query": "who wrote dune", "pos": ["Frank Herbert wrote Dune."], "neg": ["BM25 ranks documents."]},
    {"query": "capital of france", "pos": ["Paris is the capital of France."], "neg": ["Berlin is big."]},
    {"query": "largest planet", "pos": ["Jupiter is the largest planet."], "neg": []},
    {"query": "speed of light", "pos": ["Light travels fast."], "neg": ["Sound is slower."]},
]
STATS = {"histogram", "min", "p50", "p90", "p99", "max", "mean"}
TOKEN_STATS = {"texts", "sampled", "measured", "p50", "p90", "p99", "max", "over_max_seq_length"}


def test_report_writes_json_and_html(write_table, tmp_path: Path, prep, tiny_tokenizer: Path) -> None:
    path = write_table("train.jsonl", ROWS)
    out = tmp_path / "out" / "nested"
    result = prep("report", path, "--json", out / "r.json", "--html", out / "r.html", "--model", tiny_tokenizer)
    assert result.returncode == 0, result.stderr
    assert "5 rows, 5 distinct queries, 9 distinct documents" in result.stdout
    assert f"wrote {out / 'r.json'}" in result.stdout
    report = json.loads((out / "r.json").read_text(encoding="utf-8"))
    assert report["negatives_per_query"]["histogram"] == {"0": 1, "1": 3, "2": 1}
    html = (out / "r.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "<svg" in html
    assert sorted(p.name for p in out.iterdir()) == ["r.html", "r.json"], "no partial files are left behind"


def test_report_warns_of_a_folder_whose_file_names_say_an_eval_split(tmp_path: Path, prep, tiny_tokenizer) -> None:
    """train.jsonl + test.jsonl is read whole, the test rows as training data, as FlagEmbedding reads a folder; that
    was said nowhere but in the list of inputs, though load_dataset("json", data_dir=...) reads test.jsonl apart."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name, rows in (("train.jsonl", ROWS[:3]), ("test.jsonl", ROWS[3:])):
        (folder / name).write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    result = prep("report", folder, "--json", tmp_path / "r.json", "--html", tmp_path / "r.html",
                  "--model", tiny_tokenizer)
    assert result.returncode == 0, result.stderr
    assert "5 rows" in result.stdout and "warning:" in result.stdout
    warning = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["split_names_warning"]
    assert "would give test.jsonl the test split" in warning
    assert f"give {folder / 'train.jsonl'} alone as DATA, or move test.jsonl out of the folder" in warning
    assert "<b>warning:</b>" in (tmp_path / "r.html").read_text(encoding="utf-8")
    (folder / "test.jsonl").rename(folder / "msmarco.jsonl")  # FlagEmbedding's names: no split but train
    assert "warning:" not in prep("report", folder, "--model", tiny_tokenizer).stdout


def test_output_under_a_file_is_a_clear_error(write_table, tmp_path: Path, prep, tiny_tokenizer: Path) -> None:
    path = write_table("train.jsonl", ROWS)
    blocking = tmp_path / "notes.txt"
    blocking.write_text("not a folder\n")
    result = prep("report", path, "--json", blocking / "r.json", "--model", tiny_tokenizer)
    assert result.returncode == 2, result.stderr
    assert f"cannot write {blocking / 'r.json'}: {blocking} is a file, not a folder" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("option", ["--json", "--html"])
def test_a_report_file_that_is_the_input_is_refused(write_table, tmp_path: Path, prep, option: str) -> None:
    """`prep report data.jsonl --json data.jsonl` overwrote the data with its own report."""
    path = write_table("train.jsonl", ROWS)
    before = path.read_bytes()
    result = prep("report", path, option, tmp_path / "." / "train.jsonl")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [f"error: {option} {tmp_path / '.' / 'train.jsonl'} is DATA: writing "
                                                  "it would overwrite the input; choose another file"]
    assert path.read_bytes() == before


@pytest.mark.parametrize(("option", "path", "message"), [
    ("--json", "", "--json is an empty path; give a file"),
    ("--html", "", "--html is an empty path; give a file"),
    ("--json", ".", "--json . is a folder; give a file name"),
    ("--html", "sub", "--html sub is a folder; give a file name"),
])
def test_a_report_file_that_is_empty_or_a_folder_is_refused_up_front(write_table, tmp_path: Path, prep, option: str,
                                                                     path: str, message: str) -> None:
    """`--json ""` (an unset shell variable) is read as the working directory: the report was computed, then
    writing it raised ValueError from Path.with_name."""
    data = write_table("train.jsonl", ROWS)
    (tmp_path / "sub").mkdir()
    result = prep("report", data, option, path, "--model", "/nonexistent", cwd=tmp_path)  # no model read
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [f"error: {message}"]
    assert sorted(item.name for item in tmp_path.iterdir()) == ["sub", "train.jsonl"]


def test_a_report_with_json_and_html_in_one_file_is_refused(write_table, tmp_path: Path, prep) -> None:
    """The JSON was written, then overwritten by the HTML."""
    data = write_table("train.jsonl", ROWS)
    result = prep("report", data, "--json", tmp_path / "r.out", "--html", tmp_path / "sub" / ".." / "r.out")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [f"error: --json {tmp_path / 'r.out'} and --html "
                                                  f"{tmp_path / 'sub' / '..' / 'r.out'} are one file: the HTML would "
                                                  "overwrite the JSON; give two files"]
    assert not (tmp_path / "r.out").exists()


def test_a_report_file_inside_an_input_folder_is_refused(write_table, tmp_path: Path, prep) -> None:
    """A BEIR folder's queries.jsonl given as --json was overwritten with the report of the folder."""
    folder = tmp_path / "data"
    folder.mkdir()
    path = write_table("data/train.jsonl", ROWS)
    before = path.read_bytes()
    result = prep("report", folder, "--json", folder / "train.jsonl")
    assert result.returncode == 2, result.stderr
    assert "--json" in result.stderr and "is inside DATA, a folder that is read" in result.stderr
    assert path.read_bytes() == before


def test_json_keys_are_the_contract(write_table, tmp_path: Path, prep) -> None:
    path = write_table("train.jsonl", ROWS)
    result = prep("report", path, "--format", "flag", "--json", tmp_path / "r.json")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert {"rows_in", "queries", "docs", "negatives_per_query", "positives_per_query", "duplicate_queries",
            "text_tokens", "empty_texts"} <= set(report)
    assert set(report["negatives_per_query"]) == set(report["positives_per_query"]) == STATS
    assert set(report["duplicate_queries"]) == {"exact", "normalized"}
    assert set(report["empty_texts"]) == {"query", "positive", "negative"}
    for role in ("query", "positive", "negative"):
        assert set(report["text_tokens"][role]) == TOKEN_STATS
    assert report["text_tokens"]["model"] == "all-MiniLM-L6-v2"


def test_committed_sample_with_columns(tmp_path: Path, prep) -> None:
    sample = REPO / "data" / "sample" / "fiqa_sample.jsonl"
    result = prep("report", "data/sample/fiqa_sample.jsonl", "--columns", "anchor=question,positive=documents",
                  "--json", tmp_path / "r.json", cwd=REPO)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in sample.read_text(encoding="utf-8").splitlines()]
    questions = {norm(row["question"]) for row in rows}
    assert (report["rows_in"], report["queries"]) == (len(rows), len(questions))
    assert report["sources"] == ["data/sample/fiqa_sample.jsonl"]
    assert report["positives_per_query"]["max"] == max(len({norm(doc) for doc in row["documents"]} - {""})
                                                       for row in rows)


def test_beir_split_option(tmp_path: Path, prep) -> None:
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps({"_id": f"d{i}", "title": "", "text": f"doc {i}"}) + "\n"
                                                 for i in range(3)))
    (folder / "queries.jsonl").write_text("".join(json.dumps({"_id": f"q{i}", "text": f"query {i}"}) + "\n"
                                                  for i in range(3)))
    (folder / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\nq0\td0\t1\nq1\td1\t1\n")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq2\td2\t1\n")
    result = prep("report", folder, "--split", "test", "--json", tmp_path / "r.json")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert (report["rows_in"], report["queries"], report["docs"]) == (1, 1, 3)


def test_parse_columns() -> None:
    assert parse_columns(None) == {}
    assert parse_columns(" anchor = question , positive=documents") == {"anchor": "question", "positive": "documents"}
    for bad in ("anchor", "anchor=", "=question", "anchor=q,,positive=d"):
        with pytest.raises(ConfigError, match="role=COLUMN"):
            parse_columns(bad)


@pytest.mark.parametrize("text, message", [
    ("anchor=q,anchor=a,positive=a", "--columns maps anchor twice, to 'q' and 'a'; give one"),
    ("anchor=q,positive=q", "--columns maps anchor and positive both to 'q'; a column has one role"),
])
def test_parse_columns_refuses_a_role_or_column_given_twice(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_columns(text)


def test_repeated_columns_add_up_and_a_role_mapped_twice_across_them_is_refused() -> None:
    """click keeps the last of a repeated option: `--columns anchor=q --columns positive=p` lost the anchor."""
    assert parse_columns(["anchor=q", "positive=p"]) == {"anchor": "q", "positive": "p"}
    assert parse_columns(["", "anchor=q"]) == {"anchor": "q"}  # an empty one (an unset variable) adds nothing
    with pytest.raises(ConfigError, match=r"^--columns maps anchor twice, to 'q' and 'a'; give one$"):
        parse_columns(["anchor=q", "anchor=a"])
    with pytest.raises(ConfigError, match=r"^--eval-columns maps anchor and positive both to 'q'"):
        parse_columns(["anchor=q", "positive=q"], "--eval-columns")


@pytest.mark.parametrize(("command", "module", "name"), [
    (["report"], "pipeline.readers", "read_dataset"),
    (["lint", "--eval", "qp.jsonl", "--eval-columns", "anchor=q", "--eval-columns", "positive=p"],
     "pipeline.lint.runner", "lint"),
    (["convert", "--to", "triplet", "--out", "out"], "pipeline.convert", "convert"),
    (["run", "--out", "out"], "pipeline.run", "run_pipeline"),
])
def test_every_command_reads_every_columns_given(write_table, tmp_path: Path, monkeypatch, command: list[str],
                                                 module: str, name: str) -> None:
    """What each command hands on to read the data (and lint its --eval data) with."""
    import importlib

    from typer.testing import CliRunner

    from pipeline.cli import app

    data = write_table("qp.jsonl", [{"q": row["query"], "p": row["pos"][0]} for row in ROWS])
    handed: list[object] = []

    def stop(*args: object) -> None:
        handed.extend(args)
        raise KeyboardInterrupt  # before any work

    monkeypatch.setattr(importlib.import_module(module), name, stop)
    monkeypatch.chdir(tmp_path)
    CliRunner().invoke(app, [command[0], str(data), *command[1:], "--columns", "anchor=q", "--columns", "positive=p"])
    both = {"anchor": "q", "positive": "p"}
    columns = [getattr(item, "columns", item) for item in handed if isinstance(item, dict) or hasattr(item, "columns")]
    assert columns[:1] == [both]
    if command[0] == "lint":
        assert handed[1].eval_columns == both


def test_check_apart_refuses_an_out_that_is_holds_or_lies_in_an_input(tmp_path: Path) -> None:
    folder = (tmp_path / "in").resolve()
    data = folder / "train.jsonl"
    folder.mkdir()
    data.write_text("{}\n")
    (tmp_path / "link").symlink_to(folder)
    link = tmp_path / "link"
    for out, relation, name, path in [(folder, "holds", data, data), (link, "holds", link / "train.jsonl", data),
                                      (data, "is", data, data), (folder / "out", "lies inside", folder, folder),
                                      (link / "out", "lies inside", link, folder)]:
        with pytest.raises(ConfigError) as error:
            check_apart(out, {"--model": "org/hub-name", "--corpus": None, "DATA": name})
        assert str(error.value) == (f"--out {out.resolve()} {relation} DATA {path}: choose an --out apart from the "
                                    "inputs")
    check_apart(tmp_path / "out", {"DATA": data, "--config": folder})  # beside the input: fine
    check_apart(folder, {"--model": folder / "missing"})  # nothing there to lose
    check_apart(folder / "out", {"--cache-dir": folder, "--model": folder})  # not read whole: fine inside
    with pytest.raises(ConfigError, match="holds --cache-dir"):
        check_apart(tmp_path, {"--cache-dir": folder})
    with pytest.raises(ConfigError, match="holds --cache-dir"):  # not there yet: the run would create it inside OUT
        check_apart(tmp_path, {"--cache-dir": tmp_path / "new" / "cache"})
    with pytest.raises(ConfigError, match=r"is prep.toml: \[encoder\] model"):  # set in the config file: named so
        check_apart(folder, {"--model": folder}, {"--model": "prep.toml: [encoder] model"})


@pytest.mark.parametrize(("out", "relation"), [(".", "is"), ("..", "holds"), ("file://{here}", "is")])
def test_an_out_that_is_or_holds_the_working_directory_is_refused(write_table, tmp_path: Path, monkeypatch,
                                                                  out: str, relation: str) -> None:
    """`--out .` in an empty folder swapped the folder for a new one of the same name: the user's shell was left
    in a deleted directory."""
    from typer.testing import CliRunner

    from pipeline.cli import app

    data = write_table("data/train.jsonl", ROWS)
    here = tmp_path / "work" / "here"
    here.mkdir(parents=True)
    monkeypatch.chdir(here)
    inode = here.stat().st_ino
    result = CliRunner().invoke(app, ["convert", str(data), "--to", "triplet", "--out", out.format(here=here)])
    assert isinstance(result.exception, ConfigError), result.output
    shown = here if relation == "is" else here.parent
    assert str(result.exception) == (f"--out {shown} {relation} the working directory, which the output would "
                                     "replace: choose an --out outside it")
    assert here.stat().st_ino == inode and not any(here.iterdir())


def test_a_file_uri_out_is_kept_apart_from_the_inputs_too(tmp_path: Path) -> None:
    """A file:// OUT is published over like any URI, but it is a local folder: an input inside it would be lost."""
    out = (tmp_path / "out").resolve()
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"packages": {"prep": "0"}, "stages": {}}))
    data = out / "train.jsonl"
    data.write_text("{}\n")
    produced = []
    with pytest.raises(ConfigError, match=f"--out {out} holds DATA {data}"):
        write_out(f"file://{out}", produced.append, {"DATA": data})
    spaced = tmp_path / "d x"  # percent-encoded in the URI, a space on disk
    out.rename(spaced)
    with pytest.raises(ConfigError, match=f"holds DATA {spaced / 'train.jsonl'}"):
        write_out(f"file://{quote(str(spaced))}", produced.append, {"DATA": spaced / "train.jsonl"})
    assert not produced and (spaced / "train.jsonl").read_text() == "{}\n"


@pytest.mark.parametrize("option", ["DATA", "--corpus", "--config"])
def test_run_refuses_an_out_that_holds_an_input_before_it_loads_the_model(write_table, tmp_path: Path, prep,
                                                                          option: str) -> None:
    """OUT is an earlier prep output that holds the input: replacing it would delete the input. The --model folder
    is no model, so a run that got as far as the encoder would fail on it instead."""
    out = tmp_path / "out"
    path = write_table("out/train.jsonl", ROWS)
    (out / "manifest.json").write_text(json.dumps({"packages": {"prep": "0"}, "stages": {}}))
    (out / "prep.toml").write_text("[mining]\nnegatives = 2\n")
    (tmp_path / "not-a-model").mkdir()
    inputs = {"DATA": [path], "--corpus": [write_table("train.jsonl", ROWS), "--corpus", path],
              "--config": [write_table("train.jsonl", ROWS), "--config", out / "prep.toml"]}[option]
    inside = {"DATA": path, "--corpus": path, "--config": out / "prep.toml"}[option]
    before = inside.read_bytes()
    result = prep("run", *inputs, "--out", out, "--model", tmp_path / "not-a-model")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [f"error: --out {out} holds {option} {inside}: choose an --out "
                                                  "apart from the inputs"]
    assert inside.read_bytes() == before


@pytest.mark.parametrize(("command", "tables"), [("run", ["[encoder]", "[mining]", "[dedupe]", "[layout]", "[engine]",
                                                          "prep[ray]"]),
                                                 ("convert", ["[layout]"])])
def test_help_shows_config_tables(command: str, tables: list[str]) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app

    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert all(table in result.output for table in tables), "rich markup must not swallow the table names"


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "pipeline.cli", "--help"], capture_output=True, text=True,
                            cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout and "report" in result.stdout


OFFLINE = "no such folder, and not in the local Hugging Face cache; HF_HUB_OFFLINE is set, so the hub was not asked"


@pytest.mark.parametrize(("command", "model", "problem"), [
    ("run", ["--model", "/nonexistent/model"], "--model /nonexistent/model: no such folder"),
    ("run", ["--model", "prep-tests/no-such-model"], f"--model prep-tests/no-such-model: {OFFLINE}"),
    ("convert", ["--to", "labeled-pair", "--scores", "--teacher", "/nonexistent"],
     "--teacher /nonexistent: no such folder"),
    ("convert", ["--to", "labeled-pair", "--scores", "--teacher", "prep-tests/no-such-teacher"],
     f"--teacher prep-tests/no-such-teacher: {OFFLINE}"),
    ("lint", ["--deep", "--model", "/nonexistent/model"],  # its tokenizer is read first, by the rules on texts
     "--model /nonexistent/model: no such folder; give a local sentence-transformers model folder"),
])
def test_a_model_that_does_not_load_is_one_line_and_exit_2(write_table, tmp_path: Path, prep, command: str,
                                                           model: list[str], problem: str) -> None:
    """Exit 1 from lint means findings: a mistyped --model in CI must not look like them."""
    path = write_table("train.jsonl", ROWS)
    out = [] if command == "lint" else ["--out", tmp_path / "out"]
    result = prep(command, path, *out, *model)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [f"error: {problem}"], result.stderr


def test_a_teacher_path_that_does_not_exist_fails_before_the_encoder_loads(write_table, tmp_path: Path,
                                                                           prep) -> None:
    """The teacher loads after mining: a mistyped path must not cost the run first. Here the --model folder is
    no model, so a run that reached the encoder would fail on it instead."""
    path = write_table("train.jsonl", ROWS)
    (tmp_path / "not-a-model").mkdir()
    result = prep("run", path, "--out", tmp_path / "out", "--model", tmp_path / "not-a-model", "--scores",
                  "--teacher", tmp_path / "no-teacher")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [f"error: --teacher {tmp_path / 'no-teacher'}: no such folder"]


@pytest.mark.parametrize(("command", "toml", "problem"), [
    (["run"], "[encoder]\nmodel = '/nonexistent/model'\n", "[encoder] model /nonexistent/model: no such folder"),
    (["run"], "[encoder]\ndevice = 'tpu'\n", "[encoder] device must be cpu, cuda, cuda:N, mps or another torch "
                                            "device; got 'tpu'"),
    (["convert", "--to", "labeled-pair"], "[layout]\nscores = true\nteacher = '/nonexistent'\n",
     "[layout] teacher /nonexistent: no such folder"),
])
def test_a_bad_model_or_device_in_the_config_file_names_the_file(write_table, tmp_path: Path, prep,
                                                                 command: list[str], toml: str, problem: str) -> None:
    """Not the --model or --teacher flag, which the user did not give."""
    path = write_table("train.jsonl", ROWS)
    config = tmp_path / "prep.toml"
    config.write_text(toml)
    result = prep(command[0], path, *command[1:], "--out", tmp_path / "out", "--config", config)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [f"error: {config}: {problem}"], result.stderr


@pytest.mark.parametrize("command", ["report", "lint"])
def test_an_empty_model_is_refused_not_read_as_the_default(write_table, prep, command: str) -> None:
    result = prep(command, write_table("train.jsonl", ROWS), "--model", "")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "error: --model is an empty string; leave it out to use the default"


@pytest.mark.parametrize(("args", "message"), [
    (["report", ""], "DATA is an empty path; give a file or folder"),
    (["lint", ""], "DATA is an empty path; give a file or folder"),
    (["run", "", "--out", "out"], "DATA is an empty path; give a file or folder"),
    (["convert", "", "--to", "triplet", "--out", "out"], "DATA is an empty path; give a file or folder"),
    (["run", "train.jsonl", "--out", "out", "--corpus", ""], "--corpus is an empty path; give a file"),
    (["run", "train.jsonl", "--out", "out", "--config", ""], "--config is an empty path; give a TOML file"),
    (["convert", "train.jsonl", "--to", "triplet", "--out", "out", "--config", ""],
     "--config is an empty path; give a TOML file"),
    (["lint", "train.jsonl", "--eval", ""], "--eval is an empty path; give a file or folder"),
    (["run", "train.jsonl", "--out", ""], "--out is an empty path; give the output folder"),
    (["convert", "train.jsonl", "--to", "triplet", "--out", ""], "--out is an empty path; give the output folder"),
])
def test_an_empty_path_is_refused_not_read_as_the_working_directory(write_table, tmp_path: Path, monkeypatch,
                                                                    args: list[str], message: str) -> None:
    """Typer turns "" (an unset shell variable) into Path("."): `prep report ""` profiled the working directory."""
    from typer.testing import CliRunner

    from pipeline.cli import app

    write_table("train.jsonl", ROWS)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, ConfigError), result.output
    assert str(result.exception) == message
    assert [item.name for item in tmp_path.iterdir()] == ["train.jsonl"]


def test_an_empty_data_path_is_one_line_and_exit_2(tmp_path: Path, prep) -> None:
    result = prep("report", "", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == ["error: DATA is an empty path; give a file or folder"]


def test_an_empty_prep_cache_dir_is_unset(monkeypatch, tmp_path: Path) -> None:
    from pipeline.stages.embedding_cache import default_cache_dir

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PREP_CACHE_DIR", "")
    assert default_cache_dir() == tmp_path / ".cache" / "prep" / "embeddings"
    monkeypatch.setenv("PREP_CACHE_DIR", "~/prepcache")  # quoted in a shell: a literal "~" folder in the cwd
    assert default_cache_dir() == tmp_path / "prepcache"


def test_ctrl_c_says_what_is_left(monkeypatch, capsys) -> None:
    """Typer exits 130 on Ctrl-C without a word; a user who stops a long run learns nothing was half-written."""
    import os
    import signal
    import time

    import pipeline.cli as cli

    def interrupted_run() -> None:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)  # the handler raises before this ends

    previous = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(cli, "app", interrupted_run)
    cli.PUBLISHED.append(Path("an-earlier-call-s-output"))  # not this call's: it says nothing was half-written
    try:
        with pytest.raises(SystemExit) as exited:
            cli.main()
        assert exited.value.code == 130
        assert signal.getsignal(signal.SIGINT) is previous  # restored: the next call, or the caller, has its own
    finally:
        signal.signal(signal.SIGINT, previous)
    printed = " ".join(capsys.readouterr().err.split())
    assert "interrupted: a local output folder is written whole or not at all" in printed
    def failing_run() -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli, "app", failing_run)  # a later call's own error is not taken for an interrupt
    with pytest.raises(RuntimeError, match="a bug"):
        cli.main()
    with pytest.raises(KeyboardInterrupt):  # a forked worker (another pid) stops without a word
        cli._interrupted(os.getpid() + 1, signal.SIGINT, None)
    assert capsys.readouterr().err == ""


def test_an_out_that_is_the_cache_names_where_the_cache_comes_from(monkeypatch, tmp_path: Path) -> None:
    """Without --cache-dir, the refusal named --cache-dir, a flag the user never gave."""
    import subprocess
    import sys

    monkeypatch.setenv("PREP_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "data.jsonl").write_text('{"anchor": "a", "positive": "b"}\n')
    prep = Path(sys.executable).parent / "prep"
    result = subprocess.run([str(prep), "run", str(tmp_path / "data.jsonl"), "--out", str(tmp_path / "cache")],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert f"is the embedding cache (PREP_CACHE_DIR) {tmp_path / 'cache'}" in " ".join(result.stderr.split())


def test_sigterm_removes_the_partial_output_and_exits_143(tmp_path: Path) -> None:
    """Slurm, Kubernetes, systemd and `timeout` stop a job with SIGTERM, which killed prep at once outside the Ray
    engine: the hidden partial folder of the output stayed beside it (210 shards in a user's run)."""
    import subprocess
    import sys

    script = f"""
import os, signal, time
from pathlib import Path
import pipeline.cli as cli
from pipeline.stages.write import write_atomically

def fill(folder):
    (folder / "data.txt").write_text("half")
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(10)  # the handler raises before this ends

cli.app = lambda: write_atomically(Path({str(tmp_path / "out")!r}), fill)
cli.main()
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 143, done.stderr
    assert "terminated: a local output folder is written whole or not at all" in " ".join(done.stderr.split())
    assert list(tmp_path.iterdir()) == []  # neither the output nor its partial folder


def test_a_process_group_sigterm_does_not_raise_about_the_killed_workers(tmp_path: Path) -> None:
    """scancel and systemd send SIGTERM to the whole process group: the DataLoader's forked workers die with it, and
    torch's SIGCHLD handler raised about each while prep unwound ("DataLoader worker ... is killed by signal")."""
    import os
    import signal
    import subprocess
    import sys

    script = """
import multiprocessing, os, signal, time
import pipeline.cli as cli

def on_child(signum, frame):  # as torch's DataLoader handler does
    raise RuntimeError("DataLoader worker is killed by signal: Terminated.")

def app():
    signal.signal(signal.SIGCHLD, on_child)
    # daemonic, as torch's workers are: one that the SIGTERM reached before Python's fork hook cleared it lives on
    worker = multiprocessing.get_context("fork").Process(target=time.sleep, args=(60,), daemon=True)
    worker.start()
    print("ready", flush=True)
    try:
        time.sleep(60)
    finally:
        time.sleep(1)  # unwinding (the partial folder removed) while the worker's death is signalled

cli.app = app
cli.main()
"""
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as process:
        assert process.stdout.readline() == "ready\n"
        os.killpg(process.pid, signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert "Traceback" not in stderr and "terminated:" in stderr


def test_a_signal_during_the_swap_waits_for_it_and_says_the_output_was_written(tmp_path: Path) -> None:
    """SIGTERM between the swap's two renames left no output at OUT, and one just after it said that the earlier
    output was kept: the signal now comes after the swap, and says that the new output is there."""
    import subprocess
    import sys

    out = tmp_path / "out"
    script = f"""
import os, signal
from pathlib import Path
import pipeline.cli as cli
import pipeline.stages.write as write

def fill(folder):
    (folder / "manifest.json").write_text('{{"packages": {{"prep": "1"}}, "stages": [], "run": "new"}}')

def swap(partial, out, real=write.swap):
    os.kill(os.getpid(), signal.SIGTERM)
    return real(partial, out)

write.write_atomically(Path({str(out)!r}), fill)
(Path({str(out)!r}) / "manifest.json").write_text('{{"packages": {{"prep": "1"}}, "stages": [], "run": "old"}}')
write.swap = swap
cli.app = lambda: write.write_atomically(Path({str(out)!r}), fill)
cli.main()
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 143, done.stderr
    assert f"terminated: {out} was written in full before it" in " ".join(done.stderr.split())
    assert json.loads((out / "manifest.json").read_text())["run"] == "new"
    assert [path.name for path in tmp_path.iterdir()] == ["out"]  # the earlier output removed, not left hidden


def test_a_signal_that_comes_wrapped_by_an_import_exits_as_the_signal_says(tmp_path: Path) -> None:
    """Ctrl-C while transformers imports arrives as a RuntimeError (from __set_name__) in a ModuleNotFoundError:
    exit 1 and three tracebacks, where the handler had already said what is left."""
    import subprocess
    import sys

    script = """
import os, signal, time
import pipeline.cli as cli

def app():
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(10)
    except KeyboardInterrupt as error:
        raise RuntimeError("Error calling __set_name__") from error

cli.app = app
cli.main()
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 130, done.stderr
    assert "interrupted: a local output folder is written whole" in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr


def test_the_report_of_a_folder_of_splits_names_the_split(tmp_path: Path, prep) -> None:
    """`prep report scifact --split test` named only the folder: its 300 rows could not be told from the train
    report's 809, nor seen to be queries rather than qrels lines."""
    from beir_files import write_beir_folder

    folder = write_beir_folder(tmp_path / "beir", [{"_id": "d1", "text": "a"}, {"_id": "d2", "text": "b"}],
                               [{"_id": "q1", "text": "query one"}, {"_id": "q2", "text": "query two"}],
                               {"train": [("q1", "d1", 1)], "test": [("q2", "d2", 1), ("q2", "d1", 1)]})
    result = prep("report", folder, "--split", "test", "--json", tmp_path / "r.json")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert (report["split"], report["qrels"], report["rows_in"]) == ("test", "qrels/test.tsv", 1)
    assert "(qrels/test.tsv: a row is a query)" in result.stdout
    plain = tmp_path / "plain.jsonl"
    plain.write_text('{"anchor": "q", "positive": "p"}\n')
    assert prep("report", plain, "--json", tmp_path / "p.json").returncode == 0
    assert not {"split", "qrels"} & set(json.loads((tmp_path / "p.json").read_text()))


def test_the_report_of_a_prep_output_counts_the_prompts_it_was_mined_with(tmp_path: Path, prep, tiny_tokenizer) -> None:
    """A config's [encoder] query_prompt is in the manifest, not the model folder: `prep report OUT` counted the
    queries without it while OUT/report.json counted them with it."""
    import datasets

    out = tmp_path / "out"
    datasets.Dataset.from_list([{"anchor": "what is a query", "positive": "a passage"}]).save_to_disk(str(out))
    (out / "manifest.json").write_text(json.dumps({"encoding": {"prompts": {"query": "a b c ", "document": ""}},
                                                   "config": {"encoder": {"model": str(tiny_tokenizer)}}}))
    assert prep("report", out, "--model", tiny_tokenizer, "--json", tmp_path / "r.json").returncode == 0
    tokens = json.loads((tmp_path / "r.json").read_text())["text_tokens"]
    assert (tokens["prompts"], tokens["query"]["max"]) == ({"query": "a b c ", "document": ""}, 9)  # 4 + 3 + 2
    (out / "manifest.json").unlink()
    assert prep("report", out, "--model", tiny_tokenizer, "--json", tmp_path / "r.json").returncode == 0
    assert json.loads((tmp_path / "r.json").read_text())["text_tokens"]["query"]["max"] == 6


@pytest.mark.parametrize("command", ["report", "lint", "run", "convert"])
def test_an_input_uri_is_named_as_given_and_refused(prep, tmp_path: Path, command: str) -> None:
    """The command line made a path of it (s3:/bkt/x.jsonl: no such file); prep reads local inputs only."""
    out = ["--out", tmp_path / "out"] if command in ("run", "convert") else []
    to = ["--to", "n-tuple"] if command == "convert" else []
    result = prep(command, "s3://KEY:SECRET@bkt/train.jsonl", *to, *out)
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: s3://***@bkt/train.jsonl: prep reads its inputs from local files; copy "
                                     "it here first (only --out may be a URI)")


def test_a_uri_out_removes_the_staging_folders_of_killed_runs(tmp_path: Path, monkeypatch) -> None:
    """A SIGKILLed run's local copy of the output stayed in TMPDIR for good; a live run's is kept."""
    import os
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    dead, alive = tmp_path / "tmp" / "prep-out-abc.partial-999999999", tmp_path / "tmp" / "prep-out-x.partial-1"
    for folder in (dead, alive):
        (folder / "out").mkdir(parents=True)

    def produce(folder: Path) -> dict:
        folder.mkdir()
        (folder / "manifest.json").write_text(json.dumps({"packages": {"prep": "0"}, "stages": {}}))
        assert folder.parent.name.endswith(f".partial-{os.getpid()}")
        return {}

    write_out(f"file://{tmp_path / 'bucket' / 'run'}", produce, {})
    assert (tmp_path / "bucket" / "run" / "manifest.json").is_file()
    assert sorted(path.name for path in (tmp_path / "tmp").iterdir()) == [alive.name]
