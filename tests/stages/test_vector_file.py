import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from pipeline.config import MiningConfig
from pipeline.stages import vector_file
from pipeline.stages.index import build_index, tune_nprobe
from pipeline.stages.vector_file import VectorFile, scratch_beside, scratch_path


def unit_rows(count: int, dimension: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_rows_written_in_any_order_read_back_as_numpy_reads_them(tmp_path):
    want = unit_rows(50, 8)
    file = VectorFile(tmp_path / "v", 50, 8)
    order = np.random.default_rng(1).permutation(50)
    for part in np.array_split(order, 4):  # as the encoder's jobs arrive: longest texts first, not in row order
        file[part] = want[part]
    again = pickle.loads(pickle.dumps(file))
    rows = np.array([[3, 3], [49, 0]])
    for index in (slice(None), slice(10, 20), np.array([7, 2, 7]), rows):
        np.testing.assert_array_equal(again[index], want[index])
    assert again.shape == (50, 8) and len(again) == 50
    assert VectorFile(tmp_path / "empty", 0, 8)[np.zeros(0, np.int64)].shape == (0, 8)


@pytest.mark.parametrize("span_rows", [0, 3, 1000])  # every read one by one, some mapped, all mapped
def test_rows_read_one_by_one_or_through_a_map_of_their_span_are_numpys_rows(tmp_path, monkeypatch, span_rows):
    monkeypatch.setattr(vector_file, "SPAN_BYTES", span_rows * 8 * 4)
    monkeypatch.setattr(vector_file, "GATHER_ROWS", 5)
    want = unit_rows(300, 8)
    file = VectorFile(tmp_path / "v", 300, 8)
    file[np.arange(300)] = want
    rows = np.concatenate([np.random.default_rng(2).integers(0, 300, 40), [10, 11, 12, 11, -1, -300, 299]])
    np.testing.assert_array_equal(file[rows], want[rows])
    np.testing.assert_array_equal(file[rows.reshape(-1, 1)], want[rows.reshape(-1, 1)])
    np.testing.assert_array_equal(file[np.array([5, 250], np.int16)], want[[5, 250]])
    if not span_rows:
        os.truncate(file.path, 200 * 8 * 4)  # cut short behind the reader's back: an error, never stale memory
        with pytest.raises(OSError, match="ended before row 250"):
            file[np.array([5, 250])]
    for wrong in (np.array([300]), np.array([-301]), np.array([1.0, 2.0]), np.ones(300, bool)):
        with pytest.raises(IndexError):
            file[wrong]


@pytest.mark.parametrize("index", ["flat", "ivf"])
def test_a_search_over_the_file_finds_what_a_search_over_the_array_finds(tmp_path, monkeypatch, index):
    monkeypatch.setattr(vector_file, "BLOCK_BYTES", 700 * 16 * 4)  # 700 rows a block: 3 blocks, the last short
    docs, queries = unit_rows(2000, 16), unit_rows(300, 16, seed=2)
    file = VectorFile(tmp_path / "v", 2000, 16)
    file[:] = docs
    config = MiningConfig(index=index)
    in_memory, on_disk = build_index(docs, config), build_index(file, config)
    for depth in (1, 20):
        want, got = in_memory.search(queries, depth), on_disk.search(queries, depth)
        np.testing.assert_array_equal(got[1], want[1])
        np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
    rows = np.random.default_rng(3).choice(2000, 800, replace=False)
    tuned = tune_nprobe(build_index(docs, config), docs, docs[rows], 20, MiningConfig(index=index, target_recall=0.9))
    from_file = tune_nprobe(on_disk, docs, file, 20, MiningConfig(index=index, target_recall=0.9), rows)
    assert (from_file[0].nprobe, from_file[1]) == (tuned[0].nprobe, tuned[1])


def test_a_disk_without_room_for_the_vectors_is_an_error_before_any_is_written(tmp_path, monkeypatch):
    # Written through a map, a full disk would kill the run (SIGBUS) rather than stop it with a message.
    import errno

    from pipeline.errors import ConfigError

    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "posix_fallocate", full, raising=False)
    with pytest.raises(ConfigError, match=r"cannot set aside 1,465 MiB for the query vectors \(v\) in .*No space left"):
        VectorFile(tmp_path / "v", 1_000_000, 384)  # MiniLM, 1M queries
    assert list(tmp_path.iterdir()) == []


def test_the_scratch_file_goes_when_the_run_ends_and_a_killed_runs_with_the_next(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()
    stale, unrelated = tmp_path / f".out.vectors-{dead}", tmp_path / f".other.vectors-{dead}"
    lists = VectorFile(stale, 10, 4).beside("lists", 32, np.int16).path  # the dedupe's (link_index.probed_lists)
    assert lists.name == f".out.vectors-lists-{dead}"
    stale.write_bytes(b"x"), unrelated.write_bytes(b"x")
    stale_mined = scratch_beside(stale, "mined")
    stale_mined.mkdir(), (stale_mined / "0.arrow").write_bytes(b"x")
    with pytest.raises(KeyboardInterrupt), scratch_path(tmp_path / "out") as path:
        assert path == tmp_path / f".out.vectors-{os.getpid()}" and not stale.exists() and not lists.exists()
        assert not stale_mined.exists()
        VectorFile(path, 10, 4)[:] = np.ones((10, 4), np.float32)
        mined = scratch_beside(path, "mined")  # mining's spilled chunks (`mine_negatives(spill=)`)
        assert mined.name == f".out.vectors-mined-{os.getpid()}"
        mined.mkdir(), (mined / "0.arrow").write_bytes(b"x")
        raise KeyboardInterrupt
    assert not path.exists() and not mined.exists() and unrelated.exists()


RUN_PROBE = """
import contextlib, sys, tracemalloc
from pathlib import Path
import pipeline.engines as engines
from pipeline.config import EncoderConfig, RunConfig
from pipeline.run import RunInputs, run_pipeline
from pipeline.stages.encode import Encoder
folder, where = Path(sys.argv[1]), sys.argv[2]
import pipeline.stages.vector_file
pipeline.stages.vector_file.ON_DISK_BYTES = 0  # 94 MiB of vectors go to the file too
if where == "memory":  # the local engine as it was: the query vectors in an array
    @contextlib.contextmanager
    def in_memory(config):
        yield engines.Engine(None, summary={"name": "local", "workers": 1})
    engines.open_engine = in_memory
embed_all, held = Encoder.embed_all, []
def measured(*args, **kwargs):  # what the embedding left allocated and the run holds on to (numpy reports its
    tracemalloc.start()         # arrays to tracemalloc), without the allocator's retained pages
    vectors = embed_all(*args, **kwargs)
    held.append(tracemalloc.get_traced_memory()[0] // 2**20)
    tracemalloc.stop()
    kind = type(vectors[0]).__name__
    assert kind == ("VectorFile" if where == "disk" else "ndarray"), kind
    return vectors
Encoder.embed_all = measured
config = RunConfig(encoder=EncoderConfig(model=str(folder / "model"), cache_dir=str(folder / "cache" / where)))
run_pipeline(RunInputs(folder / "train.jsonl"), config, folder / where)
print(held[0])
"""


def static_model_and_queries(folder, queries: int, dimension: int) -> None:
    """A StaticEmbedding of `dimension` over 2,000 words, and `queries` queries of 6 random words, each with one
    of 800 documents as its positive."""
    import json

    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = [f"w{i}" for i in range(2000)]
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(["[UNK]", *words])}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    torch.manual_seed(0)
    SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_dim=dimension)], device="cpu").save(
        str(folder / "model"))
    rng = np.random.default_rng(0)
    docs = [" ".join(rng.choice(words, 12)) for _ in range(800)]
    rows = [{"query": " ".join(rng.choice(words, 6)), "pos": [docs[i % 800]]} for i in range(queries)]
    (folder / "train.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))


def test_a_run_does_not_hold_the_query_vectors_and_writes_what_it_wrote_with_them_held(tmp_path):
    """16,000 queries at 1,536 dimensions: 94 MiB of query vectors, which a run held from the encoding to the
    mining (and more with a bigger model: 1.4 GiB for 1M queries at MiniLM's 384); measured once every text is
    embedded."""
    static_model_and_queries(tmp_path, 16_000, 1536)
    env = os.environ | {"PYTHONPATH": os.pathsep.join(sys.path), "HF_HUB_OFFLINE": "1"}
    held = {}
    for where in ("disk", "memory"):
        run = subprocess.run([sys.executable, "-c", RUN_PROBE, str(tmp_path), where], env=env, capture_output=True,
                             text=True)
        assert run.returncode == 0, run.stderr[-3000:]
        held[where] = int(run.stdout.splitlines()[-1])
    assert held["memory"] - held["disk"] >= 0.8 * 16_000 * 1536 * 4 / 2**20, held  # measured: 99 - 5 MiB
    for name in ("data-00000-of-00001.arrow", "rejects.parquet"):
        assert (tmp_path / "disk" / name).read_bytes() == (tmp_path / "memory" / name).read_bytes(), name
    assert not list(tmp_path.glob(".*vectors-*"))


def test_query_vectors_go_to_a_file_from_128_mib():
    from pipeline.stages.vector_file import worth_a_file

    # MiniLM's 384-d from about 87,400 queries, 1M queries of a 64-d static encoder (244 MiB); SciFact's 919 stay
    assert worth_a_file(87_400, 384) and not worth_a_file(87_000, 384) and worth_a_file(1_000_000, 64)
    assert not worth_a_file(919, 384)
