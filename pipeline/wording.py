"""Words that agree with a count, for every message and summary: '1 row has', '2,000 rows have'."""


def plural(count: int, one: str, many: str) -> str:
    """The word that agrees with `count`: 'row' for 1, 'rows' otherwise."""
    return one if count == 1 else many


def counted(count: int, one: str, many: str) -> str:
    """'1 row has' or '2,000 rows have': the count with the words that agree with it."""
    return f"{count:,} {plural(count, one, many)}"
