"""load_model: a model that does not load is a ConfigError naming the flag, the model and what is wrong."""

from pathlib import Path

import pytest
from sentence_transformers import CrossEncoder, SentenceTransformer

from pipeline.errors import ConfigError
from pipeline.stages.load_model import load_model


def test_a_file_or_a_folder_that_is_no_model_is_named(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a model\n")
    with pytest.raises(ConfigError, match=f"^--model {notes}: a file, not a model folder$"):
        load_model(SentenceTransformer, str(notes), "--model", device="cpu")
    with pytest.raises(ConfigError, match=f"^--teacher {tmp_path}: the folder does not load as a model: ") as caught:
        load_model(CrossEncoder, str(tmp_path), "--teacher")
    assert caught.value.__cause__ is not None, "the library's own error stays chained"


def test_a_missing_path_is_not_looked_up_on_the_hub(tmp_path: Path) -> None:
    for name in (str(tmp_path / "gone"), "./gone", "~/gone-prep-model"):
        with pytest.raises(ConfigError, match=f"^--model {name}: no such folder$"):
            load_model(SentenceTransformer, name, "--model")


def test_a_hub_name_offline_says_the_hub_was_not_asked() -> None:
    with pytest.raises(ConfigError, match=r"HF_HUB_OFFLINE is set, so the hub was not asked$"):
        load_model(SentenceTransformer, "prep-tests/no-such-model", "--model")


def test_a_model_that_loads_is_returned(tiny_model: Path) -> None:
    assert isinstance(load_model(SentenceTransformer, str(tiny_model), "--model", device="cpu"), SentenceTransformer)


def test_a_folder_with_broken_files_is_named_with_the_error(tiny_model: Path, tmp_path: Path) -> None:
    """A truncated weights file or a modules.json naming no class raised their readers' errors: a traceback, exit 1."""
    import json
    import shutil

    truncated, unknown = tmp_path / "truncated", tmp_path / "unknown"
    shutil.copytree(tiny_model, truncated)
    weights = truncated / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    shutil.copytree(tiny_model, unknown)
    modules = json.loads((unknown / "modules.json").read_text())
    modules[0]["type"] = "sentence_transformers.NoSuchModule"
    (unknown / "modules.json").write_text(json.dumps(modules))
    for folder, reason in ((truncated, "SafetensorError: "), (unknown, "ImportError: ")):
        with pytest.raises(ConfigError, match=f"^--model {folder}: the folder does not load as a model: {reason}"):
            load_model(SentenceTransformer, str(folder), "--model", device="cpu")
