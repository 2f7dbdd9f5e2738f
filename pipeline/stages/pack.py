"""Group rows into conflict-free blocks of B (greedy first fit); every row gets a block.

Rows are placed hardest first (rows whose query group has the most rows) into the first open block they do not
conflict with; a block is closed when it holds B rows. What is left open at the end is merged where it fits and
returned as shorter blocks: a query with more rows than there are full blocks cannot be spread otherwise.
"""

from dataclasses import dataclass, field

MAX_OPEN_BLOCKS = 256


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


def pack_blocks(keys: list[frozenset], forbidden: list[frozenset], batch_size: int, priority: list[int],
                max_open: int = MAX_OPEN_BLOCKS) -> Packing:
    """`priority` is the order in which rows are placed; spreading the big conflict groups first keeps the most."""
    full: list[list[int]] = []
    open_blocks: list[_Block] = []
    deferred: list[int] = []
    for row in priority:
        if not _place(row, open_blocks, full, keys, forbidden, batch_size, max_open):
            deferred.append(row)
    # Second round: the rows of the emptiest open blocks, and deferred rows, fill the fullest open blocks.
    open_blocks.sort(key=lambda block: len(block.rows), reverse=True)
    pending = deferred + [row for block in open_blocks[1:] for row in block.rows]
    open_blocks = open_blocks[:1]
    for row in pending:
        _place(row, open_blocks, full, keys, forbidden, batch_size, max_open=len(pending) + 1)
    short = sorted((block.rows for block in open_blocks if block.rows), key=len, reverse=True)
    return Packing(full, short)


def _place(row: int, open_blocks: list[_Block], full: list[list[int]], keys: list[frozenset],
           forbidden: list[frozenset], batch_size: int, max_open: int) -> bool:
    block = next((b for b in open_blocks if b.fits(keys[row], forbidden[row])), None)
    if block is None:
        if len(open_blocks) >= max_open:
            return False
        block = _Block()
        open_blocks.append(block)
    block.add(row, keys[row], forbidden[row])
    if len(block.rows) == batch_size:
        full.append(block.rows)
        open_blocks.remove(block)
    return True
