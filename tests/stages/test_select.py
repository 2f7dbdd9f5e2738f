import numpy as np
import pytest

from pipeline.config import MiningConfig
from pipeline.errors import ConfigError
from pipeline.stages.select import (
    Candidates,
    choose_negatives,
    copies_in_rows,
    relative_threshold,
    removal_masks,
    sampling_priority,
)


def make(scores, given=None, is_positive=None, positive_similarity=None, lowest=(0.8,), valid=None, neighbor=None):
    scores = np.array(scores, dtype=np.float32)
    shape = scores.shape
    return Candidates(
        scores=scores,
        valid=np.ones(shape, bool) if valid is None else np.array(valid),
        given=np.zeros(shape, bool) if given is None else np.array(given),
        is_positive=np.zeros(shape, bool) if is_positive is None else np.array(is_positive),
        positive_similarity=np.zeros(shape, np.float32)
        if positive_similarity is None
        else np.array(positive_similarity, np.float32),
        positive_neighbor=np.zeros(shape, bool) if neighbor is None else np.array(neighbor),
        lowest_positive=np.array(lowest, np.float32),
    )


def test_relative_threshold_is_sign_safe():
    assert relative_threshold(np.array([0.8]), 0.05)[0] == pytest.approx(0.76)
    # For a negative positive score the threshold must go down, not up (ST issue #3819).
    assert relative_threshold(np.array([-0.2]), 0.05)[0] == pytest.approx(-0.21)


def test_relative_margin_removes_candidates_above_95_percent_of_lowest_positive():
    candidates = make([[0.9, 0.77, 0.75, 0.1]], lowest=(0.8,))
    masks = removal_masks(candidates, MiningConfig(relative_margin=0.05))
    assert masks["above_relative_margin"].tolist() == [[True, True, False, False]]


def test_known_positive_and_near_duplicate_are_removed_and_counted_once():
    candidates = make(
        [[0.7, 0.6, 0.5]], is_positive=[[True, False, False]], positive_similarity=[[1.0, 0.99, 0.5]], lowest=(0.9,)
    )
    masks = removal_masks(candidates, MiningConfig(relative_margin=None, near_duplicate=0.98))
    assert masks["is_positive"].tolist() == [[True, False, False]]
    # The known positive is also a near-duplicate of itself but counts under its first reason only.
    assert masks["near_duplicate_of_positive"].tolist() == [[False, True, False]]


def test_a_near_copy_of_the_query_is_removed_even_without_a_margin_unless_trusted():
    # ST and FlagEmbedding mask the query's exact text at most; a copy of it (cosine 0.99) is the query itself.
    candidates = make([[0.99, 0.97, 0.5]], given=[[False, True, False]], lowest=(0.6,))
    masks = removal_masks(candidates, MiningConfig(relative_margin=None, near_duplicate=0.98))
    assert masks["near_copy_of_query"].tolist() == [[True, False, False]]
    candidates = make([[0.99, 0.98, 0.5]], given=[[False, True, False]], lowest=(0.6,))
    trusted = removal_masks(candidates, MiningConfig(relative_margin=None, trust_given_negatives=True))
    assert trusted["near_copy_of_query"].tolist() == [[True, False, False]]


def test_neighbors_of_a_positive_are_removed_after_the_margins_unless_turned_off_or_trusted():
    candidates = make([[0.9, 0.7, 0.6, 0.5]], given=[[False, False, True, False]],
                      neighbor=[[True, True, True, False]], lowest=(0.8,))
    masks = removal_masks(candidates, MiningConfig())
    # 0.9 is above 95% of 0.8 and counts under the margin; the other two neighbours under their own reason.
    assert masks["above_relative_margin"].tolist() == [[True, False, False, False]]
    assert masks["neighbor_of_positive"].tolist() == [[False, True, True, False]]
    assert "neighbor_of_positive" not in removal_masks(candidates, MiningConfig(positive_neighbors=0))
    trusted = removal_masks(candidates, MiningConfig(trust_given_negatives=True))
    assert trusted["neighbor_of_positive"].tolist() == [[False, True, False, False]]


def test_absolute_margin_and_score_bounds():
    candidates = make([[0.85, 0.75, 0.5, 0.05]], lowest=(0.8,))
    config = MiningConfig(relative_margin=None, absolute_margin=0.1, max_score=0.6, min_score=0.1)
    masks = removal_masks(candidates, config)
    assert masks["above_absolute_margin"].tolist() == [[True, True, False, False]]
    assert masks["below_min_score"].tolist() == [[False, False, False, True]]
    assert not masks["above_max_score"].any()  # 0.85 and 0.75 were already removed by the margin


def test_query_without_positive_removes_nothing_by_margin():
    candidates = make([[0.9, 0.1]], lowest=(np.nan,))
    assert not removal_masks(candidates, MiningConfig())["above_relative_margin"].any()


def test_trusted_given_negatives_skip_the_false_negative_filter():
    candidates = make([[0.95, 0.5]], given=[[True, False]], lowest=(0.8,))
    assert removal_masks(candidates, MiningConfig())["above_relative_margin"][0, 0]
    trusted = removal_masks(candidates, MiningConfig(trust_given_negatives=True))
    assert not trusted["above_relative_margin"][0, 0]


def test_choose_keeps_given_first_then_fills_with_top_mined():
    candidates = make([[0.3, 0.7, 0.6, 0.5, 0.4]], given=[[True, False, False, False, False]])
    kept = np.ones((1, 5), bool)
    chosen = choose_negatives(candidates, kept, MiningConfig(negatives=3))
    assert chosen.tolist() == [[True, True, True, False, False]]


def test_every_given_survivor_is_kept_beyond_k_where_asked():
    candidates = make([[0.3, 0.2, 0.1, 0.7, 0.6], [0.3, 0.7, 0.6, 0.5, 0.4]],
                      given=[[True, True, True, False, False], [True, False, False, False, False]], lowest=(0.8, 0.8))
    kept = np.array([[True, False, True, True, True], [True] * 5])  # the second given negative filtered out
    chosen = choose_negatives(candidates, kept, MiningConfig(negatives=1), every_given=True)
    assert chosen.tolist() == [[True, False, True, False, False], [True, False, False, False, False]]
    chosen = choose_negatives(candidates, kept, MiningConfig(negatives=3), every_given=True)
    assert chosen.tolist() == [[True, False, True, True, False], [True, True, True, False, False]]  # mined fill to K
    assert choose_negatives(candidates, kept, MiningConfig(negatives=1))[0].tolist() == [True, False, False, False,
                                                                                         False]


def test_given_sampling_picks_which_given_negatives_a_query_keeps_beyond_k():
    # input order: 0.2, 0.6 (filtered out), 0.5, 0.4, then one mined candidate
    candidates = make([[0.2, 0.6, 0.5, 0.4, 0.7]], given=[[True, True, True, True, False]])
    kept = np.array([[True, False, True, True, True]])
    first = choose_negatives(candidates, kept, MiningConfig(negatives=2))
    assert first.tolist() == [[True, False, True, False, False]]
    top = choose_negatives(candidates, kept, MiningConfig(negatives=2, given_sampling="top"))
    assert top.tolist() == [[False, False, True, True, False]]  # the two highest survivors, not the filtered 0.6
    fill = choose_negatives(candidates, kept, MiningConfig(negatives=4, given_sampling="top"))
    assert fill.tolist() == [[True, False, True, True, True]]  # all given survivors, then the mined one
    rows = make([[0.2, 0.5, 0.4, 0.3]] * 40, given=[[True] * 4] * 40, lowest=(0.8,) * 40)
    priority = sampling_priority(np.arange(40), np.tile(np.arange(4), (40, 1)), seed=7)
    drawn = choose_negatives(rows, np.ones((40, 4), bool), MiningConfig(negatives=2, given_sampling="random"),
                             priority)
    assert (drawn.sum(axis=1) == 2).all()
    assert len({tuple(row) for row in drawn.tolist()}) > 2  # neither the first two nor the top two every time
    assert (drawn == choose_negatives(rows, np.ones((40, 4), bool), MiningConfig(negatives=2, given_sampling="random"),
                                      priority)).all()
    nan = make([[0.9, np.nan, 0.5, 0.4]], given=[[False, True, True, False]])  # a NaN score is kept, ranked last
    assert choose_negatives(nan, np.ones((1, 4), bool), MiningConfig(negatives=2, given_sampling="top")).tolist() == [
        [False, True, True, False]]
    with pytest.raises(ValueError, match="priority"):
        choose_negatives(rows, np.ones((40, 4), bool), MiningConfig(negatives=2, given_sampling="random"))
    with pytest.raises(ConfigError, match="given_sampling"):
        MiningConfig(given_sampling="hardest")


def test_range_window_counts_only_surviving_mined_candidates():
    candidates = make([[0.9, 0.8, 0.7, 0.6, 0.5]])
    kept = np.array([[False, True, True, True, True]])
    chosen = choose_negatives(
        candidates,
        kept,
        MiningConfig(negatives=2, range_min=1, range_max=4),
    )
    assert chosen.tolist() == [[False, False, True, True, False]]


def test_random_sampling_is_seeded_and_stays_in_window():
    candidates = make([[0.9, 0.8, 0.7, 0.6, 0.5, 0.4]] * 50, lowest=(0.95,) * 50)
    kept = np.ones((50, 6), bool)
    config = MiningConfig(negatives=2, sampling="random", range_max=4)
    priority = sampling_priority(np.arange(50), np.tile(np.arange(6), (50, 1)), seed=7)
    first = choose_negatives(candidates, kept, config, priority)
    again = choose_negatives(
        candidates, kept, config, sampling_priority(np.arange(50), np.tile(np.arange(6), (50, 1)), 7)
    )
    assert (first == again).all()
    assert (first.sum(axis=1) == 2).all()
    assert not first[:, 4:].any()
    assert len({tuple(row) for row in first.tolist()}) > 1  # not always the top two


def test_fewer_survivors_than_k_gives_fewer():
    candidates = make([[0.5, 0.4, 0.3]])
    kept = np.array([[True, False, False]])
    chosen = choose_negatives(candidates, kept, MiningConfig(negatives=3))
    assert chosen.sum() == 1


def test_sampling_priority_depends_only_on_the_pair_and_seed():
    queries, docs = np.array([5, 9]), np.array([[1, 2, 3], [1, 2, 3]])
    both = sampling_priority(queries, docs, seed=1)
    alone = sampling_priority(queries[1:], docs[1:], seed=1)
    assert (both[1] == alone[0]).all()  # the other query does not change this query's draws
    assert ((both >= 0) & (both < 1)).all()
    assert not (sampling_priority(queries, docs, seed=2) == both).all()


def test_copies_in_rows_keep_the_earliest_of_one_text_and_never_match_padding():
    # documents 0..5; 3 is seen as 1 (they differ only in case), 5 as 4
    seen_as = np.array([0, 1, 2, 1, 4, 4])
    rows = np.array([[1, -1, 3, 2, 5, 4], [-1, -1, 0, 2, 1, 3]])
    valid = rows >= 0
    assert copies_in_rows(rows, valid, seen_as).tolist() == [[False, False, True, False, False, True],
                                                             [False, False, False, False, False, True]]
