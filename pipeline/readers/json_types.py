"""Which JSON type a field has from line to line: a field whose type changes makes a JSON Lines column impossible to
type, and the error names the line where it changes."""

import json

JSON_TYPES = {str: "string", list: "list", dict: "object", bool: "boolean"}  # otherwise a number


def line_type_change(raw: bytes, number: int, seen: dict[str, tuple[str, int]],
                     only: str | None = None, by_item: bool = False) -> tuple[str, str] | None:
    """A field (any, or `only`) whose JSON type differs from the one it had on an earlier line (nulls aside):
    what makes the columns of a JSON Lines file impossible to type."""
    try:
        record = json.loads(raw) if raw.strip() else {}
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):  # json_errors names these lines
        return None
    if only is not None:
        record = {only: record.get(only)} if isinstance(record, dict) else {}
    return type_change(record, number, seen, by_item=by_item)


def type_change(record: object, number: int, seen: dict[str, tuple[str, int]],
                unit: str = "line", by_item: bool = False) -> tuple[str, str] | None:
    """The first field whose JSON type differs from an earlier record's; `by_item` tells lists of strings from
    lists of numbers."""
    for field, value in record.items() if isinstance(record, dict) else ():
        if value is None:
            continue
        kind = _json_kind(value) if by_item else JSON_TYPES.get(type(value), "number")
        first, earlier = seen.setdefault(field, (kind, number))
        if first == "list" and kind.startswith("list of "):
            seen[field] = (kind, number)  # an empty (or all-null) list says nothing of its items' type
        elif first != kind and not (kind == "list" and first.startswith("list of ")):
            where = f"{'on' if unit == 'line' else 'in'} {unit} {earlier}"
            return field, f"is {_a(kind)} here but {_a(first)} {where}; give a field one type throughout"
    return None


def _a(kind: str) -> str:
    """The kind with its article: 'an object', 'a list'."""
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _json_kind(value: object) -> str:
    """The JSON type of a value; a list's names the type of its first item that is not null (lists of strings and
    lists of numbers are columns of two types), a bare "list" when it has none."""
    kind = JSON_TYPES.get(type(value), "number")
    if isinstance(value, list):
        item = next((item for item in value if item is not None), None)
        if item is not None:
            return f"list of {JSON_TYPES.get(type(item), 'number')}s"
    return kind
