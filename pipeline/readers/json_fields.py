"""Which field a place in JSON text belongs to, found from its tokens without parsing it: the text may be nested
deeper than any parser goes (Polars stops at 1,024 levels, Python's json about 1,000 in, with a RecursionError), or be
cut off where a byte is not UTF-8."""

import json
import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import InputError

# A string (or one cut off at the end of the text), or a structural character; numbers and literals are skipped.
TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)|[{}\[\]:,]', re.DOTALL)
LIMIT = 1000  # levels: what the fast readers and Python's json read, with room for Python's own stack
# Levels of a field first seen after the peeked lines that Polars converts from pyarrow's table: its stack overflows
# (a segfault) at about 750.
LATE_LIMIT = 500


def deepest(text: str, records: bool = False) -> tuple[int, str | None, int]:
    """(record, field, depth) where `text` (a JSON object, or with `records` an array of them) is nested deepest: the
    record's number in the array (1 for an object), its top-level key whose value is nested, and how deep."""
    record, key, depth = max(_walk(text, records), key=lambda place: place[2], default=(1, None, 0))
    return record, _name(key), depth


def field_at(text: str) -> str | None:
    """The top-level key of the JSON object whose value `text`, the object's start, ends inside; None where it ends
    before a value (in a key, say)."""
    _, key, depth = deque(_walk(text, False), maxlen=1).pop() if text else (1, None, 0)
    return _name(key) if depth >= 1 else None


def too_deep(text: str, records: bool = False) -> tuple[int, str | None, str]:
    """(record, field, message) for text that a JSON reader refused as nested too deeply."""
    record, field, depth = deepest(text, records)
    return record, field, (f"nested {depth:,} levels deep, deeper than the JSON readers go (about {LIMIT:,}); "
                           "flatten it or remove it")


def _walk(text: str, records: bool) -> Iterator[tuple[int, str | None, int]]:
    """(record, key, depth) after each token, the key as its JSON string token."""
    top = 2 if records else 1  # the depth at which a record's keys are
    depth, record, key, last = 0, 1, None, None
    for match in TOKEN.finditer(text):
        token = match.group()
        if token in ("{", "["):
            depth += 1
        elif token in ("}", "]"):
            depth -= 1
            key = None if depth < top else key
        elif depth == top - 1 and token == ",":
            record += 1
        elif depth == top:
            if token == ":":
                key = last
            elif token == ",":
                key = None
            else:
                last = token
        yield record, key, depth


def _name(token: str | None) -> str | None:
    """A key's text from its JSON string token."""
    if token is None:
        return None
    try:
        return json.loads(token)
    except ValueError:
        return token.strip('"')


def refuse_deep_late_fields(path: Path, schema, late: list[str]) -> None:
    """An error for a field of pyarrow's `schema`, among the `late` ones (first seen after the peeked lines), nested
    deeper than LATE_LIMIT, at the first line where it is."""
    for name in late:
        if _type_depth(schema.field(name).type) > LATE_LIMIT:
            line, depth = _first_deeper(path, name)
            raise InputError(path, f"nested {depth:,} levels deep, deeper than prep reads a field that first appears "
                                   f"after line 1,000 ({LATE_LIMIT:,} levels); flatten it or remove it",
                             line=line, field=name)


def _type_depth(dtype) -> int:
    """The levels of a pyarrow type, counted without recursion (it is deep)."""
    depth, level = 0, [dtype]
    while level:
        depth, level = depth + 1, [child.field(i).type for child in level for i in range(child.num_fields)]
    return depth


def _first_deeper(path: Path, name: str) -> tuple[int | None, int]:
    """(line, levels of its record) of the first line where field `name` is nested deeper than LATE_LIMIT."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.count(b"{") + raw.count(b"[") > LATE_LIMIT:
                line = raw.decode("utf-8", errors="replace")
                depth = max((depth for _, key, depth in _walk(line, False) if _name(key) == name), default=0)
                if depth > LATE_LIMIT:
                    return number, depth
    return None, LATE_LIMIT
