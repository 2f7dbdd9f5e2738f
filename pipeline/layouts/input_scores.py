"""The note for an input whose own scores the output does not hold: written as 1.0/0.0, left out, or replaced."""

import polars as pl

from pipeline.config import LayoutConfig
from pipeline.layouts.selection import Selection

SCORED = ("n-tuple", "flag", "labeled-pair", "labeled-list")  # the layouts with a score column under --scores
AS_LABELS = ("labeled-pair", "labeled-list")  # without --scores: 1.0 for a positive, 0.0 for a negative


def has_graded_scores(positives: pl.DataFrame, negatives: pl.DataFrame) -> bool:
    """Whether any (query, text) pair has a score other than the 1.0 (positive) or 0.0 (negative) that the layouts
    write without --scores: binary labels lose nothing there, and a note about them would be noise."""
    return bool((positives["score"] != 1.0).any() or (negatives["score"] != 0.0).any())


def binary_note(positives: pl.DataFrame) -> str | None:
    """--binary makes every positive a 1 (of a pairs input, every pair scored above 0): say so where graded scores
    from 0 up put weak pairs among them. Scores below 0 (a reranker's logits) are no such scale."""
    scores = positives["score"].drop_nulls()
    if scores.is_empty() or scores.min() < 0:
        return None
    top = scores.max()
    weak = int((scores < top / 2).sum())
    if not weak:
        return None
    return (f"--binary labels every positive 1, {weak:,} of them scored below half the highest score ({top:g}); for "
            "graded similarity (STS 0-5) keep the scores (--scores, for CoSENTLoss or AnglELoss) or leave the weak "
            "pairs out of the input")


def convert_scores_note(config: LayoutConfig, selection: Selection) -> str | None:
    """prep convert: the input's scores are kept with --scores only, which it may not have been given."""
    if config.binary:
        return binary_note(selection.positives)
    if config.scores and config.layout == "labeled-pair" and not config.teacher:
        return _scale_note(selection)
    if config.scores or config.layout not in SCORED:
        return None  # kept, or 1/0 asked for, or nowhere to keep them
    if missing := selection.missing_scores():
        scored = selection.positives["score"].is_not_null().sum() + selection.negatives["score"].is_not_null().sum()
        graded = has_graded_scores(selection.positives.drop_nulls("score"), selection.negatives.drop_nulls("score"))
        return None if not (scored and graded) else (
            f"{scored:,} (query, text) pairs have the input's scores and {missing:,} none: they are left out, as "
            "--scores keeps scores only where every pair has one (a teacher's, --teacher, scores them all)")
    if not has_graded_scores(selection.positives, selection.negatives):
        return None
    if config.layout in AS_LABELS:
        return "the input has scores; --scores keeps them, without it positives are 1.0 and negatives 0.0"
    return ("the input has scores; --scores keeps them (n-tuple: the label list, flag: pos_scores/neg_scores), "
            "without it they are left out")


def _scale_note(selection: Selection) -> str | None:
    """Scores kept beyond -1..1 (STS-B's 0-5): CoSENT and AnglE read any scale, CosineSimilarityLoss's targets are
    cosines and a cross-encoder's BinaryCrossEntropyLoss's are 0..1, which these are not."""
    scores = pl.concat([selection.positives["score"], selection.negatives["score"]]).drop_nulls()
    if scores.is_empty() or (scores.min() >= -1 and scores.max() <= 1):
        return None
    return (f"the scores kept run from {scores.min():g} to {scores.max():g}: CoSENTLoss and AnglELoss read any "
            "scale; CosineSimilarityLoss wants -1..1 and a CrossEncoder's BinaryCrossEntropyLoss 0..1: rescale them "
            "for those (`prep lint OUT --loss CosineSimilarityLoss` or `--loss BinaryCrossEntropyLoss` gives the map)")


# FlagEmbedding's knowledge distillation takes the softmax of a row's scores as written, with no temperature.
FLAG_DISTILLATION_NOTE = (
    "FlagEmbedding's --knowledge_distillation takes the softmax of pos_scores and neg_scores as written, without a "
    "temperature: cosines (at most 1; a --teacher's scores as it predicts them, probabilities where its activation is "
    "a sigmoid) give nearly even targets (a positive at 0.8 and three negatives at 0.6: 0.29 against 0.24 each), where "
    "FlagEmbedding's examples hold a reranker's scores (about 82 to 104); divide them by the student's temperature "
    "(0.02) to distil with the sharpness it trains at")


# ST's DistillKLDivLoss does the same at its default temperature, 1.0.
KL_DIVERGENCE_NOTE = (
    "DistillKLDivLoss takes the softmax of each row's label list divided by its temperature, 1.0 by default: cosines "
    "(and a --teacher's probabilities, where its activation is a sigmoid) give nearly even targets (a positive at 0.8 "
    "and three negatives at 0.6: 0.29 against 0.24 each); set its temperature (or teacher_temperature) near the "
    "spread of the scores, as its docstring advises. MarginMSELoss reads their differences as they are")


def run_scores_note(config: LayoutConfig, positives: pl.DataFrame, negatives: pl.DataFrame) -> str | None:
    """prep run: --scores gives the encoder's cosines (or a --teacher's), never the input's own scores; in the flag
    and n-tuple layouts, what FlagEmbedding's and ST's distillation make of them is said too."""
    note = _input_scores_note(config, positives, negatives)
    distillation = {"flag": FLAG_DISTILLATION_NOTE, "n-tuple": KL_DIVERGENCE_NOTE}.get(config.layout)
    if distillation and config.scores:
        return distillation if note is None else f"{note}; {distillation}"
    return note


def _input_scores_note(config: LayoutConfig, positives: pl.DataFrame, negatives: pl.DataFrame) -> str | None:
    if config.binary:
        return binary_note(positives)
    if not (config.teacher or config.scores or config.layout in AS_LABELS):  # an output without scores
        return _grades_note(positives, negatives, config.layout)
    if config.teacher or not has_graded_scores(positives, negatives):
        # a teacher's scores or 1/0 labels were asked for
        return None
    if config.scores:
        return ("the input has scores; prep run --scores replaces them with the encoder's cosines (--teacher MODEL: "
                "a cross-encoder's); prep convert --scores keeps the input's")
    return ("the input has scores; prep run does not keep them (--scores writes the encoder's cosines), prep convert "
            "--scores does")


def _grades_note(positives: pl.DataFrame, negatives: pl.DataFrame, layout: str) -> str | None:
    """Graded positives (Cranfield's 1-4 qrels, STS-B's 0-5 similarity) in an output that holds no grade: each is a
    positive alike. Scores that are not whole numbers are a similarity scale where the negatives have none or 0 (a
    pairs input), else a teacher's, which are no grades."""
    grades = positives["score"].drop_nulls().unique()
    if grades.len() < 2 or grades.min() <= 0:
        return None
    if (grades % 1 != 0).any():
        if (negatives["score"].drop_nulls() != 0).any():
            return None
        weak = int((positives["score"] < grades.max() / 2).sum())
        return None if not weak else (
            f"the input scores its pairs from {grades.min():g} to {grades.max():g}; the {layout} output holds no "
            f"score: every pair scored above 0 is a positive alike, {weak:,} of them below half the highest score "
            "(for graded similarity keep the scores: prep convert --to labeled-pair --scores, for CoSENTLoss or "
            "AnglELoss; or leave the weak pairs out of the input)")
    return (f"the input grades its positives ({grades.min():g} to {grades.max():g}); the {layout} output holds no "
            "grade: every pair scored above 0 is a positive alike (filter the input to the grades to train on, or "
            "keep them as labels: prep convert --to labeled-list --scores)")
