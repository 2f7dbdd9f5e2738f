"""A JSON Lines file's physical lines: what read errors and findings name, blank lines counted (pyarrow skips them)."""

from pathlib import Path

import numpy as np


def line_numbers(path: Path, records: int) -> np.ndarray | None:
    """Physical line numbers of the records when blank lines sit between them (pyarrow skips those), else None."""
    if records == count_lines(path):  # one record per line: no blank line anywhere
        return None
    with path.open("rb") as handle:
        numbers = [number for number, raw in enumerate(handle, start=1) if raw.strip()]
    return np.array(numbers[:records], dtype=np.uint32)


def count_lines(path: Path) -> int:
    """Lines of a file, a last one without a newline included."""
    lines, last = 0, b"\n"
    with path.open("rb") as handle:
        while block := handle.read(1 << 26):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n")
