"""The laid-out rows in Arrow for `datasets`, converted a slice at a time: the write holds one slice of the output's
text in Arrow, not all of it, and fingerprints the rows by their content so that saved bytes are reproducible."""

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import polars.selectors as cs
import pyarrow as pa
import xxhash

# Text converted to Arrow at a time. The Polars rows hold each text once (views into the corpus); Arrow holds each
# cell's bytes, so the whole output at once took 1,128 MiB for 200,000 rows of five 1,000-byte texts whose Polars
# rows took 173 (benchmarks/RESULTS.md).
SLICE_BYTES = 32 * 2**20


def to_arrow_strings(frame: pl.DataFrame) -> pa.Table:
    """Arrow with plain `string` and `list` types (datasets' Value("string"), Sequence), whatever Polars' own are.
    One column at a time: converting a whole frame, Polars' transient copies of all columns add up (600,000 n-tuple
    rows: +622 MiB at once, +257 by columns; benchmarks/RESULTS.md). `select` keeps each column's chunks, so where the
    columns share them, as laid-out rows do, the record batches are those of the frame's own conversion
    (tests/stages/test_arrow_strings); columns chunked unevenly give other batches of the same table."""
    columns = {}
    for name in frame.columns:
        column = frame.select(name).to_arrow(compat_level=pl.CompatLevel.oldest()).column(0)
        columns[name] = column.cast(_plain(column.type))
    return pa.table(columns)


def _plain(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_large_string(kind):
        return pa.string()
    if pa.types.is_large_list(kind) or pa.types.is_list(kind):
        return pa.list_(_plain(kind.value_type))
    return kind


def arrow_slices(frame: pl.DataFrame) -> Iterator[pa.Table]:
    """`frame` through `to_arrow_strings`, SLICE_BYTES of its text at a time (rows counted from the texts' lengths,
    so the same rows give the same slices); an empty frame gives one empty table."""
    lengths = frame.select(cs.string().str.len_bytes().sum(), cs.list(cs.string()).explode().str.len_bytes().sum())
    text = sum(value or 0 for value in lengths.row(0)) if lengths.width else 0
    step = max(1, SLICE_BYTES * frame.height // max(text, 1))
    for start in range(0, max(frame.height, 1), step):
        # one chunk: so that the record batches, and the bytes saved, do not depend on how the rows were chunked
        # (a layout built in partitions is their concatenation)
        yield to_arrow_strings(frame.slice(start, step).rechunk())


def mapped_dataset(frame: pl.DataFrame, path: Path, description: dict | None = None):  # -> datasets.Dataset
    """`frame` written to `path` as an Arrow IPC stream (the format `datasets` maps), a slice at a time, and mapped
    back from it: the system pages the rows in and out as `save_to_disk` reads them. Fingerprinted by its content,
    so that saved bytes are reproducible. `description` (JSON) goes into the dataset's info, where prep's batch
    sampler reads the block sizes."""
    import datasets
    from datasets.table import MemoryMappedTable

    digest, writer = xxhash.xxh64(), None
    with pa.OSFile(str(path), "wb") as sink:
        for table in arrow_slices(frame):
            writer = writer or pa.ipc.new_stream(sink, table.schema)
            writer.write_table(table)
            _add(digest, table)
        writer.close()
    info = datasets.DatasetInfo(description=json.dumps(description or {}))
    return datasets.Dataset(MemoryMappedTable.from_file(str(path)), info=info, fingerprint=digest.hexdigest())


def _add(digest: xxhash.xxh64, table: pa.Table) -> None:
    for batch in table.to_batches():
        for column in batch.columns:
            # Compacted first: a slice of a column shares its buffers, whose bytes outside the slice depend on how
            # the rows were chunked (a layout built in partitions is their concatenation).
            for buffer in pa.concat_arrays([column, column.slice(0, 0)]).buffers():
                if buffer is not None:
                    digest.update(buffer)
