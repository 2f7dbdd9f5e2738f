"""`.json` files holding one array of records: parsed whole by Python's json (an array cannot stream) and checked
record by record."""

import json
import math
from pathlib import Path

import polars as pl

from pipeline.errors import InputError
from pipeline.readers.json_errors import describe_record
from pipeline.readers.json_fields import too_deep
from pipeline.readers.json_keys import json_object
from pipeline.readers.json_types import type_change


def read_json_array(path: Path, expected: dict[str, str]) -> pl.DataFrame:
    """A `.json` file holding one array of objects; it cannot stream, so it is checked record by record."""
    records = _json_records(path, expected)
    names = [name for name in expected if any(name in record for record in records)] if expected else None
    return pl.from_dicts(records, schema=names, infer_schema_length=None)


def json_array_schema(path: Path) -> pl.Schema:
    """The fields and types of a `.json` array's records, inferred by Polars' JSON Lines reader from the records as
    lines: `pl.from_dicts` takes time and memory that grow with the cube of a value's nesting (950 levels: minutes,
    11 GB), Polars' JSON schema inference does not (a tenth of a second)."""
    records = _json_records(path, {})
    try:
        try:
            lines = _as_lines(records)
        except ValueError:  # NaN or Infinity, which Python's json reads and Polars' JSON reader refuses
            lines = _as_lines([_finite(record) for record in records])
    except RecursionError:  # json.dumps goes a little less deep than json.loads
        row, field, message = too_deep(path.read_bytes().decode("utf-8-sig"), records=True)
        raise InputError(path, message, row=row, field=field) from None
    return pl.scan_ndjson(lines, infer_schema_length=None).collect_schema() if lines else pl.Schema()


def _as_lines(records: list) -> bytes:
    """The records as JSON Lines, refusing (ValueError) a NaN or Infinity, which Polars' JSON reader cannot read."""
    return b"".join(json.dumps(record, ensure_ascii=False, allow_nan=False).encode() + b"\n" for record in records)


def _finite(value: object) -> object:
    """`value` with each NaN or Infinity as 0.0: for the schema only, a float of the same type (the data is read
    from the records as they are, so non-finite-score still names the row)."""
    if isinstance(value, float) and not math.isfinite(value):
        return 0.0
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def _json_records(path: Path, expected: dict[str, str]) -> list:
    """The records of a `.json` array, each checked to hold the `expected` kinds (with none expected, each field
    to keep its kind from record to record)."""
    text = ""
    try:
        # a byte order mark is skipped; a key given twice is named, not read as its last value
        text = path.read_bytes().decode("utf-8-sig")
        records = json.loads(text, object_pairs_hook=json_object)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(path, f"invalid JSON: {error}") from None
    except RecursionError:  # nested deeper than Python's json goes: found from its tokens
        row, field, message = too_deep(text, records=True)
        raise InputError(path, message, row=row, field=field) from None
    if not isinstance(records, list):
        raise InputError(path, "expected a JSON array of objects or one object per line")
    seen: dict[str, tuple[str, int]] = {}
    for number, record in enumerate(records, start=1):
        problem = describe_record(record, expected) or (None if expected else type_change(record, number, seen, "row"))
        if problem:
            field, message = problem
            raise InputError(path, message, row=number, field=field)
    return records
