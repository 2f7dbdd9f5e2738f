"""Text files whose lines end in a lone CR (classic Mac OS; Excel's "CSV (Macintosh)"). Polars and `read_lines` split
lines at LF only, so such a CSV or TSV reads as one header line and no row, and a `.txt` corpus as one text: the
file is refused instead of its rows being lost."""

from pathlib import Path

from pipeline.errors import InputError

CHUNK = 1 << 20


def refuse_cr_line_endings(path: Path) -> None:
    """An error for a file with a CR and no LF anywhere (CRLF files have LFs). In a CSV file the first CR must be
    outside quotes: a CR inside a quoted field, in a file of one record and no line ending, is text."""
    if not path.is_file():
        return
    quotes = 0  # the quotes before the first CR: an odd count puts it inside a quoted field
    first_cr_outside: bool | None = None
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if b"\n" in chunk:
                return
            if first_cr_outside is None:
                at = chunk.find(b"\r")
                quotes += chunk.count(b'"', 0, None if at < 0 else at)
                if at >= 0:
                    first_cr_outside = path.suffix.lower() != ".csv" or quotes % 2 == 0
    if first_cr_outside:
        raise InputError(path, "uses CR line endings (classic Mac OS), which read as one line; save it with LF or CRLF "
                               "line endings")
