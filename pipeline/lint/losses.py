"""What each sentence-transformers loss reads: how many text columns, which label, which label values.

Taken from the "Inputs" tables of the losses in sentence-transformers 6.3 (`sentence_transformer/losses/`,
`cross_encoder/losses/`). ST's collator takes the first of label/labels/score/scores as the label and feeds every
other column, in order, as one input each.
"""

from dataclasses import dataclass

NONE, NUMBER, CLASS, NUMBERS = "none", "a number", "an integer class", "a list of numbers"
PROBABILITIES = "a list of class probabilities"  # a list of numbers, as SoftmaxLoss reads one
BOOL = "true/false values"


@dataclass(frozen=True)
class Form:
    """One accepted input shape: `texts` columns (min, max; None = any number), and the label kind."""

    texts: tuple[int, int | None]
    label: str
    listwise: bool = False  # (query, [doc1, ..., docN]): the second input is a list of texts

    def describe(self) -> str:
        low, high = self.texts
        count = f"{low}" if low == high else f"{low}+" if high is None else f"{low}-{high}"
        inputs = "(query, [docs])" if self.listwise else f"{count} text columns"
        return f"{inputs} with {'no label' if self.label == NONE else 'label ' + self.label}"


@dataclass(frozen=True)
class LossSpec:
    forms: tuple[Form, ...]
    layouts: tuple[str, ...]  # what `prep convert --to` writes for this loss
    in_batch: bool = False  # other rows of the batch are negatives
    label_range: tuple[float | None, float | None] | None = None
    whole_labels: bool = False  # labels must be whole numbers (classes, 0/1)
    # A true/false label is a bool tensor after ST's collator: these losses train on it as on 1/0 (each run on
    # one with ST 6.3); ContrastiveLoss (`1 - labels`) and the class losses fail on it.
    bool_labels: bool = False
    margins: bool = False  # a label list may also hold K margins, one per negative (MarginMSELoss)
    # A pair's label may also be a list of class probabilities, one per class, each row's summing to 1 (SoftmaxLoss:
    # nn.CrossEntropyLoss reads them as soft targets where the list is as long as num_labels).
    probabilities: bool = False


_IN_BATCH = LossSpec((Form((2, None), NONE),), ("n-tuple", "triplet", "buckets"), in_batch=True)
_PAIRS_IN_BATCH = LossSpec((Form((2, 2), NONE),), ("triplet",), in_batch=True)
_SCORED_PAIR = LossSpec((Form((2, 2), NUMBER),), ("labeled-pair",), bool_labels=True)
_BINARY_PAIR = LossSpec((Form((2, 2), NUMBER),), ("labeled-pair",), label_range=(0, 1), whole_labels=True)
_CLASS_PAIR = LossSpec((Form((2, 2), CLASS),), ("labeled-pair",), label_range=(0, None), whole_labels=True)
_CLASS_OR_PROBABILITIES = LossSpec((Form((2, 2), CLASS), Form((2, 2), PROBABILITIES)), ("labeled-pair",),
                                   label_range=(0, None), whole_labels=True, probabilities=True)
_DISTILL = LossSpec((Form((3, 3), NUMBER), Form((3, None), NUMBERS)), ("n-tuple",), margins=True)
# Graded relevance: LambdaLoss's gains are 2^label - 1, so labels below 0 turn into negative gains (RankNetLoss is
# LambdaLoss's code; ADRMSELoss pads short lists with label 0).
_LISTWISE = LossSpec((Form((2, 2), NUMBERS, listwise=True),), ("labeled-list",), label_range=(0, None))
# ListNetLoss's softmax over the labels and (P)ListMLELoss's order by them are the same for labels shifted by any
# constant, and both pad with -inf: [1, 0, -1] trains as [2, 1, 0].
_LISTWISE_ORDER = LossSpec((Form((2, 2), NUMBERS, listwise=True),), ("labeled-list",))

LOSSES: dict[str, LossSpec] = {
    "MultipleNegativesRankingLoss": _IN_BATCH,
    "CachedMultipleNegativesRankingLoss": _IN_BATCH,
    "CachedGISTEmbedLoss": _IN_BATCH,
    "GISTEmbedLoss": LossSpec((Form((2, 3), NONE),), ("triplet",), in_batch=True),
    "MultipleNegativesSymmetricRankingLoss": _PAIRS_IN_BATCH,
    "CachedMultipleNegativesSymmetricRankingLoss": _PAIRS_IN_BATCH,
    "MegaBatchMarginLoss": _PAIRS_IN_BATCH,
    "TripletLoss": LossSpec((Form((3, 3), NONE),), ("triplet",)),
    "AnglELoss": LossSpec((Form((2, 2), NUMBER), Form((3, None), NONE)), ("labeled-pair", "n-tuple"),
                          bool_labels=True),
    "CoSENTLoss": _SCORED_PAIR,
    "CosineSimilarityLoss": LossSpec((Form((2, 2), NUMBER),), ("labeled-pair",), label_range=(-1, 1),
                                     bool_labels=True),
    "ContrastiveLoss": _BINARY_PAIR,
    "OnlineContrastiveLoss": LossSpec((Form((2, 2), NUMBER),), ("labeled-pair",), label_range=(0, 1),
                                      whole_labels=True, bool_labels=True),
    "SoftmaxLoss": _CLASS_OR_PROBABILITIES,
    "MarginMSELoss": _DISTILL,
    "DistillKLDivLoss": LossSpec((Form((3, None), NUMBERS),), ("n-tuple",)),
    "BinaryCrossEntropyLoss": LossSpec((Form((2, 2), NUMBER),), ("labeled-pair",), label_range=(0, 1),
                                       bool_labels=True),
    "CrossEntropyLoss": _CLASS_PAIR,
    "ListNetLoss": _LISTWISE_ORDER,
    "LambdaLoss": _LISTWISE,
    "ListMLELoss": _LISTWISE_ORDER,
    "PListMLELoss": _LISTWISE_ORDER,
    "RankNetLoss": _LISTWISE,
    "ADRMSELoss": _LISTWISE,
}
