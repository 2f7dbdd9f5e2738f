"""Every lint rule, in the order findings are listed: structure and trainer traps first, then content."""

from pipeline.lint.rule import Rule
from pipeline.lint.rules.anchor_equals_positive import AnchorEqualsPositive
from pipeline.lint.rules.bool_label import BoolLabel
from pipeline.lint.rules.column_order import ColumnOrder
from pipeline.lint.rules.conflicting_label import ConflictingLabel
from pipeline.lint.rules.constant_label import ConstantLabel
from pipeline.lint.rules.control_characters import ControlCharacters
from pipeline.lint.rules.cross_row_false_negative import CrossRowFalseNegative
from pipeline.lint.rules.duplicate_query import DuplicateQuery
from pipeline.lint.rules.empty_dataset import EmptyDataset
from pipeline.lint.rules.empty_docs import EmptyDocs
from pipeline.lint.rules.empty_negatives import EmptyNegatives
from pipeline.lint.rules.empty_text import EmptyText
from pipeline.lint.rules.extra_text_column import ExtraTextColumn
from pipeline.lint.rules.id_column import IdColumn
from pipeline.lint.rules.label_column_name import LabelColumnName
from pipeline.lint.rules.layout_schema import LayoutSchema
from pipeline.lint.rules.list_column import ListColumn
from pipeline.lint.rules.loss_incompatible import LossIncompatible
from pipeline.lint.rules.mojibake import Mojibake
from pipeline.lint.rules.near_duplicate_negative import NearDuplicateNegative
from pipeline.lint.rules.near_duplicate_query import NearDuplicateQuery
from pipeline.lint.rules.nli_labels import NliLabels
from pipeline.lint.rules.non_finite_score import NonFiniteScore
from pipeline.lint.rules.one_label_list import OneLabelList
from pipeline.lint.rules.padding_negative import PaddingNegative
from pipeline.lint.rules.placeholder_text import PlaceholderText
from pipeline.lint.rules.positive_in_negatives import PositiveInNegatives
from pipeline.lint.rules.query_in_earlier_file import QueryInEarlierFile
from pipeline.lint.rules.ragged_negatives import RaggedNegatives
from pipeline.lint.rules.score_range import ScoreRange
from pipeline.lint.rules.small_corpus_in_batch import SmallCorpusInBatch
from pipeline.lint.rules.split_named_file import SplitNamedFile
from pipeline.lint.rules.st_score_column import StScoreColumn
from pipeline.lint.rules.string_instead_of_list import StringInsteadOfList
from pipeline.lint.rules.text_too_long import TextTooLong
from pipeline.lint.rules.train_eval_leakage import TrainEvalLeakage
from pipeline.lint.rules.tsv_quoting import TsvQuoting
from pipeline.lint.rules.two_element_list import TwoElementList

EMPTY = EmptyDataset()
RULES: tuple[Rule, ...] = (
    EMPTY,
    LayoutSchema(),
    ExtraTextColumn(),
    IdColumn(),
    LabelColumnName(),
    StScoreColumn(),
    BoolLabel(),
    NliLabels(),
    ConstantLabel(),
    ListColumn(),
    TwoElementList(),
    StringInsteadOfList(),
    RaggedNegatives(),
    EmptyNegatives(),
    EmptyDocs(),
    OneLabelList(),
    PaddingNegative(),
    ColumnOrder(),
    LossIncompatible(),
    ScoreRange(),
    NonFiniteScore(),
    EmptyText(),
    PlaceholderText(),
    TsvQuoting(),
    ControlCharacters(),
    Mojibake(),
    AnchorEqualsPositive(),
    PositiveInNegatives(),
    ConflictingLabel(),
    NearDuplicateNegative(),
    DuplicateQuery(),
    SplitNamedFile(),
    QueryInEarlierFile(),
    NearDuplicateQuery(),
    CrossRowFalseNegative(),
    TextTooLong(),
    SmallCorpusInBatch(),
    TrainEvalLeakage(),
)

RULE_IDS = tuple(rule.id for rule in RULES)
