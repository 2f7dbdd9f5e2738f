"""Token counting with a model folder's own tokenizer, without loading the model."""

import json
import shutil
from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.report.tokens import default_model_path, load_token_counter


def test_counts_special_tokens_and_never_truncates(tiny_tokenizer: Path) -> None:
    counter = load_token_counter(tiny_tokenizer)
    long = " ".join(["word"] * 20)
    assert counter.count(["what is a query", "unknown words here", long]).tolist() == [6, 5, 22]
    assert counter.count([]).tolist() == []


def test_max_seq_length_comes_from_sentence_bert_config(tiny_tokenizer: Path, tmp_path: Path) -> None:
    assert load_token_counter(tiny_tokenizer).max_seq_length == 8
    shutil.copy(tiny_tokenizer / "tokenizer.json", tmp_path / "tokenizer.json")
    assert load_token_counter(tmp_path).max_seq_length == 512


def test_folder_without_tokenizer_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no tokenizer\.json there"):
        load_token_counter(tmp_path)


def test_a_missing_folder_or_a_hub_name_is_named_as_no_such_folder(tmp_path: Path) -> None:
    for model in (tmp_path / "gone", "BAAI/bge-small-en-v1.5"):
        with pytest.raises(ConfigError, match=r"no such folder; give a local sentence-transformers model folder"):
            load_token_counter(model)


def test_default_is_the_offline_minilm() -> None:
    counter = load_token_counter()
    config = json.loads((default_model_path() / "sentence_bert_config.json").read_text())
    assert (counter.name, counter.max_seq_length) == ("all-MiniLM-L6-v2", config["max_seq_length"])
    assert counter.count(["hello world"]).tolist() == [4]


def test_without_sentence_bert_config_max_seq_length_is_what_sentence_transformers_sets(tiny_model: Path,
                                                                                       tmp_path: Path) -> None:
    """The tokenizer's model_max_length was taken alone; ST caps it at config.json's max_position_embeddings."""
    from sentence_transformers import SentenceTransformer

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    (model / "sentence_bert_config.json").unlink()
    config = json.loads((model / "tokenizer_config.json").read_text())
    (model / "tokenizer_config.json").write_text(json.dumps({**config, "model_max_length": 4096}))
    positions = json.loads((model / "config.json").read_text())["max_position_embeddings"]
    loaded = SentenceTransformer(str(model), device="cpu").max_seq_length
    assert loaded == positions < 4096 and load_token_counter(model).max_seq_length == loaded


def test_static_embedding_counts_no_special_tokens_and_truncates_nothing(static_model: Path) -> None:
    """ST's StaticEmbedding tokenises without [CLS]/[SEP] and its max_seq_length is inf: nothing is over it."""
    from sentence_transformers import SentenceTransformer

    from pipeline.report.tokens import counter_of_model

    model = SentenceTransformer(str(static_model), device="cpu")
    text = " ".join(["paris"] * 600)
    fed = len(model[0].tokenizer.encode(text, add_special_tokens=False).ids)
    for counter in (load_token_counter(static_model), counter_of_model(model, "static")):
        assert counter.max_seq_length is None and counter.count([text]).tolist() == [fed] == [600]


def test_the_transformer_config_is_read_from_its_module_folder(tiny_model: Path, tmp_path: Path) -> None:
    """The hub's old layout keeps the Transformer in 0_Transformer/; its max_seq_length was read as 512."""
    from sentence_transformers import SentenceTransformer

    model = tmp_path / "old"
    shutil.copytree(tiny_model, model)
    (model / "0_Transformer").mkdir()
    for name in ("config.json", "model.safetensors", "sentence_bert_config.json", "tokenizer.json",
                 "tokenizer_config.json"):
        if (model / name).exists():
            (model / name).rename(model / "0_Transformer" / name)
    modules = json.loads((model / "modules.json").read_text())
    modules[0]["path"] = "0_Transformer"
    (model / "modules.json").write_text(json.dumps(modules))
    loaded = SentenceTransformer(str(model), device="cpu").max_seq_length
    assert loaded == 64 == load_token_counter(model).max_seq_length


def test_a_config_file_that_is_not_json_is_named(tiny_model: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    (model / "config.json").write_text("{bad")
    (model / "sentence_bert_config.json").unlink()
    with pytest.raises(ConfigError, match=rf"^--model {model / 'config.json'}: not JSON"):
        load_token_counter(model)


def test_a_model_without_prompts_has_empty_ones_as_prep_run_s_manifest_says(tiny_tokenizer: Path,
                                                                             tmp_path: Path) -> None:
    """ST 6 gives every model "query" and "document" prompts, "" where its config has none: prep run's manifest and
    report.json say "", while `prep report DATA --json` said null for the same model."""
    from pipeline.readers import read_dataset
    from pipeline.report.profile import profile

    assert load_token_counter(tiny_tokenizer).prompts == ("", "")
    prompted = tmp_path / "prompted"
    shutil.copytree(tiny_tokenizer, prompted)
    (prompted / "config_sentence_transformers.json").write_text(json.dumps({"prompts": {"query": "q: "}}))
    assert load_token_counter(prompted).prompts == ("q: ", "")
    data = tmp_path / "rows.jsonl"
    data.write_text(json.dumps({"anchor": "what is a query", "positive": "a passage answers the query"}) + "\n")
    tokens = profile(read_dataset(data), load_token_counter(tiny_tokenizer))["text_tokens"]
    assert tokens["prompts"] == {"query": "", "document": ""}
