import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from pipeline.config import MiningConfig, RunConfig, load_run_config
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
    config = load_run_config(path, {"mining": {"negatives": 2, "sampling": None}})
    assert config.mining.negatives == 2  # flag given
    assert config.mining.sampling == "random"  # flag not given: the file's value
    assert config.encoder.batch_size == 8


@pytest.mark.parametrize(("toml", "message"), [
    ("[mining]\nsampling = 'best'\n", "sampling must be one of 'top', 'random'; got 'best'"),
    ("[mining]\nnegatives = 0\n", "negatives must be a positive integer, got 0"),
    ("[mining]\npositive_neighbors = -1\n", "positive_neighbors must be at least 0, got -1"),
    ("[mining]\nmax_positive_rank = -1\n", "max_positive_rank must be a positive integer, got -1"),
    ("[mining]\nbogus = 1\n", "unknown mining setting(s) ['bogus']"),
    ("[minig]\nnegatives = 1\n", "unknown table(s) ['minig']"),
    ("[mining\n", "prep.toml"),
    ("[engine]\nname = 'spark'\n", "name must be one of 'local', 'ray'; got 'spark'"),
    ("[engine]\naddress = 'auto'\n", "gpus_per_worker and index_shards are for the ray engine"),
    ("[engine]\nname = 'ray'\nworkers = 0\n", "workers must be a positive integer, got 0"),
])
def test_bad_config_is_a_clear_error(tmp_path: Path, toml: str, message: str):
    path = tmp_path / "prep.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=re.escape(message)):
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


def test_range_window_must_hold_k_negatives():
    with pytest.raises(ConfigError, match="leaves fewer candidates than negatives"):
        MiningConfig(negatives=5, range_min=10, range_max=12)


def test_a_value_of_the_wrong_type_is_a_config_error(tmp_path: Path):
    path = tmp_path / "prep.toml"
    path.write_text('[mining]\nrelative_margin = "0.05"\n')
    with pytest.raises(ConfigError, match=re.escape("relative_margin must be float or None, got '0.05'")):
        load_run_config(path, {})


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
    config = load_run_config(path, {"engine": {"address": "ray://head:10001", "workers": None}})
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
