"""The mining checkpoint on a machine that misbehaves: runs saving it at once, files damaged."""

import json
import logging
import subprocess
import sys
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from mining_data import run

from pipeline.stages.checkpoint import load_mined

SAVE_OFTEN = """
import sys
from pathlib import Path
import polars as pl
from pipeline.stages.checkpoint import save_mined
from pipeline.stages.mine import MiningResult
mined = MiningResult(negatives=pl.DataFrame({"query_id": pl.Series([1], dtype=pl.UInt64),
                                             "doc_id": pl.Series([2], dtype=pl.UInt64)}))
for _ in range(int(sys.argv[2])):
    save_mined(Path(sys.argv[1]), mined)
"""


def test_two_runs_saving_the_same_checkpoint_at_once_both_succeed(tmp_path):
    """Two runs with the same key finish mining together: each removed the folder and renamed its own into place,
    and the second rename failed (the folder was there again) after all the mining."""
    folder = tmp_path / "mined" / "key"
    runs = [subprocess.Popen([sys.executable, "-c", SAVE_OFTEN, str(folder), "200"], stderr=subprocess.PIPE,
                             text=True, cwd=Path(__file__).parents[2]) for _ in range(2)]
    errors = [run.communicate(timeout=300)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    assert load_mined(folder).negatives.equals(pl.DataFrame({"query_id": pl.Series([1], dtype=pl.UInt64),
                                                             "doc_id": pl.Series([2], dtype=pl.UInt64)}))
    assert [path.name for path in folder.parent.iterdir()] == ["key"]


def cut_short(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def flipped_bit(path: Path) -> None:
    """One bit flipped in the data (bad memory, a disk), not in a header: the file stays readable, with another
    score or another negative's id."""
    content = bytearray(path.read_bytes())
    if path.suffix == ".npy":
        at = len(content) - 2  # in the last score
    else:
        chunk = pq.ParquetFile(path).metadata.row_group(0).column(1)  # doc_id
        at = chunk.data_page_offset + chunk.total_compressed_size - 3
    content[at] ^= 0x01
    path.write_bytes(bytes(content))


def changed_count(path: Path) -> None:
    """A count in stats.json changed, the file still valid JSON: the manifest and console would report it."""
    stats = json.loads(path.read_text())
    stats["range_max"] += 600
    path.write_text(json.dumps(stats))


@pytest.mark.parametrize(("name", "damage"), [("negatives.parquet", cut_short), ("stats.json", cut_short),
                                              ("stats.json", changed_count),
                                              ("positive_scores.npy", Path.unlink),
                                              ("negatives.parquet", flipped_bit), ("positive_scores.npy", flipped_bit)])
def test_a_damaged_checkpoint_is_mined_again_with_a_warning(data, tiny_model, tmp_path, caplog, name, damage):
    run(data, tiny_model, tmp_path)
    [folder] = (tmp_path / "cache" / "mined").iterdir()
    damage(folder / name)
    with caplog.at_level(logging.WARNING):
        again = run(data, tiny_model, tmp_path, out="again")
    assert not again["checkpoint"]["resumed"]
    assert [record.getMessage().split(" (")[0] for record in caplog.records] == [
        f"mining checkpoint {folder} is unusable"]
    for output in ("data-00000-of-00001.arrow", "rejects.parquet"):
        assert (tmp_path / "again" / output).read_bytes() == (tmp_path / "out" / output).read_bytes()
    assert run(data, tiny_model, tmp_path, out="last")["checkpoint"]["resumed"]  # saved anew


def test_a_cache_that_cannot_be_written_costs_the_caching_not_the_run(data, tiny_model, tmp_path, monkeypatch, caplog):
    """A read-only or full cache failed the run with a PermissionError traceback: after the first chunk was encoded,
    or, where the embeddings were all cached, after all the mining (its checkpoint could not be saved)."""
    run(data, tiny_model, tmp_path / "free")
    cache = tmp_path / "cache"

    def refusing(write):  # the embedding cache writes through pyarrow, the checkpoint through polars
        def refused(frame, path, *args, **kwargs):
            if Path(path).is_relative_to(cache):
                raise PermissionError(13, "Permission denied", str(path))
            return write(frame, path, *args, **kwargs)
        return refused

    monkeypatch.setattr(pl.DataFrame, "write_parquet", refusing(pl.DataFrame.write_parquet))
    monkeypatch.setattr(pq, "write_table", refusing(pq.write_table))
    with caplog.at_level(logging.WARNING):
        manifest = run(data, tiny_model, tmp_path)
    assert manifest["encoding"]["texts_encoded"] > 0 and not manifest["checkpoint"]["resumed"]
    messages = [record.getMessage() for record in caplog.records]
    assert sum("cannot be written (Permission denied); the run goes on without caching" in m for m in messages) == 1
    assert sum(m.startswith("mining checkpoint") and "cannot be written (Permission denied)" in m
               for m in messages) == 1
    assert not [path for path in cache.rglob("*") if path.is_file()], "no part or partial file is left behind"
    for output in ("data-00000-of-00001.arrow", "rejects.parquet"):
        assert (tmp_path / "out" / output).read_bytes() == (tmp_path / "free" / "out" / output).read_bytes()


def test_a_cache_dir_that_is_a_file_is_refused_before_any_work(data, tiny_model, tmp_path):
    from mining_data import config_for

    from pipeline.errors import ConfigError
    from pipeline.run import RunInputs, run_pipeline

    (tmp_path / "notes").write_text("not a folder")
    config = config_for(tiny_model, tmp_path / "notes" / "cache")
    with pytest.raises(ConfigError, match=f"--cache-dir {tmp_path / 'notes' / 'cache'}: {tmp_path / 'notes'} is a "
                                          "file, not a folder"):
        run_pipeline(RunInputs(data[0], corpus=data[1]), config, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_checkpoint_of_a_prep_without_digests_is_mined_again_and_says_why(tmp_path, caplog):
    """Its warning read "unusable ('digests')"."""
    import json

    from pipeline.stages.checkpoint import save_mined
    from pipeline.stages.mine import MiningResult

    folder = tmp_path / "mined" / "key"
    save_mined(folder, MiningResult(negatives=pl.DataFrame({"query_id": pl.Series([1], dtype=pl.UInt64)})))
    assert load_mined(folder) is not None
    stats = json.loads((folder / "stats.json").read_text())
    del stats["digests"]
    (folder / "stats.json").write_text(json.dumps(stats))
    with caplog.at_level(logging.WARNING):
        assert load_mined(folder) is None
    assert "(written by a prep that kept no file digests); mining again" in caplog.text


def test_all_negatives_keys_the_checkpoint_only_where_the_input_gives_negatives(data, tmp_path):
    from dataclasses import replace

    from pipeline.config import LayoutConfig, RunConfig
    from pipeline.readers import read_dataset
    from pipeline.stages.checkpoint import checkpoint_folder

    canon = read_dataset(data[0], corpus=data[1])  # one query gives negatives
    config = RunConfig()
    every = replace(config, layout=LayoutConfig(layout="flag", all_negatives=True))

    def folder(canon, config):
        return checkpoint_folder(canon, config, "m", (None, None), True)

    assert folder(canon, config) != folder(canon, every)
    none_given = replace(canon, negatives=canon.negatives.head(0))
    assert folder(none_given, config) == folder(none_given, every)
