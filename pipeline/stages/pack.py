"""Order rows so that every consecutive block of B rows is conflict-free (greedy first fit).

Rows are placed, hardest first (rows whose query has the most rows), into the first open block they do not
conflict with; a full block is closed.
At the end the open blocks are merged where they fit: all blocks but the last are full, and rows that fit in
no block are returned as leftovers, never dropped.
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
    order: list[int]  # full blocks, then the last (shorter) block
    leftover: list[int]  # rows that fit in no block


def pack_blocks(keys: list[frozenset], forbidden: list[frozenset], batch_size: int, priority: list[int],
                max_open: int = MAX_OPEN_BLOCKS) -> Packing:
    """`priority` is the order in which rows are placed; spreading the big conflict groups first keeps the most."""
    full: list[list[int]] = []
    open_blocks: list[_Block] = []
    deferred: list[int] = []
    for row in priority:
        block = next((b for b in open_blocks if b.fits(keys[row], forbidden[row])), None)
        if block is None:
            if len(open_blocks) >= max_open:
                deferred.append(row)
                continue
            block = _Block()
            open_blocks.append(block)
        block.add(row, keys[row], forbidden[row])
        if len(block.rows) == batch_size:
            full.append(block.rows)
            open_blocks.remove(block)
    # Refill: the rows of the emptiest open blocks (and deferred rows) go into the fullest blocks that take them.
    open_blocks.sort(key=lambda b: len(b.rows), reverse=True)
    pending = deferred + [row for b in open_blocks[1:] for row in b.rows]
    targets = open_blocks[:1]
    leftover = []
    for row in pending:
        block = next((b for b in targets if len(b.rows) < batch_size and b.fits(keys[row], forbidden[row])), None)
        if block is None:
            block = _Block()
            targets.append(block)
        block.add(row, keys[row], forbidden[row])
        if len(block.rows) == batch_size:
            full.append(block.rows)
            targets.remove(block)
    # At most one short block may remain (the last batch); the rows of any other short block are leftovers.
    targets.sort(key=lambda b: len(b.rows), reverse=True)
    last = targets[0].rows if targets else []
    leftover.extend(row for b in targets[1:] for row in b.rows)
    return Packing([row for block in full for row in block] + last, sorted(leftover))
