"""JSON objects that give a key twice. Python's json keeps the last value, Polars the first, and pyarrow (so
`datasets`, for JSON Lines) refuses the line: prep names the line and field rather than choose one value."""

from collections.abc import Collection


class JsonObject(dict):
    """A parsed JSON object that remembers the keys its text gave twice, in order."""

    repeated: tuple[str, ...] = ()


def json_object(pairs: list[tuple[str, object]]) -> JsonObject:
    """`object_pairs_hook` for `json.loads`: a JsonObject that knows its repeated keys."""
    found = JsonObject(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        found.repeated = tuple(dict.fromkeys(key for key, _ in pairs if key in seen or seen.add(key)))
    return found


def repeated_key(record: object, fields: Collection[str] | None = None) -> tuple[str, str] | None:
    """(field, message) for the first top-level field of `record` (of `fields`; None: any) that is given twice, or
    whose value (an object, or a list of them) gives a key twice. A field prep does not read may repeat a key."""
    if not isinstance(record, JsonObject):
        return None
    if repeat := next((key for key in record.repeated if fields is None or key in fields), None):
        return repeat, "is given twice in one object; give each field once"
    for field, value in record.items():
        if (fields is None or field in fields) and (key := _inner_repeat(value)) is not None:
            return field, f"gives the key '{key}' twice in one object inside it; give each key once"
    return None


def _inner_repeat(value: object) -> str | None:
    if isinstance(value, JsonObject):
        if value.repeated:
            return value.repeated[0]
        value = list(value.values())
    if isinstance(value, list):
        return next((key for item in value if (key := _inner_repeat(item)) is not None), None)
    return None
