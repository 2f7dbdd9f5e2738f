"""Text files saved as UTF-16 or UTF-32 (Excel's and Windows' "Unicode text"): every reader takes UTF-8, and the
others' bytes read as column names full of NULs or an invalid byte 0, so the file's encoding is named instead."""

import codecs
from pathlib import Path

from pipeline.errors import InputError

# UTF-32 LE first: its byte order mark starts with UTF-16 LE's.
BYTE_ORDER_MARKS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))
TEXT_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".txt")


def refuse_other_encodings(path: Path) -> None:
    """An error for a text file that starts with a UTF-16 or UTF-32 byte order mark."""
    if not path.is_file() or path.suffix.lower() not in TEXT_SUFFIXES:
        return
    with path.open("rb") as handle:
        head = handle.read(4)
    for mark, encoding in BYTE_ORDER_MARKS:
        if head.startswith(mark):
            raise InputError(path, f"is {encoding} text (it starts with a {encoding} byte order mark); save it as "
                             "UTF-8")
