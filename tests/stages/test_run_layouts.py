"""`prep run` into the other layouts: FlagEmbedding with a group size, scores from the encoder or a CrossEncoder
teacher (MarginMSE trains on them), and fill policies that do not mine."""

import json

import datasets
import numpy as np
import pytest
from mining_data import ROWS, run
from training import train_steps

from pipeline.config import LayoutConfig
from pipeline.layouts.input_scores import FLAG_DISTILLATION_NOTE


def test_flag_layout_mines_group_size_minus_one_negatives(data, tiny_model, tmp_path):
    manifest = run(data, tiny_model, tmp_path, negatives=2, relative_margin=None,
                   layout=LayoutConfig(layout="flag", group_size=3))
    rows = [json.loads(line) for line in (tmp_path / "out" / "train.jsonl").read_text().splitlines()]
    queries = {row["query"] for row in ROWS if row["pos"]}
    assert {row["query"] for row in rows} == queries and len(rows) == len(queries)
    for row in rows:
        assert len(row["neg"]) == 2 and not set(row["neg"]) & set(row["pos"])
    hamlet = next(row for row in rows if row["query"] == "who wrote hamlet")
    assert sorted(hamlet["pos"]) == ["hamlet was written by shakespeare", "shakespeare wrote the tragedy hamlet"]
    assert "--train_group_size 3 --query_instruction_for_retrieval '' " in manifest["layout"]["load"]


def test_flag_all_negatives_keeps_every_given_negative_beyond_k(data, tiny_model, tmp_path):
    path, corpus = data
    given = ["a dog is an animal", "the sea is blue", "leaves are green", "the sky at night"]
    rows = [row | {"neg": given} if row["query"] == "what is a cat" else row for row in ROWS]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    flag = {"layout": "flag", "group_size": 2}
    manifests = {out: run((path, corpus), tiny_model, tmp_path, out=out, negatives=1, trust_given_negatives=True,
                          layout=LayoutConfig(**flag, all_negatives=every))
                 for every, out in ((True, "all"), (False, "k"))}
    written = {out: {json.loads(line)["query"]: json.loads(line)["neg"]
                     for line in (tmp_path / out / "train.jsonl").read_text().splitlines()} for out in ("all", "k")}
    assert written["all"]["what is a cat"] == given and written["k"]["what is a cat"] == given[:1]
    assert all(len(negatives) == 1 for query, negatives in written["all"].items() if query != "what is a cat")
    # The manifest says what the rows hold beyond K, and scores the given and the mined negatives apart.
    held = manifests["all"]["layout"]["negatives_held"]
    assert (held["min"], held["max"], held["total"]) == (1, 4, sum(map(len, written["all"].values())))
    assert "negatives_held" not in manifests["k"]["layout"]
    by_source = manifests["all"]["scores"]["chosen_negatives"]["by_source"]
    given_to = {(row["query"], text) for row in rows for text in row["neg"]}
    from_input = sum((query, text) in given_to for query, negatives in written["all"].items() for text in negatives)
    assert by_source["input"]["count"] == from_input >= 4
    assert by_source["mined"]["count"] == held["total"] - from_input > 0


def test_buckets_keep_every_given_negative(data, tiny_model, tmp_path):
    """The buckets' rows keep all their negatives, as README's layouts table says: mining fills only up to K."""
    path, corpus = data
    given = ["a dog is an animal", "the sea is blue", "leaves are green", "the sky at night"]
    rows = [row | {"neg": given} if row["query"] == "what is a cat" else row for row in ROWS]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    run((path, corpus), tiny_model, tmp_path, negatives=1, trust_given_negatives=True,
        layout=LayoutConfig(layout="buckets"))
    buckets = datasets.load_from_disk(str(tmp_path / "out"))
    cat = [row for row in buckets["neg4"] if row["anchor"] == "what is a cat"]
    assert [[row[f"negative_{i}"] for i in range(1, 5)] for row in cat] == [given]
    assert all(len(buckets[name]) for name in buckets) and set(buckets) == {"neg1", "neg4"}


def test_scores_are_the_encoder_cosines(data, tiny_model, tmp_path):
    from sentence_transformers import SentenceTransformer

    run(data, tiny_model, tmp_path, negatives=2, relative_margin=None, layout=LayoutConfig(scores=True))
    dataset = datasets.load_from_disk(str(tmp_path / "out"))
    model = SentenceTransformer(str(tiny_model), device="cpu")
    row = dataset[0]
    texts = [row["anchor"], row["positive"], row["negative_1"], row["negative_2"]]
    vectors = model.encode(texts, normalize_embeddings=True)
    assert np.allclose(row["label"], vectors[1:] @ vectors[0], atol=1e-4)
    assert row["label"][1] >= row["label"][2], "negatives are hardest first"


def test_teacher_scores_and_margin_mse_trains(data, tiny_model, tiny_cross_encoder, tmp_path):
    from sentence_transformers import CrossEncoder, SentenceTransformer
    from sentence_transformers.sentence_transformer import losses

    manifest = run(data, tiny_model, tmp_path, negatives=2, relative_margin=None,
                   layout=LayoutConfig(scores=True, teacher=str(tiny_cross_encoder)))
    dataset = datasets.load_from_disk(str(tmp_path / "out"))
    teacher = CrossEncoder(str(tiny_cross_encoder), device="cpu")
    row = dataset[1]
    expected = teacher.predict([(row["anchor"], row[name]) for name in ("positive", "negative_1", "negative_2")])
    assert np.allclose(row["label"], expected, atol=1e-5)
    assert "teacher" in manifest["timings_seconds"]
    model = SentenceTransformer(str(tiny_model), device="cpu")
    train_steps(model, dataset, tmp_path, losses.MarginMSELoss(model))


def test_only_fill_mine_searches_deeper(data, tiny_model, tmp_path):
    # A shallow first search (range_max 4) and a max_score that no candidate meets leave every query short.
    deeper = run(data, tiny_model, tmp_path, out="mine", negatives=3, relative_margin=None, max_score=0.0, range_max=4)
    once = run(data, tiny_model, tmp_path, out="drop", negatives=3, relative_margin=None, max_score=0.0, range_max=4,
               layout=LayoutConfig(fill="drop"))
    assert deeper["filters"]["queries_searched_deeper"] > 0 and once["filters"]["queries_searched_deeper"] == 0
    assert once["filters"]["mined"]["candidates"] > 0, "every fill mines; only 'mine' mines more"
    assert all(stage["reconciled"] for stage in once["stages"])


def test_fill_repeat_completes_short_rows_with_repeats(data, tiny_model, tmp_path):
    # max_score 0 removes every mined candidate: hamlet keeps its one (trusted) given negative, the rest have none.
    manifest = run(data, tiny_model, tmp_path, negatives=3, relative_margin=None, max_score=0.0,
                   trust_given_negatives=True, layout=LayoutConfig(fill="repeat"))
    dataset = datasets.load_from_disk(str(tmp_path / "out"))
    assert set(dataset["anchor"]) == {"who wrote hamlet"} and len(dataset) == 2
    assert all(row[f"negative_{i}"] == "macbeth is a play" for row in dataset for i in (1, 2, 3))
    assert manifest["layout"]["negatives_added_by_fill"] == {"repeated": 2}
    layout = next(stage for stage in manifest["stages"] if stage["stage"] == "layout")
    assert layout["reconciled"] and layout["rejected_by_reason"] == {"fewer_than_k_negatives": layout["rows_in"] - 2}


@pytest.mark.parametrize("layout", ["labeled-list", "labeled-pair", "triplet", "buckets"])
def test_every_layout_reconciles_after_mining(data, tiny_model, tmp_path, layout):
    manifest = run(data, tiny_model, tmp_path, negatives=2, relative_margin=None, layout=LayoutConfig(layout=layout))
    assert all(stage["reconciled"] for stage in manifest["stages"])
    assert datasets.load_from_disk(str(tmp_path / "out"))


def test_input_scores_replaced_by_the_encoder_cosines_are_noted(data, tiny_model, tmp_path):
    path, corpus = data
    scored = [row | {"pos_scores": [0.9] * len(row["pos"]), "neg_scores": [0.2] * len(row["neg"])} for row in ROWS]
    path.write_text("".join(json.dumps(row) + "\n" for row in scored))
    manifest = run((path, corpus), tiny_model, tmp_path, negatives=2, relative_margin=None,
                   layout=LayoutConfig(layout="flag", group_size=3, scores=True))
    assert manifest["layout"]["scores_note"] == (
        "the input has scores; prep run --scores replaces them with the encoder's cosines (--teacher MODEL: a "
        "cross-encoder's); prep convert --scores keeps the input's; " + FLAG_DISTILLATION_NOTE)
    rows = [json.loads(line) for line in (tmp_path / "out" / "train.jsonl").read_text().splitlines()]
    assert rows and all(score != 0.9 for row in rows for score in row["pos_scores"])


@pytest.mark.parametrize("layout", ["labeled-pair", "labeled-list"])
def test_a_scored_pair_or_list_output_is_not_read_back_as_relevance(data, tiny_model, tmp_path, layout):
    """Its labels are cosines, the mined negatives' mostly above 0: read as relevance, `prep report OUT` counted them
    as positives and `prep convert OUT` labelled them 1 or found no negatives."""
    from pipeline.errors import InputError
    from pipeline.readers import read_dataset

    run(data, tiny_model, tmp_path, negatives=2, relative_margin=None, layout=LayoutConfig(layout=layout, scores=True))
    out = tmp_path / "out"
    for path in (out, next(out.glob("data-*.arrow"))):
        with pytest.raises(InputError, match=f"a {layout} output of prep with --scores: its labels are .*'s scores of "
                                             "positives and mined negatives alike"):
            read_dataset(path)
    run(data, tiny_model, tmp_path, out="plain", negatives=2, relative_margin=None, layout=LayoutConfig(layout=layout))
    written = datasets.load_from_disk(str(tmp_path / "plain"))  # 1.0 and 0.0: relevance, read back as written
    labels = written["score"] if layout == "labeled-pair" else [label for row in written["labels"] for label in row]
    assert read_dataset(tmp_path / "plain").negatives.height == labels.count(0.0) > 0
