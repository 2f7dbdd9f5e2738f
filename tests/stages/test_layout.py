import polars as pl

from pipeline.output import choose_positives

POSITIVES = pl.DataFrame({"query_id": [1] * 6 + [2] * 6, "doc_id": list(range(10, 16)) + list(range(20, 26))},
                         schema={"query_id": pl.UInt64, "doc_id": pl.UInt64})


def test_all_and_first_positives():
    assert choose_positives(POSITIVES, "all", 0).equals(POSITIVES)
    assert choose_positives(POSITIVES, "first", 0)["doc_id"].to_list() == [10, 20]


def positions(picked: pl.DataFrame, query: int) -> list[int]:
    return sorted(d % 10 for d in picked.filter(pl.col("query_id") == query)["doc_id"])


def test_sample_picks_n_per_query_seeded_and_independently_per_query():
    picked = choose_positives(POSITIVES, "sample:2", seed=3)
    assert picked.group_by("query_id").len().sort("query_id")["len"].to_list() == [2, 2]
    assert picked.equals(choose_positives(POSITIVES, "sample:2", seed=3))
    draws = [choose_positives(POSITIVES, "sample:2", seed) for seed in range(10)]
    assert len({tuple(positions(d, 1)) for d in draws}) > 3  # the seed matters
    # Two queries with the same number of positives do not get the same positions every time.
    assert sum(positions(d, 1) != positions(d, 2) for d in draws) > 0


def test_sample_of_one_is_a_seeded_draw_not_the_first():
    draws = [choose_positives(POSITIVES, "sample:1", seed) for seed in range(10)]
    assert all(d.group_by("query_id").len()["len"].to_list() == [1, 1] for d in draws)
    assert {tuple(d["doc_id"]) for d in draws} != {(10, 20)}
