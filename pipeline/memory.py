"""What the allocators keep resident after memory is freed, and how to make them let go: glibc's, where prep runs
on it (elsewhere than Linux with glibc those functions do nothing), and Polars' own (jemalloc)."""

import ctypes
import functools
import os
import sys

M_MMAP_THRESHOLD, MMAP_THRESHOLD = -3, 128 * 1024  # glibc's mallopt parameter and its initial value
POLARS_MALLOC_CONF = "_RJEM_MALLOC_CONF"  # read once, when Polars' library loads
RETURN_AT_ONCE = "dirty_decay_ms:0,muzzy_decay_ms:0"
# What `import polars` writes into os.environ before the value it found there (POLARS_THP=1 adds the second), and so
# what a script or notebook that imported Polars passes on to the `prep run` it starts: Polars' setting, not the user's.
POLARS_OWN = ("dirty_decay_ms:500,muzzy_decay_ms:1000", ",thp:always,metadata_thp:always")


def return_polars_pages_at_once(argv: list[str]) -> None:
    """For `prep run`, have Polars' allocator give freed pages back to the system at once. Polars sets its jemalloc
    to return them after 0.5-1 s, but jemalloc does so only when it is next called, so a stage's freed intermediates
    stayed resident through the torch and FAISS work after it: with this, 1M queries against a 1M-text corpus
    peaked at 1,943 MiB instead of 2,052, the read at 1,085 instead of 1,307. It costs Polars' work 10-15% more time
    (`prep report` of 1M rows), which is about 1% of a run's and would put `prep report`'s 10 s target at risk, so
    only `run` sets it (benchmarks/RESULTS.md). It takes effect only before Polars is imported; a value the user
    set is kept."""
    if argv[1:2] != ["run"]:
        return
    users = os.environ.get(POLARS_MALLOC_CONF, "")
    for own in POLARS_OWN:
        users = users.removeprefix(own)
    if not users.strip(","):
        os.environ[POLARS_MALLOC_CONF] = RETURN_AT_ONCE


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """The C library this process runs on, if it is glibc (musl and macOS have neither function)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None)
    return libc if hasattr(libc, "gnu_get_libc_version") and hasattr(libc, "malloc_trim") else None


def fix_mmap_threshold() -> None:
    """Keep glibc's mmap threshold at its initial 128 KiB. glibc raises it each time a large block is freed, so
    that torch's activation tensors, of a new size with each length-sorted batch, then come from the heap, whose
    freed fragments stay resident: 1,050-1,110 MiB peak for 1,500 SciFact abstracts, 868 MiB with the threshold
    fixed. It costs time, fresh pages for each large tensor: 12-20% more for fp32 encoding, 82% more for bf16 on a
    CPU with AMX, so only the fp32 backend fixes it (benchmarks/RESULTS.md). Where MALLOC_MMAP_THRESHOLD_ already
    sets it, this does nothing."""
    if "MALLOC_MMAP_THRESHOLD_" not in os.environ and (libc := _glibc()) is not None:
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def release_free_memory() -> None:
    """Give the free pages inside glibc's heap back to the system (`malloc_trim`). A FAISS IVF index keeps its
    vectors in one small block per list, so a dropped index leaves its whole size free but resident in the heap,
    which Polars (its own allocator) never reuses: in a run of 1M queries against 1M documents (64-d), 165-172 MiB
    came back after the query index, 311 MiB after the corpus index and vectors (benchmarks/RESULTS.md)."""
    if (libc := _glibc()) is not None:
        libc.malloc_trim(0)
