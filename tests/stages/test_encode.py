"""The encoder keeps glibc's mmap threshold fixed, so freed activation tensors go back to the system."""

import ctypes
import subprocess
import sys

import pytest

PROBE = """
import ctypes, sys
class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                     "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.free.argtypes, libc.mallinfo2.restype = ctypes.c_void_p, [ctypes.c_void_p], MallInfo2
if sys.argv[1] == "fixed":
    from pipeline.stages.encode import fix_mmap_threshold
    fix_mmap_threshold()
libc.free(libc.malloc(8 << 20))  # freeing an 8 MiB mapped block raises glibc's dynamic threshold to 8 MiB
before = libc.mallinfo2().hblkhd
libc.malloc(1 << 20)
print(libc.mallinfo2().hblkhd - before >= 1 << 20)  # the 1 MiB block was mapped, so free() unmaps it
"""


def has_mallinfo2() -> bool:
    try:
        return hasattr(ctypes.CDLL("libc.so.6"), "mallinfo2")
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux") or not has_mallinfo2(), reason="glibc 2.33+ allocator")
def test_large_blocks_stay_mapped_after_a_larger_one_was_freed(monkeypatch):
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)

    def mapped(mode: str) -> bool:
        result = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True)
        return result.stdout.strip() == "True"

    assert mapped("fixed") and not mapped("dynamic")
