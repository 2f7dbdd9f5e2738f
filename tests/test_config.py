import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from pipeline.config import MiningConfig, RunConfig
from pipeline.config_file import load_run_config, path_sources
from pipeline.errors import ConfigError


def test_defaults_are_the_recommended_recipe():
    config = load_run_config(None, {})
    assert config.mining.negatives == 3
    assert config.mining.relative_margin == 0.05
    assert config.mining.near_duplicate == 0.98
    assert config.mining.positive_neighbors == 5
    assert config.mining.max_positive_rank == 300
    assert config.mining.sampling == "top"
    assert config.layout.layout == "n-tuple"


def test_toml_values_then_flags_override(tmp_path: Path):
    path = tmp_path / "prep.toml"
    path.write_text("[mining]\nnegatives = 7\nsampling = 'random'\n[encoder]\nbatch_size = 8\n")
    config = load_run_config(path, {"--negatives": 2, "--sampling": None})
    assert config.mining.negatives == 2  # flag given
    assert config.mining.sampling == "random"  # flag not given: the file's value
    assert config.encoder.batch_size == 8


@pytest.mark.parametrize(("toml", "message"), [
    ("[mining]\nsampling = 'best'\n", "[mining] sampling must be one of 'top', 'random'; got 'best'"),
    ("[mining]\nnegatives = 0\n", "[mining] negatives must be a positive integer, got 0"),
    ("[mining]\npositive_neighbors = -1\n", "[mining] positive_neighbors must be from 0 (off) to 1024, got -1"),
    ("[mining]\npositive_neighbors = 1025\n", "[mining] positive_neighbors must be from 0 (off) to 1024, got 1025"),
    ("[mining]\nmax_positive_rank = -1\n", "[mining] max_positive_rank must be 0 (off) or more, got -1"),
    ("[mining]\ntarget_recall = 2\n", "[mining] target_recall is a share between 0 and 1, got 2"),
    ("[mining]\nnegative = 3\n", "[mining] negative: unknown setting; did you mean negatives?"),
    ("[mining]\nbogus = 1\nother = 2\n", "[mining] bogus: unknown setting (and other); the settings are negatives, "),
    ("[minig]\nnegatives = 1\n", "[minig]: unknown table; did you mean mining?"),
    ("[mining\n", "line 1"),
    ("[layout]\nfill = 'bogus'\n", "[layout] fill must be one of 'mine', 'drop', 'repeat', 'pad'; got 'bogus'"),
    ("[layout]\nfill = 'pad'\n", "[layout] fill 'pad' writes empty strings"),
    ("[layout]\nlayout = 'flag'\ngroup_size = 4\n[mining]\nnegatives = 2\n",
     "group_size 4 means 3 negatives per query; negatives says 2"),
    ("[layout]\nbatch_size = false\nleftover = 'reject'\n", "[layout] leftover applies to conflict-free batches, "
                                                          "which batch_size 0 (or false) turns off: give a batch_size "
                                                          "of 2 or more"),
    ("[engine]\nname = 'spark'\n", "[engine] name must be one of 'local', 'ray'; got 'spark'"),
    ("[engine]\naddress = 'auto'\n", "[engine] engine address, workers, cpus_per_worker, gpus_per_worker and"),
    ("[engine]\nname = 'ray'\nworkers = 0\n", "[engine] workers must be a positive integer, got 0"),
    ("[engine]\nname = 'ray'\ngpus_per_worker = nan\n", "[engine] gpus_per_worker must be 0 or more, not nan"),
    ("[engine]\nname = 'ray'\ngpus_per_worker = -1\n", "[engine] gpus_per_worker must be 0 or more, not -1"),
    ('[mining]\nrelative_margin = "0.05"\n', "[mining] relative_margin must be a number or false (off), got '0.05'"),
    ("[mining]\nrelative_margin = 1\n", "[mining] relative_margin is a share, at least 0 and below 1, got 1"),
    ("[mining]\nabsolute_margin = 2.0\n", "[mining] absolute_margin is a cosine difference, at least 0 and below 2"),
    ("[mining]\nmax_score = -1.5\n", "[mining] max_score is a cosine between -1 and 1, got -1.5"),
    ("[mining]\nmin_score = 1.1\n", "[mining] min_score is a cosine between -1 and 1, got 1.1"),
    ("[mining]\nmin_score = 0.5\nmax_score = 0.4\n", "[mining] min_score (0.5) is above max_score (0.4)"),
    ("[mining]\nexact_max_docs = -1\n", "[mining] exact_max_docs must be at least 0, got -1"),
    ("[layout]\nnegatives = 3\n", "negatives belongs in [mining], not [layout]"),
    ("[mining]\nbatch_size = 3\n", "batch_size belongs in [encoder] or [layout], not [mining]"),
    ("[encoder]\ndevice = 'tpu'\n", "[encoder] device must be cpu, cuda, cuda:N, mps or another torch device; "
                                     "got 'tpu'"),
    ("[encoder]\ndevice = 'cuda:x'\n", "[encoder] device must be cpu, cuda, cuda:N, mps"),
    ("[engine]\ncpus_per_worker = 2\n", "[engine] engine address, workers, cpus_per_worker, gpus_per_worker and "
                                         "index_shards are for the ray engine"),
])
def test_bad_config_is_a_clear_error_that_names_the_file(tmp_path: Path, toml: str, message: str):
    path = tmp_path / "prep.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=re.escape(message)) as error:
        load_run_config(path, {})
    assert str(error.value).startswith(f"{path}: ")


def test_an_error_in_a_flag_names_the_flag_not_the_file(tmp_path: Path):
    path = tmp_path / "prep.toml"
    path.write_text("[layout]\nfill = 'bogus'\n[mining]\nnegatives = 2\n")
    assert load_run_config(path, {"--fill": "drop"}).layout.fill == "drop"  # the flag replaces it
    with pytest.raises(ConfigError, match=re.escape("fill must be one of")) as error:
        load_run_config(path, {"--fill": "best"})
    assert str(error.value).startswith("--fill best: fill must be one of") and "got 'best'" in str(error.value)
    with pytest.raises(ConfigError) as error:
        load_run_config(path, {"--negatives": 1, "--layout": "flag", "--group-size": 4, "--fill": "drop"})
    assert str(error.value).startswith("--negatives 1 --group-size 4: group_size 4 means 3 negatives per query; "
                                       "negatives says 1")
    path.write_text("[layout]\nlayout = 'labeled-pair'\n")  # flags that conflict only once the file sets the layout
    with pytest.raises(ConfigError, match="exclude each other") as error:
        load_run_config(path, {"--binary": True, "--scores": True})
    assert str(error.value).startswith("--binary --scores: binary and scores exclude each other")
    path.write_text("[layout]\nlayout = 'flag'\n")  # the file's value makes the flag's check the one that fails
    with pytest.raises(ConfigError) as error:
        load_run_config(path, {"--group-size": 1, "--fill": "drop"})
    assert str(error.value) == ("--group-size 1: group_size must be at least 2: one positive and group_size - 1 "
                                "negatives")


@pytest.mark.parametrize(("toml", "flags", "message"), [
    ("[encoder]\nbatch_size = 4097\n", {}, "prep.toml: [encoder] batch_size must be at most 4,096 (texts are "
                                            "encoded in chunks of 4,096, which a batch does not cross), got 4097"),
    ("[encoder]\ntokenizer_workers = 1000000\n", {}, "prep.toml: [encoder] tokenizer_workers must be at most 256 "
                                                     "(each is a forked process), got 1000000"),
    ("", {"--tokenizer-workers": 257}, "--tokenizer-workers 257: tokenizer_workers must be at most 256"),
    ("[engine]\nname = 'ray'\nworkers = 1000000\n", {}, "prep.toml: [engine] workers must be at most 256 (each is "
                                                         "a Ray actor that loads the model), got 1000000"),
    ("", {"--engine": "ray", "--workers": 257}, "--workers 257: workers must be at most 256"),
])
def test_integer_settings_that_would_fork_or_do_nothing_past_a_bound_are_refused(tmp_path: Path, toml: str,
                                                                                  flags: dict, message: str):
    """Bounded only at int64 before: a mistyped tokenizer_workers forked that many processes, workers asked Ray for
    that many actors (each loading the model), and a batch_size past the encode chunk was silently the chunk."""
    path = tmp_path / "prep.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as error:
        load_run_config(path, flags)
    assert str(error.value).replace(f"{tmp_path}/", "").startswith(message)
    at_bound = {"encoder": {"batch_size": 4096, "tokenizer_workers": 256}, "engine": {"name": "ray", "workers": 256}}
    path.write_text("".join(f"[{table}]\n" + "".join(f"{key} = {value!r}\n" for key, value in keys.items())
                            for table, keys in at_bound.items()))
    assert load_run_config(path, {}).engine.workers == 256


@pytest.mark.parametrize(("toml", "flags", "message"), [
    ("[layout]\nscores = true\nteacher = 'x'\n", {"--scores": False},
     "[layout] a teacher gives scores: add --scores (the command line gives --no-scores)"),
    ("[mining]\nrange_max = 10\n", {"--negatives": 20},
     "[mining] range_max - range_min (10 - 0) leaves fewer candidates than negatives (20) (the command line gives "
     "--negatives 20)"),
])
def test_a_file_value_refused_with_a_flag_names_the_flag_too(tmp_path: Path, toml: str, flags: dict, message: str):
    """The file alone is valid and so are the flags alone: blaming only the file, whose advice may be the flag the
    user just turned off, left the user to guess."""
    path = tmp_path / "prep.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as error:
        load_run_config(path, flags)
    assert str(error.value) == f"{path}: {message}"


def test_a_setting_outside_any_table_names_its_table(tmp_path: Path):
    path = tmp_path / "prep.toml"
    path.write_text("negatives = 5\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path}: negatives is outside any table; put it under [mining]")):
        load_run_config(path, {})


@pytest.mark.parametrize("section", [table.name for table in dataclasses.fields(RunConfig)])
@pytest.mark.parametrize(("toml", "kind"), [("{section} = 3\n", "an integer"),
                                            ("[[{section}]]\nseed = 1\n", "an array")], ids=["value", "array"])
def test_a_table_of_the_wrong_type_is_a_config_error(tmp_path: Path, section: str, toml: str, kind: str):
    path = tmp_path / "prep.toml"
    path.write_text(toml.format(section=section))
    with pytest.raises(ConfigError, match=re.escape(f"prep.toml: [{section}] must be a table")) as error:
        load_run_config(path, {})
    assert str(error.value).endswith(f"got {kind}")


@pytest.mark.parametrize("seed", [-3, 2**64])
def test_a_seed_outside_unsigned_64_bits_is_refused(seed: int):
    # the seeded draws hash with it as an unsigned 64-bit number: it used to fail with an OverflowError traceback
    with pytest.raises(ConfigError, match=rf"mining.seed must be from 0 to 2\*\*64 - 1, got {seed}"):
        MiningConfig(seed=seed)


@pytest.mark.parametrize("name", ["range_min", "range_max", "max_positive_rank", "exact_max_docs", "max_nprobe",
                                  "query_chunk"])
def test_an_integer_beyond_int64_is_refused_and_one_within_is_taken(tmp_path: Path, name: str):
    """query_chunk = 10**20 failed after the encoding with an OverflowError traceback from Polars; the others are
    bounded by the corpus where they are used."""
    path = tmp_path / "prep.toml"
    path.write_text(f"[mining]\n{name} = {2**63}\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path}: [mining] {name} must fit in a 64-bit integer (at most "
                                                    f"{2**63 - 1}), got {2**63}")):
        load_run_config(path, {})
    path.write_text(f"[mining]\n{name} = {2**63 - 1}\n")
    assert getattr(load_run_config(path, {}).mining, name) == 2**63 - 1
    assert MiningConfig(seed=2**64 - 1).seed == 2**64 - 1  # a seed is an unsigned 64-bit number


def test_range_window_must_hold_k_negatives():
    with pytest.raises(ConfigError, match="leaves fewer candidates than negatives"):
        MiningConfig(negatives=5, range_min=10, range_max=12)


@pytest.mark.parametrize(("name", "off"), [("relative_margin", "false"), ("target_recall", "false"),
                                          ("max_positive_rank", "false"), ("max_positive_rank", "0")])
def test_false_turns_a_mining_setting_off(tmp_path: Path, name, off):
    path = tmp_path / "prep.toml"
    path.write_text(f"[mining]\n{name} = {off}\n")
    assert getattr(load_run_config(path, {}).mining, name) is None
    assert getattr(load_run_config(None, {}).mining, name) is not None


def test_engine_from_toml_and_flags(tmp_path: Path):
    path = tmp_path / "prep.toml"
    path.write_text("[engine]\nname = 'ray'\nworkers = 4\n")
    config = load_run_config(path, {"--ray-address": "ray://head:10001", "--workers": None})
    assert (config.engine.name, config.engine.address, config.engine.workers) == ("ray", "ray://head:10001", 4)
    assert load_run_config(None, {}).engine.name == "local"


def test_readme_config_reference_lists_every_key_and_no_other():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = re.search(r"### Config file\n.*?```toml\n(.*?)```", readme, re.DOTALL).group(1)
    documented = {table: set(keys) for table, keys in tomllib.loads(block).items()}
    defaults = RunConfig()
    fields = {table.name: {key.name for key in dataclasses.fields(getattr(defaults, table.name))}
              for table in dataclasses.fields(defaults)}
    assert documented == fields


def test_readme_names_the_keys_that_have_no_flag():
    from pipeline.config_file import FLAGS
    from pipeline.config_toml import TABLES

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    sentence = re.search(r"These keys have no flag and are set only in the file: (.*?)\.\n", readme, re.DOTALL)[1]
    flagged = set(FLAGS.values())
    file_only = {f"{table}.{key}" for table, keys in TABLES.items() for key in keys if (table, key) not in flagged}
    assert set(re.findall(r"`(\w+\.\w+)`", sentence)) == file_only


def test_a_huge_negatives_is_refused_before_the_read_by_run(tmp_path):
    """Mining cannot give more than MAX_NEGATIVES (its search depth); convert refuses more too (test_convert)."""
    from pipeline.run import RunInputs, run_pipeline

    config = load_run_config(None, {"--negatives": 10**9})
    with pytest.raises(ConfigError, match=re.escape("at most 1024 negatives can be mined, got 1000000000")):
        run_pipeline(RunInputs(tmp_path / "missing.jsonl"), config, tmp_path / "out")  # before the read fails
    flag = load_run_config(None, {"--layout": "flag", "--group-size": 2000})
    assert flag.mining.negatives == 1999
    with pytest.raises(ConfigError, match="got 1999"):
        run_pipeline(RunInputs(tmp_path / "missing.jsonl"), flag, tmp_path / "out")
    path = tmp_path / "prep.toml"  # the error names what set K
    path.write_text("[layout]\nlayout = 'flag'\ngroup_size = 2000\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path}: [layout] group_size: at most 1024 negatives")):
        run_pipeline(RunInputs(tmp_path / "missing.jsonl"), load_run_config(path, {}), tmp_path / "out",
                     path_sources(path, {}))
    flags = {"--negatives": 2000}
    with pytest.raises(ConfigError, match=r"^--negatives: at most 1024 negatives can be mined, got 2000$"):
        run_pipeline(RunInputs(tmp_path / "missing.jsonl"), load_run_config(path, flags), tmp_path / "out",
                     path_sources(path, flags))


def test_a_device_that_torch_does_not_see_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import torch

    path = tmp_path / "prep.toml"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    path.write_text("[encoder]\ndevice = 'cuda'\n")
    with pytest.raises(ConfigError) as error:
        load_run_config(path, {})
    assert str(error.value) == f"{path}: [encoder] device 'cuda': torch sees no cuda device on this machine"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert load_run_config(path, {}).encoder.device == "cuda"
    path.write_text("[encoder]\ndevice = 'cuda:1'\n")
    assert load_run_config(path, {}).encoder.device == "cuda:1"
    path.write_text("[encoder]\ndevice = 'cuda:2'\n")
    with pytest.raises(ConfigError, match=re.escape("[encoder] device 'cuda:2': torch sees 2 cuda device(s)")):
        load_run_config(path, {})
    assert load_run_config(None, {}).encoder.device is None  # the default is chosen when the model loads


def test_a_model_is_blamed_on_the_file_only_where_the_file_set_it(tmp_path: Path):
    path = tmp_path / "prep.toml"
    path.write_text("[encoder]\nmodel = '/nope'\ncache_dir = '/c'\n")
    assert path_sources(path, {}) == {"--model": f"{path}: [encoder] model", "--teacher": "--teacher",
                                      "--cache-dir": f"{path}: [encoder] cache_dir", "--negatives": "--negatives"}
    assert path_sources(path, {"--model": "/other"})["--model"] == "--model"
    assert path_sources(None, {}) == {"--model": "--model", "--teacher": "--teacher", "--cache-dir": "--cache-dir",
                                      "--negatives": "--negatives"}


def test_a_config_file_with_a_bom_loads_and_one_not_utf8_names_the_file(tmp_path: Path):
    path = tmp_path / "prep.toml"
    path.write_bytes(b"\xef\xbb\xbf[mining]\nnegatives = 5\n")
    assert load_run_config(path, {}).mining.negatives == 5
    path.write_bytes(b"[mining]\nsampling = '\xff'\n")
    with pytest.raises(ConfigError, match=f"^{re.escape(str(path))}: 'utf-8' codec can't decode byte 0xff"):
        load_run_config(path, {})


def test_batch_size_from_the_file_is_turned_off_by_a_flag_of_0_or_by_false(tmp_path: Path):
    path = tmp_path / "prep.toml"
    path.write_text("[layout]\nbatch_size = 32\n")
    assert load_run_config(path, {}).layout.batch_size == 32
    assert load_run_config(path, {"--batch-size": 0}).layout.batch_size is None
    path.write_text("[layout]\nbatch_size = false\n")
    assert load_run_config(path, {}).layout.batch_size is None
    path.write_text("[layout]\nbatch_size = 0.0\n")
    with pytest.raises(ConfigError, match=re.escape("batch_size must be an integer or false (off), got 0.0")):
        load_run_config(path, {})
    path.write_text("[layout]\nbatch_size = 32\nleftover = 'reject'\n")  # what needs the batches says so
    with pytest.raises(ConfigError, match="leftover applies to conflict-free batches"):
        load_run_config(path, {"--batch-size": 0})


@pytest.mark.parametrize("positives", ["sample:0", "sample:", "sample:-2", "some"])
def test_positives_says_that_the_sample_size_is_at_least_1(positives: str):
    with pytest.raises(ConfigError, match=re.escape(f"'sample:N' with N at least 1; got {positives!r}")):
        load_run_config(None, {"--positives": positives})


def test_refused_padding_suggests_fills_that_prep_convert_takes_too():
    """prep convert refuses --fill mine: the way out of a refused pad must not send its user there."""
    with pytest.raises(ConfigError) as error:
        load_run_config(None, {"--fill": "pad"}, defaults={"layout": {"fill": "drop"}})
    assert "add --allow-padding to mean it, or use --fill drop or repeat (or mine, which only prep run does)" \
        in str(error.value)


def test_a_flag_for_negatives_or_group_size_wins_over_the_file_for_the_other(tmp_path: Path) -> None:
    """They name one number (K = group_size - 1): a flag wins over the file as for any other key. Two flags, or two
    keys of the file, that disagree are still an error."""
    path = tmp_path / "prep.toml"
    path.write_text("[layout]\nlayout = 'flag'\ngroup_size = 8\n")
    config = load_run_config(path, {"--negatives": 3})
    assert (config.mining.negatives, config.layout.group_size) == (3, 4)
    path.write_text("[mining]\nnegatives = 3\n[layout]\nlayout = 'flag'\n")
    config = load_run_config(path, {"--group-size": 6})
    assert (config.mining.negatives, config.layout.group_size) == (5, 6)
    with pytest.raises(ConfigError, match="give one of them"):
        load_run_config(None, {"--negatives": 3, "--group-size": 6, "--layout": "flag"})
    path.write_text("[mining]\nnegatives = 3\n[layout]\nlayout = 'flag'\ngroup_size = 8\n")
    with pytest.raises(ConfigError, match="give one of them"):
        load_run_config(path, {})


def test_relative_paths_in_the_file_are_relative_to_its_folder(tmp_path: Path, monkeypatch):
    """A prep.toml beside its model (`model = "mdl/static"`) failed from any other folder, and a folder of that name
    in the working directory would have been used without a word."""
    config_dir, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (config_dir / "mdl" / "static").mkdir(parents=True)
    (elsewhere / "mdl" / "static").mkdir(parents=True)  # the same name here: not the file's
    file = config_dir / "prep.toml"
    file.write_text('[encoder]\nmodel = "mdl/static"\ncache_dir = "cache"\n'
                    '[layout]\nscores = true\nteacher = "cross-encoder/ms-marco-MiniLM-L6-v2"\n')
    monkeypatch.chdir(elsewhere)
    config = load_run_config(file, {})
    assert config.encoder.model == str(config_dir / "mdl" / "static")
    assert config.encoder.cache_dir == str((config_dir / "cache").resolve())
    assert config.layout.teacher == "cross-encoder/ms-marco-MiniLM-L6-v2"  # no such folder there: a hub name
    flagged = load_run_config(file, {"--model": "mdl/static", "--cache-dir": "c"})  # flags: the working directory's
    assert (flagged.encoder.model, flagged.encoder.cache_dir) == ("mdl/static", str((elsewhere / "c").resolve()))
