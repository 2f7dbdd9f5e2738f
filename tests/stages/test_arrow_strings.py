"""to_arrow_strings: the rows in Arrow one column at a time, with the record batches the frame's own conversion has."""

import polars as pl
import pyarrow as pa
import pytest

from pipeline.stages.arrow_rows import _plain, to_arrow_strings


def whole_frame(frame: pl.DataFrame) -> pa.Table:
    """The conversion of the frame at once, as Polars makes it: the bytes to keep."""
    table = frame.to_arrow(compat_level=pl.CompatLevel.oldest())
    return table.cast(pa.schema([pa.field(f.name, _plain(f.type)) for f in table.schema]))


def buffers(table: pa.Table) -> list[list[bytes | None]]:
    """The bytes that `mapped_dataset` hashes into the fingerprint, batch by batch."""
    return [[b and b.to_pybytes() for c in batch.columns for b in c.buffers()] for batch in table.to_batches()]


def rows(start: int, count: int) -> pl.DataFrame:
    return pl.DataFrame({
        "anchor": [f"query number {i} with some words" for i in range(start, start + count)],
        "positive": [None if i % 4 == 0 else f"passage {i} " * 3 for i in range(start, start + count)],
        "negative": [[f"negative {i} of a long enough text", "short"] for i in range(start, start + count)],
    })


def unaligned() -> pl.DataFrame:
    """Columns whose chunks end at different rows: the frame's conversion makes one chunk of them."""
    frame = pl.concat([rows(0, 3), rows(3, 4)], rechunk=False)
    return frame.with_columns(pl.concat([rows(0, 5)["anchor"], rows(5, 2)["anchor"]], rechunk=False))


@pytest.mark.parametrize("frame", [rows(0, 7), pl.concat([rows(0, 3), rows(3, 4)], rechunk=False), unaligned(),
                                   rows(0, 0)], ids=["one chunk", "aligned chunks", "unaligned chunks", "empty"])
def test_same_batches_as_the_whole_frame(frame):
    new, old = to_arrow_strings(frame), whole_frame(frame)
    assert new.schema == old.schema
    assert buffers(new) == buffers(old)


def test_converts_one_column_at_a_time(monkeypatch):
    """Polars converts a frame's columns side by side, their transient copies at once: 600,000 n-tuple rows
    peaked 622 MiB above the write's start that way, 257 MiB one column at a time."""
    widths = []
    to_arrow = pl.DataFrame.to_arrow

    def recorded(frame: pl.DataFrame, *args, **kwargs) -> pa.Table:
        widths.append(frame.width)
        return to_arrow(frame, *args, **kwargs)

    monkeypatch.setattr(pl.DataFrame, "to_arrow", recorded)
    table = to_arrow_strings(rows(0, 7))
    assert widths == [1, 1, 1] and table.column_names == ["anchor", "positive", "negative"]
