"""Proof by training with FlagEmbedding itself: its embedder fine-tuning (encoder_only.base, the runner behind
`python -m FlagEmbedding.finetune.embedder.encoder_only.base`) reads prep's flag output and trains a few CPU steps
on a tiny offline model."""

import json
import math
from pathlib import Path

import pytest

pytest.importorskip("FlagEmbedding", reason="FlagEmbedding is not installed (pip install -c constraints.txt "
                                            "-e '.[flag]' adds it and peft, see pyproject.toml)")

GROUP_SIZE = 3
PROMPT = "Represent this question for retrieving passages: "
CAPITALS = [("france", "paris"), ("italy", "rome"), ("spain", "madrid"), ("germany", "berlin")]
ROWS = [
    *({"query": f"what is the capital of {country}",
       "pos": [f"{city} is the capital of {country}", f"the capital city of {country} is {city}"],
       "neg": [*(f"{other} is a city" for _, other in CAPITALS if other != city), "the sea is blue",
               "leaves are green"],
       "pos_scores": [0.9, 0.85], "neg_scores": [0.5, 0.4, 0.3, 0.2, 0.1], "prompt": PROMPT, "type": "normal"}
      for country, city in CAPITALS),
    {"query": "who wrote hamlet", "pos": ["hamlet was written by shakespeare"],
     "neg": ["macbeth is a play", "a dog is an animal", "the sky is blue", "bread needs flour"],
     "pos_scores": [0.95], "neg_scores": [0.6, 0.2, 0.1, 0.05], "prompt": PROMPT, "type": "normal"},
    {"query": "why is the sky blue", "pos": ["light scattering makes the sky blue"],
     "neg": ["the sea is blue", "plants need energy", "a cat is a mammal", "bake bread in an oven"],
     "pos_scores": [0.9], "neg_scores": [0.4, 0.3, 0.2, 0.1], "prompt": PROMPT, "type": "normal"},
]
BY_QUERY = {row["query"]: row for row in ROWS}


@pytest.fixture
def flag_output(write_table, convert_to, tmp_path):
    """prep convert --to flag --group-size 3 on ROWS (with these types): the --train_data to give FlagEmbedding."""

    def run(types: list[str] | None = None, **layout: object) -> Path:
        rows = [row | {"type": kind} for row, kind in zip(ROWS, types, strict=True)] if types else ROWS
        convert_to(write_table("input.jsonl", rows), out="flag", layout="flag", group_size=GROUP_SIZE,
                   negatives=GROUP_SIZE - 1, **layout)
        return tmp_path / "flag" / ("train" if types else "train.jsonl")

    return run


def flagembedding_runner(train_data: Path, model: Path, tmp_path: Path, **options: object):
    """FlagEmbedding's runner, configured as its command line would be, for 3 quiet CPU steps that save nothing."""
    from FlagEmbedding.finetune.embedder.encoder_only.base import (
        EncoderOnlyEmbedderDataArguments,
        EncoderOnlyEmbedderModelArguments,
        EncoderOnlyEmbedderRunner,
        EncoderOnlyEmbedderTrainingArguments,
    )
    from transformers import HfArgumentParser

    parser = HfArgumentParser((EncoderOnlyEmbedderModelArguments, EncoderOnlyEmbedderDataArguments,
                               EncoderOnlyEmbedderTrainingArguments))
    model_args, data_args, training_args = parser.parse_dict({
        "model_name_or_path": str(model), "train_data": [str(train_data)], "train_group_size": GROUP_SIZE,
        "query_max_len": 32, "passage_max_len": 32, "cache_path": str(tmp_path / "cache"),
        "output_dir": str(tmp_path / "flag-train"), "max_steps": 3, "per_device_train_batch_size": 2,
        "learning_rate": 1e-3, "use_cpu": True, "report_to": "none", "save_strategy": "no", "seed": 0,
        "disable_tqdm": True, **options})
    return EncoderOnlyEmbedderRunner(model_args=model_args, data_args=data_args, training_args=training_args)


def train_flagembedding(runner) -> None:
    """Train and assert that the loss was finite, every step ran and the weights moved."""
    import torch

    before = [p.detach().clone() for p in runner.model.parameters()]
    result = runner.trainer.train()
    assert math.isfinite(result.training_loss) and result.global_step == 3
    assert any(not torch.equal(a, b) for a, b in zip(before, runner.model.parameters(), strict=True))


def drawn_negatives(runner, draws: int = 20) -> dict[str, set[str]]:
    """The negatives FlagEmbedding's dataset draws per query over many epochs' worth of items, each checked: the
    query is ours, the first passage one of its positives, the rest train_group_size - 1 of its negatives."""
    drawn: dict[str, set[str]] = {}
    for _ in range(draws):
        for index in range(len(runner.train_dataset)):
            query, passages, _ = runner.train_dataset[index]
            row = BY_QUERY[query]
            assert len(passages) == GROUP_SIZE and passages[0] in row["pos"]
            assert set(passages[1:]) <= set(row["neg"]) and len(set(passages[1:])) == GROUP_SIZE - 1
            drawn.setdefault(query, set()).update(passages[1:])
    return drawn


@pytest.mark.parametrize("all_negatives", [False, True])
def test_flagembedding_trains_on_flag_output(flag_output, tiny_model, tmp_path, all_negatives):
    runner = flagembedding_runner(flag_output(all_negatives=all_negatives), tiny_model, tmp_path)
    drawn = drawn_negatives(runner)
    assert drawn.keys() == BY_QUERY.keys()
    # With every negative kept FlagEmbedding samples from all of them; else it always gets the top K.
    assert all(len(negatives) == (len(BY_QUERY[query]["neg"]) if all_negatives else GROUP_SIZE - 1)
               for query, negatives in drawn.items())
    train_flagembedding(runner)


@pytest.mark.parametrize("kd_loss_type", ["kl_div", "m3_kd_loss"])
def test_flagembedding_distills_from_the_scores(flag_output, tiny_model, tmp_path, kd_loss_type):
    runner = flagembedding_runner(flag_output(scores=True, all_negatives=True), tiny_model, tmp_path,
                                  knowledge_distillation=True, kd_loss_type=kd_loss_type)
    query, passages, teacher_scores = runner.train_dataset[0]
    row = BY_QUERY[query]
    score_of = dict(zip(row["pos"] + row["neg"], row["pos_scores"] + row["neg_scores"], strict=True))
    assert teacher_scores == [score_of[passage] for passage in passages]
    train_flagembedding(runner)


def test_flagembedding_reads_the_prompt_column_as_the_query_instruction(flag_output, tiny_model, tmp_path):
    # FlagEmbedding reads `prompt` only once some query instruction is set; the row's prompt then replaces it.
    runner = flagembedding_runner(flag_output(), tiny_model, tmp_path, query_instruction_for_retrieval="unused: ")
    queries = [runner.train_dataset[index][0] for index in range(len(runner.train_dataset))]
    assert sorted(queries) == sorted(PROMPT + query for query in BY_QUERY)
    train_flagembedding(runner)


def test_flagembedding_batches_each_type_apart_from_one_file_per_type(flag_output, tiny_model, tmp_path):
    """--same_dataset_within_batch takes each file's `type` for all its batches and fails on a batch that mixes
    types: each type gets its own file, and the folder of them is the --train_data."""
    train_data = flag_output(types=["normal", "symmetric_class"] * 3)
    assert sorted(path.name for path in train_data.iterdir()) == ["normal.jsonl", "symmetric_class.jsonl"]
    runner = flagembedding_runner(train_data, tiny_model, tmp_path, same_dataset_within_batch=True)
    train_flagembedding(runner)


def test_flagembedding_never_batches_a_type_file_smaller_than_a_batch(flag_output, tiny_model, tmp_path):
    """--same_dataset_within_batch cuts each file into full batches and drops the rest: a file with fewer rows than
    per_device_train_batch_size is loaded but never trained on. The manifest names the smallest file."""
    train_data = flag_output(types=["normal"] * 5 + ["rare"])
    note = json.loads((tmp_path / "flag" / "manifest.json").read_text())["layout"]["files_note"]
    assert note.endswith("the smallest, train/rare.jsonl, has 1 row")
    dataset = flagembedding_runner(train_data, tiny_model, tmp_path, same_dataset_within_batch=True).train_dataset
    batched = [query for indices, _ in dataset.batch_datas
               for query in dataset.dataset[[int(index) for index in indices]]["query"]]
    assert len(dataset.dataset) == 6 and len(batched) == 4  # normal: two batches of 2 and one row left this epoch
    assert ROWS[5]["query"] not in batched  # the rare type's only row
