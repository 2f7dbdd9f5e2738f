from pathlib import Path

import pytest
from mining_data import write_data


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, Path]:
    return write_data(tmp_path)
