"""JSON Lines lines that are `null`: Polars reads one as a record of null fields, and pyarrow's JSON reader crashes
on one that starts a block (SIGSEGV, pyarrow 26: exit 139 on a file whose first line is `null`)."""

import codecs
import mmap
import re
from pathlib import Path

from pipeline.errors import InputError

# A line `null` after the first: a search that starts with a literal runs at memchr speed (0.16 s for 200 MB).
LATER_NULL = re.compile(rb"\n[ \t]*null[ \t\r]*(?=\n|\Z)")
NULL = "is null, not a JSON object; remove the line"
CHUNK = 64 * 2**20


def refuse_null_lines(path: Path) -> None:
    """Raise on the first line `null` of a JSON Lines file, before pyarrow reads it."""
    if path.stat().st_size == 0:
        return
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        end = data.find(b"\n", 0, 64)
        if data[:end if end >= 0 else 64].removeprefix(codecs.BOM_UTF8).strip() == b"null":
            raise InputError(path, NULL, line=1)
        found = LATER_NULL.search(data)
        if found:  # counted a slice at a time: the file may be larger than memory
            lines = sum(data[start:min(start + CHUNK, found.start() + 1)].count(b"\n")
                        for start in range(0, found.start() + 1, CHUNK))
            raise InputError(path, NULL, line=lines + 1)
