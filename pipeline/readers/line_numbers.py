"""A JSON Lines file's physical lines: what read errors and findings name, blank lines counted (pyarrow skips them)."""

import json
import re
from pathlib import Path

import numpy as np

from pipeline.errors import InputError
from pipeline.readers.json_errors import first_problem


def line_numbers(path: Path, records: int) -> np.ndarray | None:
    """Physical line numbers of the records when blank lines sit between them (pyarrow skips those), else None."""
    if records == count_lines(path) and not _has_blank_line(path):  # one record per line (blank lines and lines
        return None  # of two values would cancel out in the count)
    with path.open("rb") as handle:
        numbers = [number for number, raw in enumerate(handle, start=1) if raw.strip()]
    if len(numbers) < records:  # pyarrow read two values on one line (`{...} {...}`, `null null`) as two records
        problem = first_problem(path, lambda raw, number, seen: _not_one_value(raw))
        raise InputError(path, "holds more than one JSON value; write one object per line",
                         line=problem[0] if problem else None)
    return np.array(numbers[:records], dtype=np.uint32)


def _not_one_value(raw: bytes) -> tuple[None, str] | None:
    try:
        if raw.strip():
            json.loads(raw)
    except ValueError:
        return None, "not one JSON value"
    return None


def count_lines(path: Path) -> int:
    """Lines of a file, a last one without a newline included."""
    lines, last = 0, b"\n"
    with path.open("rb") as handle:
        while block := handle.read(1 << 26):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n")


def _has_blank_line(path: Path) -> bool:
    """Whether an empty or whitespace-only line ends in a newline somewhere (a scan at memchr speed)."""
    blank = re.compile(rb"\n[ \t\r]*\n")
    carry = b"\n"  # the file's first line starts a line
    with path.open("rb") as handle:
        while block := handle.read(1 << 26):
            text = carry + block
            if blank.search(text):
                return True
            carry = text[text.rfind(b"\n"):]  # the line that goes on in the next block, from its newline
    return False
