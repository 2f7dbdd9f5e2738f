"""A digest of the rows' anchor and positive in row order, written beside conflict-free blocks: BlockBatchSampler
tells prep's output from a shuffled or sorted copy of it (same rows, same length), whose blocks would no longer be
conflict-free."""

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import xxhash

COLUMNS = ("anchor", "positive")


def order_digest(tables: Iterable[pa.Table]) -> str:
    """xxh64 of each of COLUMNS' UTF-8 bytes and of their lengths, in row order, over `tables` one after the other
    (slices of the rows): the same for any chunking, any slicing, any string type (string, large_string,
    string_view)."""
    digests = {name: (xxhash.xxh64(), xxhash.xxh64()) for name in COLUMNS}
    for table in tables:
        for name, (texts, lengths) in digests.items():
            for chunk in table[name].chunks:
                chunk = chunk.cast(pa.large_string())
                offsets = np.frombuffer(chunk.buffers()[1], np.int64)[chunk.offset:chunk.offset + len(chunk) + 1]
                lengths.update(np.diff(offsets).tobytes())
                if chunk.buffers()[2] is not None:
                    texts.update(memoryview(chunk.buffers()[2])[offsets[0]:offsets[-1]])
    return "".join(texts.hexdigest() + lengths.hexdigest() for texts, lengths in digests.values())
