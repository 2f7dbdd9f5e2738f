"""`.json` arrays of records: read in seconds however deep a value is nested, up to the depth the JSON readers go."""

import resource
import subprocess
import sys
from pathlib import Path


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
