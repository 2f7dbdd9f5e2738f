"""A JSON Lines file's physical lines: what read errors and findings name, blank lines counted (pyarrow skips them)."""

import json
from pathlib import Path

import numpy as np

from pipeline.errors import InputError


def line_numbers(path: Path, records: int) -> np.ndarray | None:
    """Physical line numbers of the records when blank lines sit between them (pyarrow skips those), else None."""
    if records == count_lines(path):  # one record per line: no blank line anywhere
        return None
    with path.open("rb") as handle:
        numbers = [number for number, raw in enumerate(handle, start=1) if raw.strip()]
    if len(numbers) < records:  # pyarrow read two values on one line (`{...} {...}`, `null null`) as two records
        raise InputError(path, "holds more than one JSON value; write one object per line", line=_first_unparsed(path))
    return np.array(numbers[:records], dtype=np.uint32)


def _first_unparsed(path: Path) -> int | None:
    """The first line that Python's json does not read as one value: the one holding two."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                if raw.strip():
                    json.loads(raw)
            except ValueError:
                return number
    return None


def count_lines(path: Path) -> int:
    """Lines of a file, a last one without a newline included."""
    lines, last = 0, b"\n"
    with path.open("rb") as handle:
        while block := handle.read(1 << 26):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n")
