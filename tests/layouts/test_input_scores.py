"""The note on input scores the output does not hold: graded scores only, and only where --scores could keep them
(convert) or where prep run's scores replace them."""

import polars as pl
import pytest

from pipeline.config import LayoutConfig
from pipeline.layouts.input_scores import (
    FLAG_DISTILLATION_NOTE,
    KL_DIVERGENCE_NOTE,
    convert_scores_note,
    has_graded_scores,
    run_scores_note,
)
from pipeline.layouts.selection import Selection

LABELS = "the input has scores; --scores keeps them, without it positives are 1.0 and negatives 0.0"


def links(*scores: float | None) -> pl.DataFrame:
    return pl.DataFrame({"query_id": pl.Series(range(len(scores)), dtype=pl.UInt64),
                         "doc_id": pl.Series(range(10, 10 + len(scores)), dtype=pl.UInt64),
                         "score": pl.Series(scores, dtype=pl.Float64)})


def selection(positives: pl.DataFrame, negatives: pl.DataFrame) -> Selection:
    ranked = negatives.with_columns(rank=pl.lit(1, pl.UInt32), source=pl.lit("input"))
    return Selection(pl.DataFrame(), pl.DataFrame(), positives, ranked, 3)


def test_only_scores_other_than_1_and_0_are_graded() -> None:
    assert has_graded_scores(links(4.5, 1.0), links(0.0))
    assert has_graded_scores(links(1.0), links(0.2))
    assert not has_graded_scores(links(1.0, 1.0), links(0.0))  # binary labels: 1.0/0.0 lose nothing
    assert not has_graded_scores(links(None, None), links(None))  # no scores at all
    assert not has_graded_scores(links(), links())


@pytest.mark.parametrize(("layout", "expected"), [
    (LayoutConfig(layout="labeled-pair"), LABELS),
    (LayoutConfig(layout="labeled-list"), LABELS),
    (LayoutConfig(layout="n-tuple"), "the input has scores; --scores keeps them (n-tuple: the label list, flag: "
                                     "pos_scores/neg_scores), without it they are left out"),
    (LayoutConfig(layout="labeled-pair", scores=True),  # kept, and beyond a cosine's range
     "the scores kept run from 0 to 4.5: CoSENTLoss and AnglELoss read any scale; CosineSimilarityLoss wants -1..1 "
     "and a CrossEncoder's BinaryCrossEntropyLoss 0..1: rescale them for those (`prep lint OUT --loss "
     "CosineSimilarityLoss` or `--loss BinaryCrossEntropyLoss` gives the map)"),
    (LayoutConfig(layout="triplet"), None),  # no score column to keep them in
])
def test_convert_notes_graded_scores_that_scores_would_keep(layout: LayoutConfig, expected: str | None) -> None:
    assert convert_scores_note(layout, selection(links(4.5), links(0.0))) == expected


def test_convert_notes_nothing_for_binary_scores_and_says_partial_ones_are_left_out() -> None:
    labels = LayoutConfig(layout="labeled-pair")
    assert convert_scores_note(labels, selection(links(1.0), links(0.0))) is None
    # --scores would refuse them: the scores some pairs have are left out, and said to be
    assert convert_scores_note(labels, selection(links(4.5, None), links(0.0))).startswith(
        "2 (query, text) pairs have the input's scores and 1 none: they are left out")
    assert convert_scores_note(labels, selection(links(None), links(None))) is None  # no scores: nothing lost


def test_run_notes_the_input_scores_it_replaces_or_leaves_out() -> None:
    graded, negatives = links(0.9), links(0.2)
    assert run_scores_note(LayoutConfig(layout="flag", scores=True), graded, negatives).startswith(
        "the input has scores; prep run --scores replaces them with the encoder's cosines")
    assert run_scores_note(LayoutConfig(layout="labeled-pair"), graded, negatives).startswith(
        "the input has scores; prep run does not keep them")
    assert run_scores_note(LayoutConfig(), graded, negatives) is None  # a plain n-tuple run writes no scores
    # but graded qrels (Cranfield's 1-4) flattened to positives alike are said to be; a teacher's scores are no grades
    assert run_scores_note(LayoutConfig(), links(1.0, 3.0, 4.0), links()).startswith(
        "the input grades its positives (1 to 4); the n-tuple output holds no grade: every pair scored above 0 is a "
        "positive alike")
    assert run_scores_note(LayoutConfig(), links(0.93, 0.87), links(0.2)) is None
    # a similarity scale (STS-B's 0-5, negatives at 0): its weak pairs are trained as positives alike too
    assert run_scores_note(LayoutConfig(layout="flag"), links(0.083, 2.5, 5.0), links(0.0)) == (
        "the input scores its pairs from 0.083 to 5; the flag output holds no score: every pair scored above 0 is a "
        "positive alike, 1 of them below half the highest score (for graded similarity keep the scores: prep "
        "convert --to labeled-pair --scores, for CoSENTLoss or AnglELoss; or leave the weak pairs out of the input)")
    assert run_scores_note(LayoutConfig(), links(4.2, 5.0), links(0.0)) is None  # none weak: nothing to say
    # 1/0 labels are no scores to note; what FlagEmbedding's distillation, and ST's DistillKLDivLoss at its default
    # temperature, make of the cosines (or a teacher's scores) written is noted
    assert run_scores_note(LayoutConfig(scores=True, teacher="a-teacher"), graded, negatives) == KL_DIVERGENCE_NOTE
    assert run_scores_note(LayoutConfig(layout="flag", scores=True), links(1.0), links(0.0)) == FLAG_DISTILLATION_NOTE
    assert run_scores_note(LayoutConfig(layout="n-tuple", scores=True), links(1.0), links(0.0)) == KL_DIVERGENCE_NOTE
    assert run_scores_note(LayoutConfig(layout="labeled-list", scores=True), links(1.0), links(0.0)) is None


def test_binary_says_how_many_weak_pairs_it_labels_1() -> None:
    """The pairs reader takes a score above 0 as a positive: STS 0.2 of 5 is then labelled 1 like a 5."""
    binary = LayoutConfig(layout="labeled-pair", binary=True)
    sts = links(0.2, 1.5, 2.5, 4.0, 5.0)
    expected = "--binary labels every positive 1, 2 of them scored below half the highest score (5)"
    assert convert_scores_note(binary, selection(sts, links(0.0))).startswith(expected)
    assert run_scores_note(binary, sts, links(0.0)).startswith(expected)
    assert convert_scores_note(binary, selection(links(1.0, 1.0), links(0.0))) is None  # 1/0 labels lose nothing
    assert convert_scores_note(binary, selection(links(0.7, 0.9), links(0.0))) is None  # none below half of 0.9
    assert convert_scores_note(binary, selection(links(-1.0, -5.0), links(-9.0))) is None  # logits: no 0-up scale


def test_pair_scores_kept_beyond_a_cosine_s_range_are_noted() -> None:
    """STS-B's 0-5 kept by --scores trains CosineSimilarityLoss towards cosines of 5 (a loss of 7.7, no error)."""
    kept = LayoutConfig(layout="labeled-pair", scores=True)
    assert convert_scores_note(kept, selection(links(4.5, 2.0), links(0.0))).startswith(
        "the scores kept run from 0 to 4.5: CoSENTLoss and AnglELoss read any scale")
    assert convert_scores_note(kept, selection(links(0.9), links(-0.2))) is None
