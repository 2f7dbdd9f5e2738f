"""Tables whose header names a column twice. Polars renames a CSV's second one (`anchor_duplicated_0`), so a reader
took the first without a word, and it panics on such an Arrow file: the repeated name is an error instead, for
Parquet too."""

from pathlib import Path

import polars as pl

from pipeline.errors import InputError


def refuse_repeated_names(path: Path, names: list[str]) -> None:
    """Unnamed columns aside (an index that pandas wrote, a header's trailing separator): no role maps to one."""
    seen: set[str] = set()
    repeated = next((name for name in names if name and (name in seen or seen.add(name))), None)
    if repeated is not None:
        first, second = [number for number, name in enumerate(names, start=1) if name == repeated][:2]
        raise InputError(path, f"names two columns '{repeated}' (columns {first} and {second}); rename one",
                         field=repeated)


def csv_header(path: Path) -> list[str]:
    """A CSV or TSV file's column names as its header line gives them, read as a row: Polars renames repeated names
    (`anchor_duplicated_0`); [] where it cannot be read (its scan says why)."""
    tsv = path.suffix.lower() == ".tsv"  # TSV has no quoting
    try:
        header = pl.read_csv(path, glob=False, has_header=False, n_rows=1, infer_schema=False,
                             separator="\t" if tsv else ",", quote_char=None if tsv else '"',
                             truncate_ragged_lines=True)
    except (pl.exceptions.PolarsError, OSError):
        return []
    return [value or "" for value in header.row(0)] if header.height else []


def refuse_missing_columns(columns: dict[Path, list[str]]) -> None:
    """Shards read as one table ({shard: its column names}) must have the same columns: one without a column that
    another has is named, with both (Polars' own error names neither, and advises an option of its API)."""
    for column in dict.fromkeys(name for names in columns.values() for name in names):
        having = next(shard for shard, names in columns.items() if column in names)
        lacking = next((shard for shard, names in columns.items() if column not in names), None)
        if lacking is not None:
            raise InputError(lacking, f"no such column, which {having.name} has: the folder's shards are read as one "
                             "table, so give every shard the same columns", field=column)
