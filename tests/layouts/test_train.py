"""Proof by training: every layout loads with `datasets` and trains for a few real steps with each loss it is for,
on a tiny offline model."""

import json

import datasets
import pytest
from training import train_steps

N_TUPLE_LOSSES = ["MultipleNegativesRankingLoss", "CachedMultipleNegativesRankingLoss"]
TRIPLET_LOSSES = ["TripletLoss", "GISTEmbedLoss", "MultipleNegativesRankingLoss"]
PAIR_LOSSES = ["AnglELoss", "CoSENTLoss", "CosineSimilarityLoss"]
BINARY_LOSSES = ["ContrastiveLoss", "OnlineContrastiveLoss", "SoftmaxLoss"]


def bi_encoder_loss(name: str, model_path):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import losses

    model = SentenceTransformer(str(model_path), device="cpu")
    if name.startswith("Cached"):
        return model, getattr(losses, name)(model, mini_batch_size=2)
    if name == "GISTEmbedLoss":
        return model, losses.GISTEmbedLoss(model, guide=SentenceTransformer(str(model_path), device="cpu"))
    if name == "SoftmaxLoss":
        return model, losses.SoftmaxLoss(model, model.get_embedding_dimension(), num_labels=2)
    return model, getattr(losses, name)(model)


@pytest.mark.parametrize("loss_name", N_TUPLE_LOSSES)
def test_n_tuple_trains(flag_data, convert_to, tmp_path, tiny_model, loss_name):
    convert_to(flag_data, negatives=2, fill="repeat")
    model, loss = bi_encoder_loss(loss_name, tiny_model)
    train_steps(model, datasets.load_from_disk(str(tmp_path / "out")), tmp_path, loss)


@pytest.mark.parametrize("loss_name", TRIPLET_LOSSES)
def test_triplet_trains(flag_data, convert_to, tmp_path, tiny_model, loss_name):
    convert_to(flag_data, layout="triplet")
    model, loss = bi_encoder_loss(loss_name, tiny_model)
    train_steps(model, datasets.load_from_disk(str(tmp_path / "out")), tmp_path, loss)


@pytest.mark.parametrize("loss_name", PAIR_LOSSES)
def test_labeled_pair_trains(flag_data, convert_to, tmp_path, tiny_model, loss_name):
    convert_to(flag_data, layout="labeled-pair")
    model, loss = bi_encoder_loss(loss_name, tiny_model)
    # Two batches of 6 cover all 12 pairs: at least one batch mixes scores, which ranking losses need.
    train_steps(model, datasets.load_from_disk(str(tmp_path / "out")), tmp_path, loss, batch_size=6)


@pytest.mark.parametrize("loss_name", BINARY_LOSSES)
def test_binary_labeled_pair_trains(flag_data, convert_to, tmp_path, tiny_model, loss_name):
    convert_to(flag_data, layout="labeled-pair", binary=True)
    model, loss = bi_encoder_loss(loss_name, tiny_model)
    train_steps(model, datasets.load_from_disk(str(tmp_path / "out")), tmp_path, loss, batch_size=6)


@pytest.mark.parametrize("loss_name", ["ListNetLoss", "LambdaLoss"])
def test_labeled_list_trains_a_cross_encoder(flag_data, convert_to, tmp_path, tiny_cross_encoder, loss_name):
    from sentence_transformers.cross_encoder import CrossEncoder, losses

    convert_to(flag_data, layout="labeled-list")
    model = CrossEncoder(str(tiny_cross_encoder), device="cpu")
    train_steps(model, datasets.load_from_disk(str(tmp_path / "out")), tmp_path, getattr(losses, loss_name)(model))


def test_st_score_lists_convert_and_train_a_cross_encoder(write_table, convert_to, tmp_path, tiny_cross_encoder):
    """resolve_ids(..., output_format="lists") writes {query, documents, scores}: the first document is the
    positive, whatever the others score."""
    from sentence_transformers.cross_encoder import CrossEncoder, losses

    data = write_table("lists.jsonl", [
        {"query": f"what is the capital of {country}", "documents": [f"{city} is the capital", "the sea is blue",
                                                                      "leaves are green"], "scores": [0.5, 0.9, 0.1]}
        for country, city in [("france", "paris"), ("italy", "rome"), ("spain", "madrid"), ("germany", "berlin")]])
    convert_to(data, negatives=2, layout="labeled-list", scores=True)
    dataset = datasets.load_from_disk(str(tmp_path / "out"))
    assert dataset[0]["docs"][0] == "paris is the capital" and dataset[0]["labels"][0] == 0.5
    model = CrossEncoder(str(tiny_cross_encoder), device="cpu")
    train_steps(model, dataset, tmp_path, losses.ListNetLoss(model))


@pytest.mark.parametrize("loss_name", ["MarginMSELoss", "DistillKLDivLoss"])
def test_n_tuple_with_scores_trains_with_distillation_losses(tmp_path, tiny_model, write_table, convert_to,
                                                             loss_name):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import losses

    scored = write_table("scored.jsonl", [
        {"query": f"what is the capital of {country}", "pos": [f"{city} is the capital of {country}"],
         "neg": ["the sea is blue", "leaves are green"], "pos_scores": [0.9], "neg_scores": [0.4, 0.1]}
        for country, city in [("france", "paris"), ("italy", "rome"), ("spain", "madrid"), ("germany", "berlin")]])
    convert_to(scored, negatives=2, scores=True)
    dataset = datasets.load_from_disk(str(tmp_path / "out"))
    assert dataset.column_names[-1] == "label" and dataset[0]["label"] == [0.9, 0.4, 0.1]
    model = SentenceTransformer(str(tiny_model), device="cpu")
    train_steps(model, dataset, tmp_path, getattr(losses, loss_name)(model))


def test_buckets_train_through_the_multi_dataset_path(flag_data, convert_to, tmp_path, tiny_model):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import losses

    convert_to(flag_data, layout="buckets")
    buckets = datasets.load_from_disk(str(tmp_path / "out"))
    assert isinstance(buckets, datasets.DatasetDict) and len(buckets) == 3
    model = SentenceTransformer(str(tiny_model), device="cpu")
    # Each batch is drawn from one bucket, so every batch has one fixed number of negative columns.
    # Batches of 2: neg1 holds 2 rows, neg2 and neg4 one each, so 3 steps, and a batch mixing buckets (different
    # columns) would fail to collate.
    train_steps(model, buckets, tmp_path, losses.MultipleNegativesRankingLoss(model), steps=3, batch_size=2)


def test_triplet_in_conflict_free_blocks_trains_with_the_block_sampler(flag_data, convert_to, tmp_path, tiny_model):
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from pipeline.sampler import BlockBatchSampler

    manifest = convert_to(flag_data, layout="triplet", batch_size=2)
    dataset = datasets.load_from_disk(str(tmp_path / "out"))
    blocks = json.loads(dataset.info.description)["prep_blocks"]
    # 4 triplets of the france query (one per negative), 2 of hamlet, 2 of cat: 4 blocks, each with a france row
    assert blocks == [2, 2, 2, 2] and manifest["batches"]["conflicts_after_layout"] == 0
    starts = [sum(blocks[:index]) for index in range(len(blocks))]
    for start, size in zip(starts, blocks, strict=True):
        block = dataset[start:start + size]
        assert len(set(block["anchor"])) == size  # a query's triplets in different batches
        assert not set(block["anchor"]) & set(block["positive"] + block["negative"])
    model, loss = bi_encoder_loss("MultipleNegativesRankingLoss", tiny_model)
    assert isinstance(loss, MultipleNegativesRankingLoss)
    train_steps(model, dataset, tmp_path, loss, steps=3, batch_size=2, batch_sampler=BlockBatchSampler)
