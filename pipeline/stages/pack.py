"""Group rows into conflict-free blocks of B, filled one block at a time; every row gets a block.

Rows of one query all conflict, so a query with g rows needs g blocks, and packing fails when big queries are left
for the end. Each block therefore takes the next row of the queries with the most rows left (the rule that leaves
the fewest rows over when only same-query rows conflict), skipping a query whose row conflicts with the block. Once
fewer queries are left than a block holds, the blocks fall short: those rows are merged where they fit and returned
as shorter blocks, largest first.
"""

import heapq
from dataclasses import dataclass, field

MAX_MISSES = 256  # rows tried and refused per block beyond B: bounds the work of a block whatever the conflicts
MAX_OPEN_BLOCKS = 64  # the newest short blocks a leftover row is tried against when they are merged


@dataclass
class _Block:
    rows: list[int] = field(default_factory=list)
    keys: set = field(default_factory=set)
    forbidden: set = field(default_factory=set)

    def fits(self, keys: frozenset, forbidden: frozenset) -> bool:
        return self.keys.isdisjoint(forbidden) and self.forbidden.isdisjoint(keys)

    def add(self, row: int, keys: frozenset, forbidden: frozenset) -> None:
        self.rows.append(row)
        self.keys |= keys
        self.forbidden |= forbidden


@dataclass(frozen=True)
class Packing:
    full: list[list[int]]  # blocks of exactly B rows
    short: list[list[int]]  # conflict-free blocks of fewer rows, largest first

    @property
    def order(self) -> list[int]:
        return [row for block in self.full + self.short for row in block]


def pack_blocks(keys: list[frozenset], forbidden: list[frozenset], groups: list, batch_size: int) -> Packing:
    """`groups`: a label per row (its query); rows with the same label go to different blocks, in row order."""
    rows_of: dict = {}
    for row, group in enumerate(groups):
        rows_of.setdefault(group, []).append(row)
    # (-rows left, -forbidden ids, first row, group): the most rows left first, then the most constrained
    heap = [(-len(rows), -len(forbidden[rows[0]]), rows[0], group) for group, rows in rows_of.items()]
    heapq.heapify(heap)
    taken = dict.fromkeys(rows_of, 0)
    full: list[list[int]] = []
    short: list[list[int]] = []
    while heap:
        block, back, misses = _Block(), [], 0
        while heap and len(block.rows) < batch_size and misses < batch_size + MAX_MISSES:
            entry = heapq.heappop(heap)
            row = rows_of[entry[3]][taken[entry[3]]]
            if block.fits(keys[row], forbidden[row]):
                block.add(row, keys[row], forbidden[row])
                taken[entry[3]] += 1
                entry = (entry[0] + 1, *entry[1:])
            else:
                misses += 1
            if entry[0] < 0:  # back after the block, so that a query gives it one row at most
                back.append(entry)
        for entry in back:
            heapq.heappush(heap, entry)
        (full if len(block.rows) == batch_size else short).append(block.rows)
    merged = _merge(short, keys, forbidden, batch_size)
    full.extend(block for block in merged if len(block) == batch_size)
    return Packing(full, sorted((block for block in merged if len(block) < batch_size), key=len, reverse=True))


def _merge(blocks: list[list[int]], keys: list[frozenset], forbidden: list[frozenset],
           batch_size: int) -> list[list[int]]:
    """The rows of the short blocks placed again, those of the largest blocks first, each into the first block it
    fits among the newest MAX_OPEN_BLOCKS open ones: blocks cut short by conflicts fill each other. The newest, as
    the oldest fill up with conflicts and would leave every later row a block of its own."""
    placed: list[list[int]] = []
    open_blocks: list[_Block] = []
    for row in (row for block in sorted(blocks, key=len, reverse=True) for row in block):
        block = next((b for b in open_blocks if b.fits(keys[row], forbidden[row])), None)
        if block is None:
            block = _Block()
            open_blocks.append(block)
            if len(open_blocks) > MAX_OPEN_BLOCKS:  # closed, and its sets freed: they grow with the rows it holds
                placed.append(open_blocks.pop(0).rows)
        block.add(row, keys[row], forbidden[row])
        if len(block.rows) == batch_size:
            placed.append(block.rows)
            open_blocks.remove(block)
    return placed + [block.rows for block in open_blocks]
