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


def refuse_null_lines(path: Path) -> None:
    """Raise on the first line `null` of a JSON Lines file, before pyarrow reads it."""
    if path.stat().st_size == 0:
        return
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        end = data.find(b"\n")
        first = data[:end] if end >= 0 else data[:]
        if first.removeprefix(codecs.BOM_UTF8).strip() == b"null":
            raise InputError(path, NULL, line=1)
        found = LATER_NULL.search(data)
        if found:
            raise InputError(path, NULL, line=data[:found.start() + 1].count(b"\n") + 1)
