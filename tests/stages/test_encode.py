"""The encoder keeps glibc's mmap threshold fixed, so freed activation tensors go back to the system."""

import ctypes
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
    from pipeline.stages.encode import fix_mmap_threshold
    fix_mmap_threshold()
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
def test_large_blocks_stay_mapped_after_a_larger_one_was_freed(monkeypatch):
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)

    def mapped(mode: str) -> bool:
        result = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True)
        return result.stdout.strip() == "True"

    assert mapped("fixed") and not mapped("dynamic")


def test_tokenizer_workers_give_encodes_embeddings_in_order_with_prompts(tiny_model, tmp_path, monkeypatch):
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

    def embedded(workers: int, folder: str) -> list[np.ndarray]:
        config = EncoderConfig(model=str(tiny_model), cache_dir=str(tmp_path / folder), batch_size=2,
                               tokenizer_workers=workers)
        encoder = Encoder(config).setup()
        assert encoder.tokenizer_workers == workers
        return encoder.embed_all(requests)

    plain, fed = embedded(0, "plain"), embedded(2, "fed")
    for expected, got in zip(plain, fed, strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-5)
    assert not np.allclose(plain[1], plain[0][:7], atol=1e-3)  # the prompt reached the tokeniser in both paths
    again = Encoder(EncoderConfig(model=str(tiny_model), cache_dir=str(tmp_path / "fed"))).setup()
    np.testing.assert_array_equal(again.embed_all(requests)[0], fed[0])  # the fed path filled the cache
    assert again.stats.encoded == 0
