"""The embedding cache on a machine that misbehaves: parts cut short, zeroed or of another dimension."""

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipeline.config import EncoderConfig
from pipeline.fingerprint import hash_folder
from pipeline.report.tokens import default_model_path
from pipeline.stages import encode
from pipeline.stages.embedding_cache import fingerprint_model
from pipeline.stages.encode import Encoder

WORDS = [f"text number {i} " + "word " * (i % 4) for i in range(12)]
TEXTS = pl.DataFrame({"id": pl.Series(range(100, 112), dtype=pl.UInt64), "text": WORDS})


def cut_short(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def zeroed(path: Path) -> None:
    path.write_bytes(bytes(path.stat().st_size))


def other_dimension(path: Path) -> None:  # readable ids: found unusable only when its embeddings are read
    ids = pl.read_parquet(path)["id"]
    pl.DataFrame({"id": ids, "embedding": pl.Series(np.full((len(ids), 16), 0.25, np.float32))}).write_parquet(path)


def not_finite(path: Path) -> None:
    part = pl.read_parquet(path)
    vectors = part["embedding"].to_numpy().copy()
    vectors[0, 3] = np.nan
    part.with_columns(embedding=pl.Series(vectors)).write_parquet(path)


def flipped_bit(path: Path) -> None:
    """One bit of the embeddings' data flipped (bad memory, a disk): the file stays readable."""
    import pyarrow.parquet as pq

    chunk = pq.ParquetFile(path).metadata.row_group(0).column(1)  # the embedding column
    content = bytearray(path.read_bytes())
    content[chunk.data_page_offset + chunk.total_compressed_size - 1] ^= 0x10  # the last page's data, not a header
    path.write_bytes(bytes(content))


@pytest.mark.parametrize("damage", [cut_short, zeroed, other_dimension, not_finite, flipped_bit])
def test_an_unusable_part_is_removed_and_its_texts_encoded_again(tiny_model, tmp_path, monkeypatch, caplog, damage):
    monkeypatch.setattr(encode, "CHUNK", 5)  # parts of 5, 5 and 2 texts
    config = EncoderConfig(model=str(tiny_model), cache_dir=str(tmp_path / "cache"))
    want = Encoder(config).setup().embed_all([(TEXTS, None)])[0]
    parts = sorted((tmp_path / "cache").glob("*/*/part-*.parquet"))
    damaged = next(path for path in parts if len(pl.read_parquet(path, columns=["id"])) == 5)
    damage(damaged)
    again = Encoder(config).setup()
    with caplog.at_level(logging.WARNING):
        got = again.embed_all([(TEXTS, None)])[0]
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert (again.stats.encoded, again.stats.cached) == (5, 7)
    [record] = caplog.records
    assert record.getMessage().startswith(f"embedding cache part {damaged} is unusable (")
    assert "its texts are encoded again" in record.getMessage()
    last = Encoder(config).setup()  # the part was written anew: nothing is encoded, nothing is warned of
    caplog.clear()
    np.testing.assert_allclose(last.embed_all([(TEXTS, None)])[0], want, atol=1e-6)
    assert (last.stats.encoded, caplog.records) == (0, [])


def test_stray_files_in_the_cache_are_left_alone(tiny_model, tmp_path):
    config = EncoderConfig(model=str(tiny_model), cache_dir=str(tmp_path / "cache"))
    Encoder(config).setup().embed_all([(TEXTS, None)])
    [folder] = (tmp_path / "cache").glob("*/*/")
    (folder / "notes.txt").write_text("mine")
    (folder / ".DS_Store").write_bytes(b"\0")
    again = Encoder(config).setup()
    again.embed_all([(TEXTS, None)])
    assert again.stats.encoded == 0
    assert (folder / "notes.txt").read_text() == "mine"


SAVE_OFTEN = """
import sys
from pathlib import Path
import numpy as np
from pipeline.stages.embedding_cache import EmbeddingCache
cache = EmbeddingCache(Path(sys.argv[1]), "model", None, 32)
ids, vectors = np.arange(500, dtype=np.uint64), np.full((500, 32), 0.125, np.float32)
for _ in range(int(sys.argv[2])):
    cache.save(ids, vectors)
"""


def test_two_runs_saving_the_same_part_at_once_both_succeed(tmp_path):
    """Two runs sharing a cache encode the same chunk when started together; both wrote it through one temporary
    name, and the second rename failed (FileNotFoundError) once the first had taken the file."""
    import subprocess
    import sys

    runs = [subprocess.Popen([sys.executable, "-c", SAVE_OFTEN, str(tmp_path), "300"], stderr=subprocess.PIPE,
                             text=True, cwd=Path(__file__).parents[2]) for _ in range(2)]
    errors = [run.communicate(timeout=300)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    [part] = tmp_path.glob("model/*/*")
    assert part.name.startswith("part-") and len(pl.read_parquet(part)) == 500


def test_parts_that_killed_runs_left_half_saved_are_removed(tmp_path):
    """A run killed while saving a part left its hidden `.part-*.partial-PID` file (one chunk, about 6 MB at 384-d)
    in the cache for good."""
    import subprocess
    import sys

    from pipeline.stages.embedding_cache import EmbeddingCache

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()
    cache = EmbeddingCache(tmp_path, "model", None, 4)
    cache.folder.mkdir(parents=True)
    dead, running = cache.folder / f".part-0a.parquet.partial-{gone}", cache.folder / ".part-0b.parquet.partial-1"
    for path in (dead, running):
        path.write_bytes(b"half a part")
    cache.save(np.arange(3, dtype=np.uint64), np.ones((3, 4), np.float32))
    assert not dead.exists() and running.exists(), "only the partial of a process that is gone goes (pid 1 runs)"
    assert len(cache.cached_ids(pl.Series([0, 1, 2], dtype=pl.UInt64))) == 3


def test_the_model_fingerprint_covers_the_model_not_an_out_or_cache_inside_its_folder(tiny_model, tmp_path):
    """`prep run --out MODEL/out` is allowed (the model is not read whole): writing there must not change the model's
    fingerprint, or the next run misses the embedding cache and the mined checkpoint, as with --cache-dir MODEL/cache.
    A file of the model or of one of its modules does change it."""
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    before = fingerprint_model(str(model))
    assert before == hash_folder(model)  # a folder of nothing but the model keeps the fingerprint it always had
    (model / "out").mkdir()
    (model / "out" / "manifest.json").write_text("{}")
    (model / "cache" / "mined").mkdir(parents=True)
    (model / "cache" / "mined" / "part.parquet").write_bytes(b"0")
    assert fingerprint_model(str(model)) == before
    (model / "1_Pooling" / "config.json").write_text((model / "1_Pooling" / "config.json").read_text() + " ")
    pooled = fingerprint_model(str(model))
    assert pooled != before
    (model / "tokenizer_config.json").write_text((model / "tokenizer_config.json").read_text() + " ")
    assert fingerprint_model(str(model)) != pooled


def test_a_module_without_a_folder_is_fingerprinted_as_the_model_loads_it(tiny_model, tmp_path):
    """A Hub download has no folder for a module without files (Normalize: git keeps no empty folder), and the
    default model lists 2_Normalize without one; a module path outside the folder is not the model's."""
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    modules = json.loads((model / "modules.json").read_text())
    modules.append({"idx": len(modules), "name": str(len(modules)), "path": "2_Normalize",
                    "type": "sentence_transformers.models.Normalize"})
    (model / "modules.json").write_text(json.dumps(modules))
    assert fingerprint_model(str(model)) == hash_folder(model)  # no folder: nothing more to hash, and no error
    modules[-1]["path"] = "../elsewhere"
    (model / "modules.json").write_text(json.dumps(modules))
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "file").write_text("x")
    assert fingerprint_model(str(model)) == hash_folder(model)
    assert fingerprint_model(str(default_model_path())) == hash_folder(default_model_path())  # as it always was


def test_a_read_only_cache_with_parts_costs_the_caching_not_the_run(tmp_path: Path, monkeypatch, caplog) -> None:
    """On a read-only mount the write fails and so does the removal of its partial file and of a stale one: that
    second error ended a run that had new texts to encode with a traceback (an empty read-only cache was fine)."""
    import pyarrow.parquet as pq

    from pipeline.stages.embedding_cache import EmbeddingCache

    cache = EmbeddingCache(tmp_path, "model", None, 4)
    cache.save(np.array([1, 2], dtype=np.uint64), np.ones((2, 4), np.float32))  # a part there already
    stale = cache.folder / ".part-x.parquet.partial-999999999"  # a killed run's, its process gone
    stale.write_bytes(b"")

    def read_only(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(pq, "write_table", read_only)
    monkeypatch.setattr(Path, "unlink", read_only)
    again = EmbeddingCache(tmp_path, "model", None, 4)
    with caplog.at_level(logging.WARNING):
        again.save(np.array([3], dtype=np.uint64), np.ones((1, 4), np.float32))
        again.save(np.array([4], dtype=np.uint64), np.ones((1, 4), np.float32))
    assert again.unwritable and stale.exists()
    assert [record.getMessage().endswith("cannot be written (Read-only file system); the run goes on without caching, "
                                         "so a re-run encodes again") for record in caplog.records] == [True]


def test_a_hub_name_is_fingerprinted_by_the_revision_it_loads(tiny_model, tmp_path, monkeypatch):
    """A hub name was keyed by the name alone: a new revision of the model reused the old one's vectors and mining
    checkpoint, silently."""
    import shutil

    import huggingface_hub.constants
    from sentence_transformers import SentenceTransformer

    repo = tmp_path / "hub" / "models--prep-tests--tiny"
    for commit, seed in (("1" * 40, 0), ("2" * 40, 1)):
        model = SentenceTransformer(str(tiny_model), device="cpu")
        next(model[0].auto_model.parameters()).data.add_(seed)  # another revision: other weights
        model.save(str(repo / "snapshots" / commit))
    (repo / "refs").mkdir()
    for where in ("hf", "st"):  # the HF cache, or SENTENCE_TRANSFORMERS_HOME
        if where == "hf":
            monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
        else:
            monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "elsewhere"))
            monkeypatch.setenv("SENTENCE_TRANSFORMERS_HOME", str(tmp_path / "hub"))
        fingerprints = []
        for commit in ("1" * 40, "2" * 40, "1" * 40):
            (repo / "refs" / "main").write_text(commit)
            fingerprints.append(fingerprint_model("prep-tests/tiny"))
        assert fingerprints[0] != fingerprints[1] and fingerprints[0] == fingerprints[2]
    shutil.rmtree(repo)
    assert fingerprint_model("prep-tests/tiny").startswith("name-")  # not in the cache: the name, as before
