"""Table files that are not what their suffix says are an input error that names the file, not a traceback."""

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.readers import read_dataset


@pytest.mark.parametrize("content", [b"not an arrow file\n", b"anch"])
def test_a_file_that_is_no_arrow_file_is_named(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "train.arrow"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"train\.arrow: not an Arrow file \(IPC file or stream format\)"):
        read_dataset(path)
