"""`.json` arrays of records: read in seconds however deep a value is nested, up to the depth the JSON readers go."""

import math
import resource
import subprocess
import sys
from pathlib import Path

import polars as pl

from pipeline.readers.json_arrays import json_array_schema, read_json_array


def test_a_json_array_nested_950_levels_deep_reads_in_seconds(tmp_path: Path) -> None:
    """Its schema came from pl.from_dicts, whose time and memory grow with the cube of a value's nesting: 950 levels
    took minutes and 11 GB (JSON Lines as deep, read by Polars' JSON reader, a tenth of a second)."""
    path = tmp_path / "deep.json"
    path.write_text('[{"query": "q", "pos": ["p"], "neg": ["n"], "x": ' + "[" * 950 + "]" * 950 + "}]")
    code = ("import sys; from pipeline.readers import read_dataset; "
            "print(read_dataset(sys.argv[1]).queries['text'].to_list())")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).parents[2], preexec_fn=_memory_limit)
    assert (result.returncode, result.stdout) == (0, "['q']\n"), result.stderr[-2000:]


def _memory_limit() -> None:
    """A 3 GB heap: without the fix the read fails (on this or the timeout) rather than take 11 GB of the machine."""
    resource.setrlimit(resource.RLIMIT_DATA, (3 << 30, 3 << 30))


def test_a_json_array_holding_nan_or_infinity_is_read_as_floats(tmp_path: Path) -> None:
    """Python's json reads NaN and Infinity, Polars' JSON reader refuses them: the schema, inferred from the records
    re-written as JSON Lines, failed with 'InternalError(TapeError)', so lint could not name the row (non-finite-score)
    and report could not say 'row 1, field 'score': is NaN'."""
    path = tmp_path / "nan.json"
    path.write_text('[{"sentence1": "NaN", "sentence2": "b", "score": NaN, "x": {"y": [-Infinity]}},'
                    ' {"sentence1": "c", "sentence2": "d", "score": 0.5, "x": {"y": [Infinity, 1.5]}}]')
    assert json_array_schema(path) == pl.Schema({"sentence1": pl.String, "sentence2": pl.String, "score": pl.Float64,
                                                 "x": pl.Struct({"y": pl.List(pl.Float64)})})
    scores = read_json_array(path, {})["score"].to_list()
    assert math.isnan(scores[0]) and scores[1] == 0.5
