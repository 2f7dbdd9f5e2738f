"""The fp32 encoder keeps glibc's mmap threshold fixed, so freed activation tensors go back to the system."""

import contextlib
import ctypes
import os
import signal
import subprocess
import sys

import pytest

PROBE = """
import ctypes, sys
class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                     "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.free.argtypes, libc.mallinfo2.restype = ctypes.c_void_p, [ctypes.c_void_p], MallInfo2
if sys.argv[1] == "fixed":
    from pipeline.memory import fix_mmap_threshold
    fix_mmap_threshold()
elif sys.argv[1] != "dynamic":  # an encoder set up with this backend and the model at argv[2]
    from pipeline.config import EncoderConfig
    from pipeline.stages.encode import Encoder
    Encoder(EncoderConfig(model=sys.argv[2], backend=sys.argv[1])).setup()
libc.free(libc.malloc(8 << 20))  # freeing an 8 MiB mapped block raises glibc's dynamic threshold to 8 MiB
before = libc.mallinfo2().hblkhd
libc.malloc(1 << 20)
print(libc.mallinfo2().hblkhd - before >= 1 << 20)  # the 1 MiB block was mapped, so free() unmaps it
"""


def has_mallinfo2() -> bool:
    try:
        return hasattr(ctypes.CDLL("libc.so.6"), "mallinfo2")
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux") or not has_mallinfo2(), reason="glibc 2.33+ allocator")
def test_large_blocks_stay_mapped_after_a_larger_one_was_freed(monkeypatch, tiny_model):
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)

    def mapped(mode: str) -> bool:
        result = subprocess.run([sys.executable, "-c", PROBE, mode, str(tiny_model)], capture_output=True,
                                text=True, check=True)
        return result.stdout.strip() == "True"

    assert mapped("fixed") and not mapped("dynamic")
    # the exact encoder fixes it; bf16 is chosen for speed, which the fixed threshold costs (82% more time with AMX)
    assert mapped("fp32") and not mapped("bf16")


def variant(tiny_model, folder, name: str):
    """The tiny model with one of the settings that encode() applies: a default prompt, a truncated dimension,
    mean pooling without the prompt's tokens."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_model), device="cpu")
    if name == "default_prompt":
        model.prompts, model.default_prompt_name = {"doc": "passage: "}, "doc"
    elif name == "truncate_dim":
        model.truncate_dim = 16
    elif name == "prompt_not_pooled":
        model.set_pooling_include_prompt(False)
    model.save(str(folder))
    return SentenceTransformer(str(folder), device="cpu"), folder


@pytest.mark.parametrize("name", ["plain", "default_prompt", "truncate_dim", "prompt_not_pooled"])
def test_tokenizer_workers_give_the_embeddings_of_encode_in_order(tiny_model, tmp_path, monkeypatch, name):
    import numpy as np
    import polars as pl

    from pipeline.config import EncoderConfig
    from pipeline.stages import encode
    from pipeline.stages.encode import Encoder

    monkeypatch.setattr(encode, "CHUNK", 5)  # several jobs per request, the last one short
    words = ["paris capital of france", "bread", "who wrote hamlet the tragedy of the play", "sky is blue",
             "plants leaves green chlorophyll energy", "cat", "dog is a mammal animal", "rome italy city",
             "madrid", "the sea colour in light scattering", "flour yeast water oven bake bread"]
    texts = pl.DataFrame({"id": pl.Series(range(len(words)), dtype=pl.UInt64), "text": words})
    requests = [(texts, None), (texts.head(7), "query: ")]
    model, folder = variant(tiny_model, tmp_path / "model", name)
    plain_model = Encoder(EncoderConfig(model=str(folder))).setup().model
    expected = [plain_model.encode(frame["text"].to_list(), prompt=prompt, normalize_embeddings=True)
                for frame, prompt in requests]

    def embedded(workers: int, cache: str) -> list[np.ndarray]:
        config = EncoderConfig(model=str(folder), cache_dir=str(tmp_path / cache), batch_size=2,
                               tokenizer_workers=workers)
        encoder = Encoder(config).setup()
        assert encoder.tokenizer_workers == workers
        return encoder.embed_all(requests)

    fed = embedded(2, "fed")
    for got in (embedded(0, "plain"), fed):
        for want, vectors in zip(expected, got, strict=True):
            assert vectors.shape == want.shape == (want.shape[0], 16 if name == "truncate_dim" else 32)
            np.testing.assert_allclose(vectors, want, atol=1e-5)
    assert not np.allclose(expected[1], expected[0][:7], atol=1e-3)  # the prompt changes the embedding
    unprompted = model.encode(words, prompt="", normalize_embeddings=True)
    assert np.allclose(unprompted, expected[0], atol=1e-5) == (name != "default_prompt")
    again = Encoder(EncoderConfig(model=str(folder), cache_dir=str(tmp_path / "fed"))).setup()
    np.testing.assert_array_equal(again.embed_all(requests)[0], fed[0])  # what the fed path wrote to the cache
    assert again.stats.encoded == 0


def test_cached_and_new_texts_come_back_in_the_order_asked(tiny_model, tmp_path, monkeypatch):
    import numpy as np
    import polars as pl

    from pipeline.config import EncoderConfig
    from pipeline.stages import encode
    from pipeline.stages.encode import Encoder

    monkeypatch.setattr(encode, "CHUNK", 3)  # several cache parts and jobs, and slices within them
    words = [f"text number {i} " + "word " * (i % 4) for i in range(20)]
    texts = pl.DataFrame({"id": pl.Series(range(100, 120), dtype=pl.UInt64), "text": words})
    encoder = Encoder(EncoderConfig(model=str(tiny_model), cache_dir=str(tmp_path / "cache"))).setup()
    want = encoder.model.encode(words, normalize_embeddings=True)
    cached = texts.sample(fraction=0.4, seed=1)
    encoder.embed_all([(cached, None)])  # 8 texts cached, in parts of 3
    # Queries and documents share the prompt (None) and overlap; each request is in its own shuffled order.
    queries, documents = texts.sample(fraction=1.0, shuffle=True, seed=2).head(12), texts.tail(10)
    got = encoder.embed_all([(queries, None), (documents, None), (texts.head(4), "query: ")])
    new = (set(queries["id"]) | set(documents["id"])) - set(cached["id"])
    assert encoder.stats.encoded == len(cached) + len(new) + 4  # each text once per prompt
    for frame, vectors in zip((queries, documents), got, strict=False):
        np.testing.assert_allclose(vectors, want[(frame["id"] - 100).to_numpy()], atol=1e-5)
    np.testing.assert_allclose(got[2], encoder.model.encode(words[:4], prompt="query: ", normalize_embeddings=True),
                               atol=1e-5)


def test_a_relative_prep_cache_dir_reaches_the_workers_absolute(tiny_model, tmp_path, monkeypatch):
    """`PREP_CACHE_DIR=cache prep run --engine ray`: Ray's encoding actors, which save the cache parts that the
    driver's jobs name, run in another working directory, where "cache" is another folder."""
    import polars as pl

    from pipeline.config import EncoderConfig
    from pipeline.stages.encode import Encoder

    (tmp_path / "here").mkdir()
    (tmp_path / "worker").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    monkeypatch.setenv("PREP_CACHE_DIR", "cache")
    encoder = Encoder(EncoderConfig(model=str(tiny_model))).setup()
    folders = []

    def on_a_worker(jobs):
        folders.extend(job.cache.folder for job in jobs)
        os.chdir(tmp_path / "worker")  # as a Ray actor is
        return encoder.encode_here(jobs)

    texts = pl.DataFrame({"id": pl.Series([1, 2], dtype=pl.UInt64), "text": ["one text", "another"]})
    encoder.embed_all([(texts, None)], on_a_worker)
    assert folders and all(folder.is_relative_to(tmp_path / "here" / "cache") for folder in folders)
    assert list((tmp_path / "here" / "cache").rglob("part-*.parquet"))
    assert not (tmp_path / "worker" / "cache").exists()


def test_a_text_both_query_and_document_is_counted_once(tiny_model, tmp_path):
    import polars as pl

    from pipeline.config import EncoderConfig
    from pipeline.stages.encode import Encoder

    words = {1: "paris capital of france", 2: "bread", 3: "sky is blue", 4: "cat"}
    queries = pl.DataFrame({"id": pl.Series([1, 2], dtype=pl.UInt64), "text": [words[1], words[2]]})
    documents = pl.DataFrame({"id": pl.Series([2, 3, 4], dtype=pl.UInt64), "text": [words[2], words[3], words[4]]})
    config = EncoderConfig(model=str(tiny_model), cache_dir=str(tmp_path / "cache"))
    first = Encoder(config).setup()
    first.embed_all([(queries, None), (documents, None)])
    # "bread" (id 2) is encoded once, for both roles: it was also counted as taken from the cache.
    assert (first.stats.encoded, first.stats.cached) == (len(words), 0)
    again = Encoder(config).setup()
    again.embed_all([(queries, None), (documents, None)])
    assert (again.stats.encoded, again.stats.cached) == (0, len(words))
    prompted = Encoder(config).setup()  # with a query prompt the query texts are other embeddings, each new
    prompted.embed_all([(queries, "query: "), (documents, None)])
    assert (prompted.stats.encoded, prompted.stats.cached) == (queries.height, documents.height)


def test_no_prompt_and_the_default_prompt_are_cached_apart(tiny_model, tmp_path):
    import numpy as np
    import polars as pl

    from pipeline.config import EncoderConfig
    from pipeline.stages.encode import Encoder

    _, folder = variant(tiny_model, tmp_path / "model", "default_prompt")
    texts = pl.DataFrame({"id": pl.Series([1, 2, 3], dtype=pl.UInt64), "text": ["bread", "sky is blue", "cat"]})
    for order in ([None, ""], ["", None]):  # whichever comes first, the other is not served from its cache
        encoder = Encoder(EncoderConfig(model=str(folder), cache_dir=str(tmp_path / "cache" / str(order)))).setup()
        got = dict(zip(order, encoder.embed_all([(texts, prompt) for prompt in order]), strict=True))
        for prompt, vectors in got.items():
            want = encoder.model.encode(texts["text"].to_list(), prompt=prompt, normalize_embeddings=True)
            np.testing.assert_allclose(vectors, want, atol=1e-5)
        assert not np.allclose(got[None], got[""], atol=1e-3)


def batches_of(tiny_model, size: int):
    """TokenBatches of two jobs per prompt (none, "query: ") over texts longer and shorter than max_seq_length 8."""
    import polars as pl
    from sentence_transformers import SentenceTransformer

    from pipeline.stages.encode_jobs import EncodeJob
    from pipeline.stages.token_batches import TokenBatches

    model = SentenceTransformer(str(tiny_model), device="cpu")
    model.max_seq_length = 8
    words = ["who wrote hamlet the tragedy of the play in the year", "plants leaves green chlorophyll energy sun",
             "dog is a mammal", "sky is blue", "bread", "cat", "madrid"]
    texts = pl.DataFrame({"id": pl.Series(range(len(words)), dtype=pl.UInt64), "text": words})
    jobs = [EncodeJob(part, prompt, None) for prompt in (None, "query: ") for part in (texts.head(4), texts.tail(3))]
    return model, TokenBatches(model, jobs, size)


def assert_preprocess_features(model, batches, size: int) -> None:
    import torch

    for index, (number, start) in enumerate(batches.starts):
        texts, prompt = batches.texts[number]
        expected, got = model.preprocess(texts.slice(start, size).to_pylist(), prompt=prompt), batches[index]
        assert got.keys() == expected.keys()
        for key, value in expected.items():
            assert torch.equal(got[key], value) if torch.is_tensor(value) else got[key] == value


def test_batches_from_the_tokenizer_backend_are_the_features_of_preprocess(tiny_model):
    model, batches = batches_of(tiny_model, 3)
    assert set(batches.fast) == {None, "query: "}  # the backend serves both prompts
    assert batches[0]["input_ids"].shape == (3, 8)  # truncated to max_seq_length
    assert_preprocess_features(model, batches, 3)


def test_batches_fall_back_to_preprocess_where_the_backend_differs(tiny_model, monkeypatch):
    from pipeline.stages import token_batches

    built = token_batches.backend_features
    monkeypatch.setattr(token_batches, "backend_features", lambda *args: {
        key: value + (key == "input_ids") for key, value in built(*args).items()})  # a tokenizer preprocess alters
    model, batches = batches_of(tiny_model, 2)
    assert batches.fast == {}
    assert_preprocess_features(model, batches, 2)


FORKED = """
import sys
import polars as pl
from pipeline.config import EncoderConfig
from pipeline.stages.encode import Encoder
texts = pl.DataFrame({"id": pl.Series(range(64), dtype=pl.UInt64), "text": [f"text number {i} " * (i % 9 + 1)
                                                                         for i in range(64)]})
encoder = Encoder(EncoderConfig(model=sys.argv[1], cache_dir=sys.argv[2], batch_size=4, tokenizer_workers=2)).setup()
encoder.model.tokenizer(texts["text"].to_list())  # the backend's thread pool is started in this process
print(encoder.embed(texts, None).shape)
"""


def test_tokenizer_workers_do_not_hang_with_tokenizers_parallelism_on(tiny_model, tmp_path):
    """TOKENIZERS_PARALLELISM=true (a common setting to silence tokenizers' fork warning) made the forked workers
    wait forever on the thread pool of their parent: the GPU encoder hung on an H200 machine."""
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "true", "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen([sys.executable, "-c", FORKED, str(tiny_model), str(tmp_path / "cache")], env=env,
                               stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):  # hung workers too, where it failed
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0 and output.strip().endswith("(64, 32)")
