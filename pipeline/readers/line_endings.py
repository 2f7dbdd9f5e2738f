"""Text files whose lines end in a lone CR (classic Mac OS; Excel's "CSV (Macintosh)"), all of them or some. Polars
and `read_lines` split lines at LF only, so a line ended by a lone CR is read joined to the next: a CR-only CSV or TSV
as one header line and no row, a `.txt` corpus as one text, a file that mixes them with rows glued together. The file
is refused instead of its rows being lost."""

import sys
from pathlib import Path

import numpy as np

from pipeline.errors import InputError

CHUNK = 1 << 22
CR, QUOTE = ord("\r"), ord('"')
CRLF = int.from_bytes(b"\r\n", sys.byteorder)  # the two bytes as one uint16, to count pairs in one vector pass


def refuse_cr_line_endings(path: Path) -> None:
    """An error for a file with a lone CR (one followed by more text of the line, not by LF), naming the line where
    the file has LFs as well. In a CSV file a CR inside a quoted field is text; a CR as the file's last byte ends its
    line as Polars reads it."""
    if not path.is_file():
        return
    at = first_lone_cr(path, quoted=path.suffix.lower() == ".csv")
    if at is None:
        return
    line = 1 + count_bytes(path, b"\n", at)
    if line == 1 and count_bytes(path, b"\n") == 0:
        raise InputError(path, "uses CR line endings (classic Mac OS), which read as one line; save it with LF or CRLF "
                               "line endings")
    if _converted_twice(path, at):
        raise InputError(path, "ends in CR CR LF (line endings converted to CRLF twice): the extra CR would be read as "
                               "text at the end of the line's last field; save the file with LF or CRLF line endings",
                         line=line)
    # a CR before more text of the line: it may end a line (rows glued) or sit inside a field; both read as one line
    raise InputError(path, "holds a lone CR (classic Mac OS line ending) followed by more text, all read as this one "
                           "line (a line that CR ends is joined to the next); save the file with LF or CRLF line "
                           "endings throughout, and a CR inside a text removed (or, in a CSV, the field quoted)",
                     line=line)


def first_lone_cr(path: Path, quoted: bool) -> int | None:
    """The byte offset of the first CR that is followed by neither LF nor the end of the file (in a `quoted` file, the
    first outside quotes), None where there is none (a CR before a CRLF is one: Polars would keep it as text of
    the line's last field, where pandas and datasets end the line). A chunk without CR (an LF file) costs one
    memchr; one with CRs (a CRLF file) two vector counts; quotes are counted from the first chunk with a lone CR on."""
    quotes: int | None = None  # the quotes before `start`
    start = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            while chunk.endswith(b"\r") and (after := handle.read(1)):  # a CR's next byte, across the chunk's end
                chunk += after
            data = np.frombuffer(chunk, np.uint8)
            lone = _lone_crs(data) if b"\r" in chunk else None
            if lone is not None and quoted:
                if quotes is None:
                    quotes = count_bytes(path, b'"', start)
                inside = (quotes + np.cumsum(data == QUOTE)[lone]) % 2 == 1  # an odd count before it opens a field
                lone = lone[~inside]
            if lone is not None and lone.size:
                return start + int(lone[0])
            if quotes is not None:
                quotes += chunk.count(b'"')
            start += len(chunk)
    return None


def _lone_crs(data: np.ndarray) -> np.ndarray | None:
    """The positions of CRs followed by a byte other than LF (a CR as the last byte: at the end of the file), None
    where every CR starts a CRLF."""
    crs = np.count_nonzero(data == CR)
    even, odd = data[: data.size - data.size % 2], data[1: data.size - (data.size - 1) % 2]
    if crs == np.count_nonzero(even.view(np.uint16) == CRLF) + np.count_nonzero(odd.view(np.uint16) == CRLF):
        return None
    at = np.flatnonzero(data[:-1] == CR)
    return at[data[at + 1] != ord("\n")]


def _converted_twice(path: Path, at: int) -> bool:
    """Whether the lone CR at `at` starts a run of CRs that a LF (or the end of the file) ends: CR CR LF."""
    with path.open("rb") as handle:
        handle.seek(at)
        run = handle.read(256).lstrip(b"\r")
    return run[:1] in (b"\n", b"")


def count_bytes(path: Path, byte: bytes, end: int | None = None) -> int:
    """How often `byte` occurs in the file's first `end` bytes (all of it for None): an error's line number, a
    CSV's quotes before a chunk."""
    count, left = 0, end
    with path.open("rb") as handle:
        while (left is None or left > 0) and (chunk := handle.read(CHUNK if left is None else min(CHUNK, left))):
            count += chunk.count(byte)
            left = None if left is None else left - len(chunk)
    return count
