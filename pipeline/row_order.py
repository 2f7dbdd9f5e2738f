"""A digest of the rows' anchor and positive in row order, written beside conflict-free blocks: BlockBatchSampler
tells prep's output from a shuffled or sorted copy of it (same rows, same length), whose blocks would no longer be
conflict-free."""

import numpy as np
import pyarrow as pa
import xxhash

COLUMNS = ("anchor", "positive")


def order_digest(table: pa.Table) -> str:
    """xxh64 of each of COLUMNS' UTF-8 bytes and of their lengths, in row order: the same for any chunking, any
    string type (string, large_string, string_view) and any slicing of the columns."""
    return "".join(_digest(table[name]) for name in COLUMNS)


def _digest(column: pa.ChunkedArray) -> str:
    texts, lengths = xxhash.xxh64(), xxhash.xxh64()
    for chunk in column.chunks:
        chunk = chunk.cast(pa.large_string())
        offsets = np.frombuffer(chunk.buffers()[1], np.int64)[chunk.offset:chunk.offset + len(chunk) + 1]
        lengths.update(np.diff(offsets).tobytes())
        if chunk.buffers()[2] is not None:
            texts.update(memoryview(chunk.buffers()[2])[offsets[0]:offsets[-1]])
    return texts.hexdigest() + lengths.hexdigest()

