"""Embeddings held in a file instead of memory, read and written a block of rows at a time.

The query vectors of a run grow with the queries (1M queries at MiniLM's 384 dimensions: 1.4 GiB), while every
stage reads them a chunk at a time: the dedupe and mining searches, the pair scores. Each access copies the rows
it asks for (through a map of their span, or one read per row where they lie far apart), so the process holds only
the rows in use; the rest stay in the page cache, which the system can drop. The file sits beside the output
folder (`.NAME.vectors-PID`, on the disk the user chose; a temporary folder may be memory) and is removed when the
run ends, or by a later run if it was killed (pipeline/partials.py).
"""

import glob
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from pipeline.errors import ConfigError
from pipeline.partials import remove_stale_partials

BLOCK_BYTES = 8 * 2**20  # rows read at a time by a scan of the whole file (`blocks`)
# Query vectors smaller than this stay in memory, where a file saves little. Larger, the file costs no time: the
# query dedupe, which read its candidates' rows (a page fault each), reads only those near its threshold (1M queries
# of 64-d: the run 212 s from the file, 214 s from memory, stages before the layout 130-158 MiB lower;
# benchmarks/RESULTS.md).
ON_DISK_BYTES = 128 * 2**20
GATHER_ROWS = 4096  # rows by number read at a time
# Rows whose span in the file is at most this are read through a map of that span; rows spread wider are read one by
# one. A map of the whole file made most of it resident for scattered rows, however few (the kernel maps a cached
# file's neighbouring pages at each fault): 631,000 x 64-d rows in random order took 179 MiB of RSS through maps of
# 4,096 rows at a time, 29 MiB read one by one, for 0.8 s more (benchmarks/RESULTS.md).
SPAN_BYTES = 16 * 2**20


class VectorFile:
    """A (count, dimension) array in `path` (float32 unless `dtype` says), indexed as numpy arrays are:
    `vectors[rows]` returns a copy, `vectors[rows] = values` writes through. It pickles as its path (workers on the
    same machine can read it)."""

    ndim = 2

    def __init__(self, path: Path, count: int, dimension: int, dtype: type = np.float32) -> None:
        self.path, self.shape, self.dtype = Path(path), (count, dimension), np.dtype(dtype)
        if self.path.exists():
            return
        size = count * dimension * self.dtype.itemsize
        try:
            with open(self.path, "wb") as file:
                # All the space now: a write through a map to a full disk kills the process (SIGBUS), with no error.
                if size and hasattr(os, "posix_fallocate"):  # not on macOS, where the file stays sparse
                    os.posix_fallocate(file.fileno(), 0, size)
                file.truncate(size)
        except OSError as error:
            self.path.unlink(missing_ok=True)
            raise ConfigError(f"cannot set aside {size / 2**20:,.0f} MiB for the query vectors ({self.path.name}) in "
                              f"{self.path.parent} (beside --out): {error.strerror}; free space there or choose "
                              "another --out") from None

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows) -> np.ndarray:
        if not len(self):
            return np.zeros((0, self.shape[1]), self.dtype)[rows]
        if not isinstance(rows, np.ndarray):  # a slice: a view of the map, copied so that the map goes on return
            return np.array(self._map("r")[rows])
        if rows.dtype.kind not in "iu":
            raise IndexError(f"VectorFile rows are read by number, not by {rows.dtype} indices")
        flat, gathered = rows.ravel().astype(np.int64), np.empty((rows.size, self.shape[1]), self.dtype)
        if flat.size and (flat.min() < -len(self) or flat.max() >= len(self)):
            raise IndexError(f"rows out of range for {len(self)} vectors")
        flat = np.where(flat < 0, flat + len(self), flat)
        row_bytes = self.shape[1] * self.dtype.itemsize
        with open(self.path, "rb", buffering=0) as file:
            for start in range(0, len(flat), GATHER_ROWS):
                part, into = flat[start:start + GATHER_ROWS], gathered[start:start + GATHER_ROWS]
                low, high = int(part.min()), int(part.max()) + 1
                if (high - low) * row_bytes <= SPAN_BYTES:
                    into[:] = np.memmap(self.path, self.dtype, "r", offset=low * row_bytes,
                                        shape=(high - low, self.shape[1]))[part - low]
                    continue
                out = memoryview(into).cast("B")
                for position in np.argsort(part, kind="stable").tolist():  # in file order
                    into_row = out[position * row_bytes:(position + 1) * row_bytes]
                    if os.preadv(file.fileno(), [into_row], int(part[position]) * row_bytes) != row_bytes:
                        raise OSError(f"{self.path} ended before row {part[position]}: cut short since it was written")
        return gathered.reshape(*rows.shape, self.shape[1])

    def __setitem__(self, rows, values) -> None:
        if not len(self):
            return
        # Into the page cache, which the system writes back when it will: flushing each write (msync) made
        # writing 4,096 scattered rows 3x slower.
        self._map("r+")[rows] = values

    def beside(self, name: str, dimension: int, dtype: type) -> "VectorFile":
        """Another file of as many rows beside this one, `.OUT.vectors-NAME-PID` for `.OUT.vectors-PID`, so that a
        later run removes it too if this one is killed (`scratch_path`)."""
        path = scratch_beside(self.path, name)
        path.unlink(missing_ok=True)  # a killed run's, whose number this process now has
        return VectorFile(path, len(self), dimension, dtype)

    @property
    def block_rows(self) -> int:
        return max(1, BLOCK_BYTES // max(1, self.shape[1] * self.dtype.itemsize))

    def blocks(self) -> Iterator[tuple[int, np.ndarray]]:
        """(first row, rows) of the whole file in order, BLOCK_BYTES at a time."""
        for start in range(0, len(self), self.block_rows):
            yield start, self[start:start + self.block_rows]

    def _map(self, mode: str) -> np.memmap:
        return np.memmap(self.path, self.dtype, mode, shape=self.shape)


def worth_a_file(count: int, dimension: int) -> bool:
    """Whether `count` vectors of `dimension` floats are big enough to go to a file (ON_DISK_BYTES)."""
    return count * dimension * np.dtype(np.float32).itemsize >= ON_DISK_BYTES


@contextmanager
def scratch_path(out: Path) -> Iterator[Path]:
    """A path beside `out` for a VectorFile, removed after the block whatever happens (and, if a killed run left
    one, by the next run)."""
    folder = next(parent for parent in Path(out).parents if parent.exists())
    name = f".{Path(out).name}.vectors-"
    remove_stale_partials(folder, glob.escape(name) + "*")
    path = folder / f"{name}{os.getpid()}"
    path.unlink(missing_ok=True)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
        for beside in folder.glob(glob.escape(name) + f"*-{os.getpid()}"):  # `scratch_beside`'s
            shutil.rmtree(beside, ignore_errors=True) if beside.is_dir() else beside.unlink(missing_ok=True)


def scratch_beside(path: Path, name: str) -> Path:
    """`.OUT.vectors-NAME-PID` beside the scratch path `.OUT.vectors-PID`: removed with it (`scratch_path`), and by a
    later run if this one is killed."""
    head, _, pid = path.name.rpartition("-")
    return path.with_name(f"{head}-{name}-{pid}")
