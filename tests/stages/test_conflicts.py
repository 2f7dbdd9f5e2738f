"""The conflict rule, clause by clause, on hand-made rows; and the packing that removes conflicts."""

import numpy as np
import polars as pl

from pipeline.stages.conflicts import conflicting_pairs, count_conflicts, forbidden_ids, row_sets
from pipeline.stages.dedupe import Links
from pipeline.stages.pack import pack_blocks

# ids: queries 1..4, documents 10..19. Query 2 is a paraphrase of query 1 (same cluster).
QUERY_IDS = pl.Series([1, 2, 3, 4], dtype=pl.UInt64)
QUERY_LINKS = Links(np.array([0, 1]), np.array([1, 0]), 4)  # rows of QUERY_IDS
DOC_IDS = pl.Series([10, 11, 12, 13, 14, 15, 16, 3], dtype=pl.UInt64)  # document 3 is query 3's text
DOC_LINKS = Links(np.array([3, 4]), np.array([4, 3]), 8)  # 14 is a near-duplicate of 13
POSITIVES = pl.DataFrame({"query_id": [1, 2, 3, 4], "doc_id": [10, 11, 12, 13]},
                         schema={"query_id": pl.UInt64, "doc_id": pl.UInt64})


def sets(rows):
    forbidden = forbidden_ids(QUERY_IDS, QUERY_LINKS, DOC_IDS, DOC_LINKS, POSITIVES)
    frame = pl.DataFrame({"anchor_id": [r[0] for r in rows], "text_ids": [r[1] for r in rows]},
                         schema={"anchor_id": pl.UInt64, "text_ids": pl.List(pl.UInt64)})
    return row_sets(frame, forbidden)


def conflicts(*rows):
    keys, forbidden = sets(list(rows))
    return conflicting_pairs(list(range(len(rows))), keys, forbidden)


def test_unrelated_rows_do_not_conflict():
    assert conflicts((1, [10, 15]), (3, [12, 16])) == 0


def test_same_query_cluster_conflicts():
    assert conflicts((1, [10, 15]), (2, [11, 16])) == 1


def test_a_text_that_is_a_positive_of_the_other_rows_cluster_conflicts():
    # Row 2's negative 11 is the positive of query 2, which is in query 1's cluster.
    assert conflicts((4, [13, 11]), (1, [10, 15])) == 1


def test_a_text_that_is_the_other_rows_anchor_conflicts():
    # Document 3 has the same text as query 3.
    assert conflicts((1, [10, 3]), (3, [12, 16])) == 1


def test_a_near_duplicate_of_the_other_rows_positive_conflicts():
    # 14 is a near-duplicate of 13, query 4's positive.
    assert conflicts((3, [12, 14]), (4, [13, 16])) == 1


def test_a_text_that_is_a_near_copy_of_the_other_rows_anchor_conflicts():
    # Document 15 is a near-copy of query 1's text; query 2, in query 1's cluster, forbids it too.
    copies = pl.DataFrame({"query_id": [1], "doc_id": [15]}, schema={"query_id": pl.UInt64, "doc_id": pl.UInt64})
    forbidden = forbidden_ids(QUERY_IDS, QUERY_LINKS, DOC_IDS, DOC_LINKS, POSITIVES, copies)
    assert 15 in forbidden[1] and 15 in forbidden[2] and 15 not in forbidden[3]
    frame = pl.DataFrame({"anchor_id": [1, 3], "text_ids": [[10, 16], [12, 15]]},
                         schema={"anchor_id": pl.UInt64, "text_ids": pl.List(pl.UInt64)})
    assert conflicting_pairs([0, 1], *row_sets(frame, forbidden)) == 1
    assert conflicts((1, [10, 16]), (3, [12, 15])) == 0  # without the copy, they do not


def test_shared_negatives_do_not_conflict():
    assert conflicts((1, [10, 16]), (3, [12, 16])) == 0


def test_packing_separates_conflicting_rows_and_keeps_all_rows():
    rows = [(1, [10, 15]), (2, [11, 15]), (3, [12, 16]), (4, [13, 16]), (1, [10, 16]), (3, [12, 15])]
    keys, forbidden = sets(rows)
    assert count_conflicts(list(range(6)), 2, keys, forbidden) > 0
    packing = pack_blocks(keys, forbidden, [anchor for anchor, _ in rows], 2)
    assert sorted(packing.order) == list(range(6))
    assert count_conflicts(packing.order, 2, keys, forbidden) == 0
    assert len(packing.full) == 3 and packing.short == []


def test_rows_of_one_cluster_beyond_the_full_blocks_get_shorter_blocks():
    # Three rows of one query cluster need three blocks, but five rows make one full block of 3.
    rows = [(1, [10, 15]), (2, [11, 16]), (1, [10, 16]), (3, [12, 15]), (4, [13, 15])]
    keys, forbidden = sets(rows)
    packing = pack_blocks(keys, forbidden, [anchor for anchor, _ in rows], 3)
    assert sorted(packing.order) == list(range(5))
    assert [len(block) for block in packing.full] == [3]
    assert len(packing.short) == 2
    assert all(conflicting_pairs(block, keys, forbidden) == 0 for block in packing.full + packing.short)


def test_conflicting_pairs_equal_a_pair_by_pair_count_on_random_rows():
    rng = np.random.default_rng(0)
    for _ in range(50):
        rows = int(rng.integers(2, 12))
        keys = [frozenset(rng.integers(0, 30, int(rng.integers(1, 5))).tolist()) for _ in range(rows)]
        forbidden = [frozenset(rng.integers(0, 30, int(rng.integers(1, 20))).tolist()) for _ in range(rows)]
        expected = sum(bool(keys[a] & forbidden[b] or keys[b] & forbidden[a])
                       for a in range(rows) for b in range(a + 1, rows))
        assert conflicting_pairs(list(range(rows)), keys, forbidden) == expected
