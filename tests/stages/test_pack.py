"""pack_blocks on hand-made keys and forbidden sets: every row once, no conflict, as many full blocks as can be."""

import random

import pytest

from pipeline.stages.pack import pack_blocks


def query_rows(sizes: list[int], near_duplicates: tuple[tuple[int, int], ...] = ()) -> tuple[list, list, list]:
    """Rows of queries 0.. with `sizes[q]` rows each, row i holding document 1000 + i; near-duplicate queries
    forbid each other, as `forbidden_ids` writes them."""
    related = {query: {query} for query in range(len(sizes))}
    for first, second in near_duplicates:
        related[first].add(second)
        related[second].add(first)
    groups = [query for query, size in enumerate(sizes) for _ in range(size)]
    keys = [frozenset({query, 1000 + row}) for row, query in enumerate(groups)]
    forbidden = [frozenset(related[query]) for query in groups]
    return keys, forbidden, groups


def conflict(first: int, second: int, keys: list, forbidden: list) -> bool:
    return bool(keys[first] & forbidden[second] or keys[second] & forbidden[first])


def check(packing, keys: list, forbidden: list, batch_size: int) -> None:
    """Every row placed once, full blocks of B, shorter blocks, no two rows of a block in conflict: checked pair by
    pair, not with the packer's own sets."""
    assert sorted(packing.order) == list(range(len(keys)))
    assert all(len(block) == batch_size for block in packing.full)
    assert all(0 < len(block) < batch_size for block in packing.short)
    for block in packing.full + packing.short:
        assert not any(conflict(a, b, keys, forbidden) for i, a in enumerate(block) for b in block[i + 1:])


def test_equal_queries_fill_every_block():
    # First fit, big queries first, put queries 0 and 1 in blocks 1 and 2, then query 2's two rows could only share
    # a third block: 2 full blocks and 2 short ones. Two rows of the queries with most left per block fill 3.
    keys, forbidden, groups = query_rows([2, 2, 2])
    packing = pack_blocks(keys, forbidden, groups, 2)
    check(packing, keys, forbidden, 2)
    assert (len(packing.full), packing.short) == (3, [])


def test_a_query_with_more_rows_than_full_blocks_takes_one_row_of_each_short_block():
    keys, forbidden, groups = query_rows([7, 1, 1])
    packing = pack_blocks(keys, forbidden, groups, 3)
    check(packing, keys, forbidden, 3)
    assert [len(block) for block in packing.full + packing.short] == [3, 1, 1, 1, 1, 1, 1]


def test_near_duplicate_queries_never_share_a_block():
    keys, forbidden, groups = query_rows([3, 3, 2, 2, 2], near_duplicates=((0, 1), (2, 3)))
    packing = pack_blocks(keys, forbidden, groups, 3)
    check(packing, keys, forbidden, 3)
    # queries 0 and 1 hold 6 rows that need 6 blocks, 2 and 3 hold 4: as queries of 6, 4 and 2 rows, 2 full blocks
    assert (len(packing.full), len(packing.short)) == (2, 4)


@pytest.mark.parametrize("seed", range(20))
def test_same_query_conflicts_only_give_the_most_full_blocks_there_can_be(seed: int):
    generator = random.Random(seed)
    sizes = [generator.choice([1, 1, 2, 3, 5, 12]) for _ in range(generator.randint(5, 60))]
    batch_size = generator.choice([2, 3, 5, 8, 16])
    keys, forbidden, groups = query_rows(sizes)
    packing = pack_blocks(keys, forbidden, groups, batch_size)
    check(packing, keys, forbidden, batch_size)
    # F full blocks hold at most min(size, F) rows of each query: the largest F with room for F * B rows
    bound = max(f for f in range(len(keys) // batch_size + 1) if sum(min(s, f) for s in sizes) >= f * batch_size)
    assert len(packing.full) == bound
    # the fewest shorter blocks: one per row a query has beyond the full blocks, and B - 1 rows per block at most
    left = len(keys) - bound * batch_size
    assert len(packing.short) == max([-(-left // (batch_size - 1))] + [s - bound for s in sizes])


@pytest.mark.parametrize("seed", range(10))
def test_cross_query_conflicts_are_kept_apart_and_the_result_is_deterministic(seed: int):
    generator = random.Random(seed)
    sizes = [generator.randint(1, 6) for _ in range(40)]
    pairs = tuple((generator.randrange(40), generator.randrange(40)) for _ in range(15))
    keys, forbidden, groups = query_rows(sizes, near_duplicates=pairs)
    # a row whose negative is another query's positive conflicts with that query's rows
    keys = [key | {1000 + generator.randrange(len(keys))} for key in keys]
    forbidden = [bans | {1000 + row for row, query in enumerate(groups) if query == groups[index]}
                 for index, bans in enumerate(forbidden)]
    packing = pack_blocks(keys, forbidden, groups, 8)
    check(packing, keys, forbidden, 8)
    assert pack_blocks(keys, forbidden, groups, 8) == packing
