"""The note on the input's prompts names the training arguments that each ST trainer actually reads."""

import ast
import re

import pytest
from training import train_steps

from pipeline.instructions import st_prompt_note


@pytest.mark.parametrize(("layout", "bi_encoder", "cross_encoder"), [
    ("n-tuple", "{'anchor': 'Retrieve text.'}", "'Retrieve text.'"),  # MNRL: bi-encoder or CrossEncoder
    ("triplet", "{'anchor': 'Retrieve text.'}", "'Retrieve text.'"),
    ("labeled-pair", "{'sentence1': 'Retrieve text.'}", "'Retrieve text.'"),
    ("labeled-list", None, "'Retrieve text.'"),
])
def test_the_prompt_note_gives_each_trainer_the_form_it_reads(layout, bi_encoder, cross_encoder) -> None:
    note = st_prompt_note(layout, "Retrieve text.")
    assert ("SentenceTransformerTrainingArguments(prompts=" in note) == (bi_encoder is not None)
    assert ("CrossEncoderTrainingArguments(prompts=" in note) == (cross_encoder is not None)
    if bi_encoder:
        assert f"SentenceTransformerTrainingArguments(prompts={bi_encoder})" in note
    if cross_encoder:
        assert f"CrossEncoderTrainingArguments(prompts={cross_encoder})" in note and "one string" in note
    assert "(every query has 'Retrieve text.')" in note
    assert "every query has" not in st_prompt_note(layout, None)


def suggested(note: str, arguments: str) -> object:
    return ast.literal_eval(re.search(rf"{arguments}\(prompts=(.*?)\)(?=[ ,]|$)", note).group(1))


def test_the_suggested_prompts_reach_the_losses_through_st_collators(tmp_path) -> None:
    """ST's own collators on one row: a CrossEncoder ignores a dict keyed by column on a plain Dataset (it reads
    dataset names) and passes one string on to the loss; a bi-encoder matches the dict's key to the column."""
    from sentence_transformers.cross_encoder import CrossEncoderTrainingArguments
    from sentence_transformers.cross_encoder.data_collator import CrossEncoderDataCollator
    from sentence_transformers.sentence_transformer.data_collator import SentenceTransformerDataCollator

    listed = {"query": "what is bm25", "docs": ["BM25 ranks documents.", "Mars is red."], "scores": [1.0, 0.0]}
    prompts = suggested(st_prompt_note("labeled-list", "Retrieve text."), "CrossEncoderTrainingArguments")
    arguments = CrossEncoderTrainingArguments(output_dir=str(tmp_path), prompts=prompts, report_to="none")
    assert CrossEncoderDataCollator(preprocess_fn=None, prompts=arguments.prompts)([listed])["prompt"] == prompts
    assert "prompt" not in CrossEncoderDataCollator(preprocess_fn=None, prompts={"query": prompts})([listed])

    seen = {}

    def preprocess(texts: list[str], prompt: str | None = None, task: str | None = None) -> dict:
        seen[texts[0]] = prompt
        return {}

    pair = {"sentence1": "what is bm25", "sentence2": "BM25 ranks documents.", "score": 1.0}
    note = st_prompt_note("labeled-pair", "Retrieve text.")
    SentenceTransformerDataCollator(preprocess_fn=preprocess,
                                    prompts=suggested(note, "SentenceTransformerTrainingArguments"))([pair])
    assert seen == {"what is bm25": "Retrieve text.", "BM25 ranks documents.": None}
    prompts = suggested(note, "CrossEncoderTrainingArguments")
    assert CrossEncoderDataCollator(preprocess_fn=None, prompts=prompts)([pair])["prompt"] == "Retrieve text."


def test_the_crossencoder_prompt_reaches_the_model_on_n_tuple_rows(tmp_path, tiny_cross_encoder) -> None:
    """ST's CrossEncoder MultipleNegativesRankingLoss on (anchor, positive, negative_1) rows, in real trainer steps
    with the suggested string: every (anchor, candidate) pair the model reads starts with the prompt."""
    import datasets
    from sentence_transformers.cross_encoder import CrossEncoder, losses

    model = CrossEncoder(str(tiny_cross_encoder), device="cpu")
    read = []
    model[0].register_forward_pre_hook(lambda module, args: read.extend(args[0]["input_ids"].tolist()))
    rows = datasets.Dataset.from_list([
        {"anchor": "what is the capital of france", "positive": "paris", "negative_1": "berlin"},
        {"anchor": "who wrote hamlet", "positive": "shakespeare", "negative_1": "the sky is blue"}])
    prompts = suggested(st_prompt_note("n-tuple", "Retrieve text."), "CrossEncoderTrainingArguments")
    train_steps(model, rows, tmp_path, losses.MultipleNegativesRankingLoss(model), prompts=prompts)
    prompt = [model.tokenizer.cls_token_id, *model.tokenizer(prompts, add_special_tokens=False)["input_ids"]]
    assert read and all(ids[:len(prompt)] == prompt for ids in read)
