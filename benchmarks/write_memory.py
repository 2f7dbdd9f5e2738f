"""The write's memory with long texts: `prep convert` to n-tuple of a BEIR folder whose ~1,000-byte documents are
held once, while the output repeats them in every row (as `prep run`'s mined negatives do). The rows converted to
Arrow a slice at a time (prep's write) against the whole output at once (the anchor: the write as it was,
SLICE_BYTES set beyond the output), each in its own child, alternating.

Prints wall time, peak RSS (VmHWM, which counts the pages of the Arrow file that datasets maps while it shards it:
the system reclaims those under pressure) and the peak of anonymous memory (RssAnon, sampled every 5 ms: what the
process cannot give back). With --limit-mib, each child also runs in a memory cgroup of that size (cgroup v1 or
v2, where this user may create one) and the line says whether it finished or was killed.

    python benchmarks/write_memory.py --rows 200000 --limit-mib 600
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CHILD = """
import json, sys, threading, time
import pipeline.stages.arrow_rows as arrow_rows
if sys.argv[1] == "whole":
    arrow_rows.SLICE_BYTES = 2**62
peak = [0]
def sample():
    while True:
        for line in open("/proc/self/status"):
            if line.startswith("RssAnon"):
                peak[0] = max(peak[0], int(line.split()[1]))
        time.sleep(0.005)
threading.Thread(target=sample, daemon=True).start()
from pipeline.cli import main
sys.argv = ["prep", "convert", sys.argv[2], "--to", "n-tuple", "--out", sys.argv[3]]
try:
    main()
except SystemExit as done:
    if done.code:
        raise
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"hwm": hwm / 1024, "anon": peak[0] / 1024}))
"""


def write_beir(folder: Path, rows: int, pool: int, length: int) -> int:
    """A BEIR folder: `pool` documents held once in corpus.jsonl, `rows` queries with one positive and three
    negatives each in qrels (score 0: judged not relevant), so that the output repeats the documents row by row."""
    rng = np.random.default_rng(12)
    words = np.array([f"w{i:05d}" for i in range(20_000)])
    (folder / "qrels").mkdir(parents=True)
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as file:
        for i in range(pool):
            text = " ".join(rng.choice(words, length // 7))
            file.write(json.dumps({"_id": f"d{i}", "title": "", "text": text}) + "\n")
    with (folder / "queries.jsonl").open("w", encoding="utf-8") as file:
        for i in range(rows):
            file.write(json.dumps({"_id": f"q{i}", "text": f"query {i} " + " ".join(rng.choice(words, 8))}) + "\n")
    picks = rng.integers(0, pool, (rows, 4))
    with (folder / "qrels" / "train.tsv").open("w", encoding="utf-8") as file:
        file.write("query-id\tcorpus-id\tscore\n")
        for i, row in enumerate(picks):
            file.write("".join(f"q{i}\td{doc}\t{int(j == 0)}\n" for j, doc in enumerate(row)))
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def memory_group(limit_mib: int | None) -> Path | None:
    """A memory cgroup of `limit_mib` this process may move a child into, or None."""
    if limit_mib is None:
        return None
    for root, limit in (("/sys/fs/cgroup/memory", "memory.limit_in_bytes"), ("/sys/fs/cgroup", "memory.max")):
        group = Path(root) / f"prep-write-memory-{os.getpid()}"
        try:
            group.mkdir(exist_ok=True)
            (group / limit).write_text(str(limit_mib * 2**20))
            return group
        except OSError:
            continue
    print(f"no memory cgroup can be made here: --limit-mib {limit_mib} ignored")
    return None


def run(mode: str, data: Path, out: Path, group: Path | None) -> str:
    enter = f"echo $$ > {group}/cgroup.procs; " if group else ""
    start = time.perf_counter()
    done = subprocess.run(["bash", "-c", enter + 'exec "$@"', "bash", sys.executable, "-c", CHILD, mode, str(data),
                           str(out)], capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    wall = time.perf_counter() - start
    if done.returncode in (137, -9):
        return f"{mode:6} killed after {wall:6.1f} s (out of memory)"
    if done.returncode:
        raise SystemExit(f"{mode} failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return f"{mode:6} {wall:6.1f} s  peak RSS {figures['hwm']:7,.0f} MiB  peak anonymous {figures['anon']:7,.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pool", type=int, default=50_000, help="distinct documents the rows draw from")
    parser.add_argument("--length", type=int, default=1_000, help="bytes per document")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--limit-mib", type=int, help="also run each child in a memory cgroup of this size")
    args = parser.parse_args()
    group = memory_group(args.limit_mib)
    with tempfile.TemporaryDirectory(prefix="prep-write-") as folder:
        data = Path(folder) / "beir"
        size = write_beir(data, args.rows, args.pool, args.length)
        print(f"{args.rows:,} queries, each with four documents of ~{args.length:,} bytes from {args.pool:,} (BEIR, "
              f"{size / 2**20:,.0f} MiB): an output of {args.rows * 4 * args.length / 2**20:,.0f} MiB of documents"
              + (f"; memory cgroup of {args.limit_mib:,} MiB" if group else ""))
        for attempt in range(args.repeat):
            for mode in ("whole", "slices"):
                print(run(mode, data, Path(folder) / f"out-{mode}-{attempt}", group), flush=True)
    if group:
        group.rmdir()


if __name__ == "__main__":
    main()
