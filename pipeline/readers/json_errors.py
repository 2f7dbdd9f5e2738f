"""Where a JSON input breaks: the first bad line (or record) and field, found by a Python pass that only runs
after the fast readers have failed."""

import codecs
import json
import math
import re
from pathlib import Path

from pipeline.errors import InputError
from pipeline.readers.json_fields import field_at, too_deep
from pipeline.readers.json_keys import json_object, repeated_key
from pipeline.readers.json_types import line_type_change

KINDS = {"text": "strings", "texts": "lists of strings", "number": "numbers", "numbers": "lists of numbers",
         "id": "strings or integers", "bool": "true or false"}
PYARROW_FIELD = re.compile(r"Column\(/([^/)]*)")  # the top-level field in pyarrow's "Column(/x/[]) changed from..."
SURROGATE = re.compile("[\ud800-\udfff]")  # json joins a pair of \u escapes into one character: one left is alone


def located(path: Path, expected: dict[str, str], error: Exception, is_json_lines: bool,
            inferred: bool = False) -> InputError:
    """The first bad line of a JSON Lines file, found by a Python pass that only runs after a failure. `inferred`:
    `expected` holds the types the file's first lines showed, not the types its format needs."""
    if isinstance(error, InputError):
        return error
    if is_json_lines:
        # pyarrow refuses a key given twice in any field it reads; `expected` alone is checked otherwise, so that a
        # repeat in a field left out is not blamed for another failure.
        any_field = "was specified twice" in str(error)
        problem = first_problem(path, lambda raw, number, seen: _describe_line(raw, expected, any_field) or (
            None if expected else line_type_change(raw, number, seen)))
        if problem and problem[1] is not None:
            # A field wrong from its first line on whose type changes later (lists, then a string): the reader
            # took the later type, and the change is what to report.
            number, field = problem[0], problem[1]
            first: dict[str, tuple[str, int]] = {}
            change = first_problem(path, lambda raw, at, _: line_type_change(raw, at, first, field))
            if change and first[field][1] == number:
                problem = change
            elif inferred:
                # `expected` is only what the first lines showed (lint reads the types the file has): a list field
                # whose items change type, strings on line 1 and numbers on line 2, is wrong where they change.
                items: dict[str, tuple[str, int]] = {}
                change = first_problem(path, lambda raw, at, _: line_type_change(raw, at, items, field, by_item=True))
                problem = change or problem
        problem = problem or _unread_field_change(path, str(error), expected)
        if problem:
            number, field, message = problem
            return InputError(path, message, line=number, field=field)
    return InputError(path, f"cannot be read: {str(error).splitlines()[0]}")


def _unread_field_change(path: Path, error: str, expected: dict[str, str]) -> tuple[int, str, str] | None:
    """A field outside `expected` whose type (or its items') changes: pyarrow still types it where a reader looks
    for fields that first appear late (st's negative_4 from line 5,000), and fails on it."""
    named = PYARROW_FIELD.search(error)
    if named is None or named.group(1) in expected or "changed from" not in error:
        return None
    field, seen = named.group(1), {}
    return first_problem(path, lambda raw, at, _: line_type_change(raw, at, seen, field, by_item=True))


def first_problem(path: Path, check) -> tuple[int, str | None, str] | None:
    """(line, field, message) of the first line where `check(raw, line, seen)` finds a problem."""
    seen: dict[str, tuple[str, int]] = {}  # field -> (JSON type, first line)
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            problem = check(raw.removeprefix(codecs.BOM_UTF8) if number == 1 else raw, number, seen)
            if problem:
                return number, *problem
    return None


def _describe_line(raw: bytes, expected: dict[str, str], any_field: bool) -> tuple[str | None, str] | None:
    try:
        line = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as error:
        field = field_at(raw[:error.start].decode("utf-8"))  # the bytes before the bad one are UTF-8
        return field, f"invalid UTF-8 at byte {error.start}; save the file as UTF-8"
    if not line.strip():
        return None
    constants: list[str] = []  # NaN, Infinity: Python's json reads them, the fast readers fail on them
    try:
        record = json.loads(line, parse_constant=lambda name: constants.append(name) or float(name),
                            object_pairs_hook=json_object)
        if constants:
            return _non_finite_field(record), f"holds {constants[0]}, which is not JSON; write null or a number"
        return describe_record(record, {} if any_field else expected, any_key=any_field)
    except json.JSONDecodeError as error:
        at = "" if error.msg.endswith(" at") else " at"  # "Unterminated string starting at" names its column
        return None, f"invalid JSON: {error.msg}{at} column {error.colno}"
    except RecursionError:  # nested deeper than Python's json goes (Polars refuses it too): found from its tokens
        return too_deep(line)[1:]


def _non_finite_field(record: object) -> str | None:
    """The first field whose value, or an item of whose list, is NaN or infinite."""
    for field, value in record.items() if isinstance(record, dict) else ():
        if any(isinstance(item, float) and not math.isfinite(item) for item in (value if isinstance(value, list)
                                                                                else [value])):
            return field
    return None


def describe_record(record: object, expected: dict[str, str], any_key: bool = False) -> tuple[str | None, str] | None:
    """What is wrong with a record's `expected` fields; with `any_key`, a key given twice in any field (pyarrow
    refuses a JSON Lines record for that)."""
    if record is None:
        return None, "is null, not a JSON object; remove it"
    if not isinstance(record, dict):
        return None, f"expected a JSON object, got {type(record).__name__}"
    if repeat := repeated_key(record, None if any_key else expected):
        return repeat
    for field, value in record.items():  # Python's json reads a lone surrogate; the fast readers and UTF-8 do not
        if found := SURROGATE.search(json.dumps([field, value], ensure_ascii=False)):
            return field, (f"holds an unpaired surrogate \\u{ord(found.group()):04x}, which is no character: remove "
                           "it, or write the pair of escapes that stands for one")
    for field, kind in expected.items():
        message = _describe_value(record.get(field), kind)
        if message:
            return field, message
    return None


def _describe_value(value: object, kind: str) -> str | None:
    """A message when a JSON value is not of the expected kind; None (missing) is checked elsewhere."""
    if value is None:
        return None
    if kind == "text":
        return None if isinstance(value, str) else f"expected a string, got {type(value).__name__}"
    if kind == "id":
        ok = isinstance(value, str | int) and not isinstance(value, bool)
        return None if ok else f"expected a string or integer id, got {type(value).__name__}"
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else f"expected a number, got {type(value).__name__}"
    if kind == "bool":
        return None if isinstance(value, bool) else f"expected true or false, got {type(value).__name__}"
    if not isinstance(value, list):
        hint = " (a string here becomes one-character texts)" if isinstance(value, str) else ""
        return f"expected a list, got {type(value).__name__}{hint}"
    want = str if kind == "texts" else (int, float)
    for item in value:
        if item is not None and (not isinstance(item, want) or isinstance(item, bool)):
            return f"expected {KINDS[kind]}, found {item!r} in the list"
    return None
