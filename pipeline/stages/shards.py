"""Write laid-out rows as shards: a datasets folder (`load_from_disk`), Parquet files (`load_dataset("parquet")`)
or, for FlagEmbedding, JSONL (one file, or one per `type`). Buckets become a DatasetDict, one split per negative
count (in Parquet, one folder per bucket under data/)."""

import math
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from pipeline.config import LayoutConfig
from pipeline.layouts.flag import flag_files
from pipeline.layouts.layout import Layout
from pipeline.stages.write import PARQUET_FOLDER, arrow_dataset, to_arrow_strings


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
    import datasets

    datasets.disable_progress_bars()
    if layout.splits is None:
        arrow_dataset(to_arrow_strings(layout.rows), description).save_to_disk(
            str(folder), num_shards=_shard_count(layout.rows.height, config.shard_rows))
        return
    buckets = datasets.DatasetDict({name: arrow_dataset(to_arrow_strings(rows), description)
                                    for name, rows in splits.items()})
    buckets.save_to_disk(str(folder), num_shards={name: _shard_count(rows.height, config.shard_rows)
                                                  for name, rows in splits.items()})


def _shard_count(rows: int, shard_rows: int | None) -> int | None:
    # datasets writes no shard at all for an empty table, and then cannot load it back.
    if rows == 0:
        return 1
    return math.ceil(rows / shard_rows) if shard_rows else None


def _write_parquet(folder: Path, split: str, rows: pl.DataFrame, shard_rows: int | None) -> None:
    """`{split}-00000-of-0000N.parquet`: the names the Hub uses, from which `load_dataset` infers the split."""
    table = to_arrow_strings(rows)
    size = shard_rows or max(rows.height, 1)
    count = max(math.ceil(rows.height / size), 1)
    for index in range(count):
        pq.write_table(table.slice(index * size, size), folder / f"{split}-{index:05d}-of-{count:05d}.parquet")
