"""What a lint rule is and what it finds: small classes with a stable id, a severity, a description and a fix.

A rule reads a `LintTable` (and the `LintContext` of the run) and returns findings; it never changes the data.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import polars as pl

if TYPE_CHECKING:
    from pipeline.lint.context import LintContext
    from pipeline.lint.table import LintTable

ERROR, WARNING = "error", "warning"
SHOWN_ROWS = 20  # row numbers a finding lists; `count` says how many there are in all


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    count: int  # flagged rows (or, for a finding about the whole table, the rows it affects)
    rows: tuple[int, ...]  # the first SHOWN_ROWS flagged row (or line) numbers
    message: str
    fix: str
    source: str = ""

    def to_json(self) -> dict:
        return {"rule": self.rule, "severity": self.severity, "count": self.count, "rows": list(self.rows),
                "message": self.message, "fix": self.fix, "source": self.source}


class Rule:
    """Base of every rule. `layouts` limits where it applies (None: everywhere); `deep` rules load the encoder
    and run only with `--deep`."""

    id: ClassVar[str]
    severity: ClassVar[str]
    description: ClassVar[str]
    fix: ClassVar[str]
    layouts: ClassVar[frozenset[str] | None] = None
    deep: ClassVar[bool] = False

    def applies(self, table: "LintTable", context: "LintContext") -> bool:
        return self.layouts is None or table.layout in self.layouts

    def check(self, table: "LintTable", context: "LintContext") -> list[Finding]:
        raise NotImplementedError

    def found(self, rows: pl.Series | list[int], message: str, *, count: int | None = None,
              severity: str | None = None, fix: str | None = None) -> Finding:
        """A finding for these flagged row numbers (distinct); `count` overrides their number."""
        numbers = pl.Series(rows, dtype=pl.Int64).unique().sort()
        return Finding(self.id, severity or self.severity, numbers.len() if count is None else count,
                       tuple(numbers.head(SHOWN_ROWS).to_list()), message, fix or self.fix)


def how_equal(exact: int, count: int, case_only: int = 0, model: str = "", accents: bool = False) -> str:
    """How `count` texts equal others, `exact` of them exactly and `case_only` only once lowercased (and, with
    `accents`, stripped of accents) as `model`'s tokenizer does: ' exactly', ' after normalisation', or each kind
    counted (': 1 exactly, 2 after normalisation'); a kind none of them is goes unsaid."""
    kinds = [(exact, "exactly"), (count - exact - case_only, "after normalisation"),
             (case_only, "differing only in case or accents" if accents else "differing only in case")]
    said = [(number, kind) for number, kind in kinds if number]
    does = "lowercases and strips accents" if accents else "lowercases"
    why = f" ({model}'s tokenizer {does}: the encoder sees one text)" if case_only else ""
    if len(said) == 1:
        return f" {said[0][1]}{why}"
    return ": " + ", ".join(f"{number:,} {kind}" for number, kind in said) + why


def in_batch(table: "LintTable", context: "LintContext") -> bool:
    """Whether other rows of a batch act as negatives: not for scored pairs and lists, nor for --loss without, nor
    for flag data that FlagEmbedding trains without them."""
    loss = context.loss
    return (table.layout not in ("labeled-pair", "labeled-list") and (loss is None or loss.in_batch)
            and not no_in_batch_neg(table))


def no_in_batch_neg(table: "LintTable") -> bool:
    """FlagEmbedding (AbsEmbedderSameDatasetTrainDataset, --same_dataset_within_batch) scores each query against its
    own group only for a --train_data folder or file whose name ends with `no_in_batch_neg`."""
    path = Path(table.source.name)
    return table.layout == "flag" and any(name.endswith("no_in_batch_neg") for name in (path.stem, path.parent.name))


def in_prep_blocks(table: "LintTable", context: "LintContext") -> bool:
    """Whether the batches are the conflict-free blocks that `prep run --batch-size` wrote into the dataset (and
    BlockBatchSampler yields): the folder carries them, for this --batch-size if one is given."""
    laid_out = table.source.written.get("prep_batch_size")
    return bool(laid_out and table.source.written.get("prep_blocks")) and context.options.batch_size in (None, laid_out)
