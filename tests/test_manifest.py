"""The manifest's words for what mining skipped."""

import numpy as np

from pipeline.config import RunConfig
from pipeline.manifest import filter_summary
from pipeline.stages.mine import MiningResult


def test_the_margin_message_says_how_a_negative_positive_score_is_read():
    """With a positive scoring below 0 the sign-safe margin drops candidates above 105% of it, not 95%."""
    def message(scores: list[float]) -> str:
        mined = MiningResult(negatives=None, skipped={"mined": {"above_relative_margin": 3}}, candidates={"mined": 10},
                             positive_scores=np.array(scores, np.float32))
        [said] = filter_summary(mined, RunConfig())["mined"]["messages"]
        return said

    assert message([0.4, 0.8]) == "skipped 3 mined candidates (30.0%) above 95% of the query's lowest positive score"
    assert message([-0.1, 0.8]).endswith("above 95% of the query's lowest positive score (105% of one below 0: the "
                                         "margin is sign-safe)")


def test_one_skipped_candidate_is_singular_and_a_share_below_a_tenth_of_a_percent_is_not_zero():
    mined = MiningResult(negatives=None, skipped={"mined": {"above_relative_margin": 1}}, candidates={"mined": 5000},
                         positive_scores=np.array([0.5], np.float32))
    assert filter_summary(mined, RunConfig())["mined"]["messages"] == [
        "skipped 1 mined candidate (<0.1%) above 95% of the query's lowest positive score"]
