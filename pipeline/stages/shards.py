"""Write laid-out rows as shards: a datasets folder (`load_from_disk`), Parquet files (`load_dataset("parquet")`)
or, for FlagEmbedding, JSONL (one file, or one per `type`). Buckets become a DatasetDict, one split per negative
count (in Parquet, one folder per bucket under data/)."""

import math
import shutil
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from pipeline.config import LayoutConfig
from pipeline.layouts.flag import flag_files
from pipeline.layouts.layout import Layout
from pipeline.stages.arrow_rows import arrow_slices, mapped_dataset
from pipeline.stages.write import PARQUET_FOLDER


def write_shards(folder: Path, layout: Layout, config: LayoutConfig, description: dict) -> None:
    if config.layout == "flag":
        for path, rows in flag_files(layout.rows).items():
            (folder / path).parent.mkdir(exist_ok=True)
            rows.write_ndjson(folder / path)
        return
    splits = layout.splits if layout.splits is not None else {"train": layout.rows}
    if config.shard_format == "parquet":
        # Buckets differ in columns and one load_dataset call reads one schema: one folder per bucket. data/ is there
        # without a bucket too: lint and report read it as 0 rows, where the output folder is no table.
        (folder / PARQUET_FOLDER).mkdir()
        for name, rows in splits.items():
            target = folder / PARQUET_FOLDER / name if layout.splits is not None else folder / PARQUET_FOLDER
            target.mkdir(exist_ok=True)
            _write_parquet(target, "train", rows, config.shard_rows)
        return
    _save_datasets(folder, splits, layout.splits is not None, config.shard_rows, description)


def _save_datasets(folder: Path, splits: dict[str, pl.DataFrame], buckets: bool, shard_rows: int | None,
                   description: dict) -> None:
    """A `load_from_disk` folder: each split written to an Arrow file a slice at a time, then mapped and sharded by
    `save_to_disk`, so that the write holds a slice of the text in Arrow, not the whole output. The files go to a
    folder in the output's partial folder (datasets will not save beside its own source), removed once saved."""
    import datasets

    datasets.disable_progress_bars()
    rows = folder / ".rows"
    rows.mkdir()
    try:
        saved = {name: mapped_dataset(frame, rows / f"{name}.arrow", description) for name, frame in splits.items()}
        counts = {name: _shard_count(frame.height, shard_rows) for name, frame in splits.items()}
        if buckets:
            datasets.DatasetDict(saved).save_to_disk(str(folder), num_shards=counts)
        else:
            saved["train"].save_to_disk(str(folder), num_shards=counts["train"])
    finally:
        saved = None  # the maps go with the datasets
        shutil.rmtree(rows)


def _shard_count(rows: int, shard_rows: int | None) -> int | None:
    # datasets writes no shard at all for an empty table, and then cannot load it back.
    if rows == 0:
        return 1
    return math.ceil(rows / shard_rows) if shard_rows else None


def _write_parquet(folder: Path, split: str, rows: pl.DataFrame, shard_rows: int | None) -> None:
    """`{split}-00000-of-0000N.parquet`: the names the Hub uses, from which `load_dataset` infers the split. Each
    shard is converted and written a slice at a time (a row group each)."""
    size = shard_rows or max(rows.height, 1)
    count = max(math.ceil(rows.height / size), 1)
    for index in range(count):
        slices = arrow_slices(rows.slice(index * size, size))
        first = next(slices)
        with pq.ParquetWriter(folder / f"{split}-{index:05d}-of-{count:05d}.parquet", first.schema) as writer:
            writer.write_table(first)
            for table in slices:
                writer.write_table(table)
