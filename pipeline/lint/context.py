"""The settings of one `prep lint` call, checked on construction, and the resources rules share lazily
(tokenizer, encoder, eval data), so that a run pays only for what its rules use."""

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from pipeline.errors import ConfigError
from pipeline.lint.layouts import check_layout
from pipeline.lint.losses import LOSSES, LossSpec
from pipeline.readers import FORMATS, check_roles

if TYPE_CHECKING:
    from pipeline.lint.table import LintTable

GROUP_SIZE = 8  # FlagEmbedding's train_group_size default: 1 positive + 7 negatives
# --batch-size at most: a per-device training batch of more rows than this is a typo (no accelerator holds its
# activations), and the checks would describe batches that no trainer runs.
MAX_BATCH_SIZE = 1_048_576


@dataclass(frozen=True)
class LintOptions:
    fmt: str | None = None
    layout: str | None = None
    loss: str | None = None
    batch_size: int | None = None
    group_size: int | None = None  # FlagEmbedding's train_group_size; None: `written_group_size`, else the default
    eval_data: Path | None = None
    eval_split: str | None = None  # None: every split of a DatasetDict, a BEIR folder's `test` qrels
    split: str | None = None
    strict: bool = False
    deep: bool = False
    model: str | None = None  # encoder folder or name; None is the offline all-MiniLM-L6-v2
    threshold: float = 0.90  # cosine of a near-duplicate, as `prep run`'s dedupe (DedupeConfig)
    cache_dir: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # role -> column, as `prep report` takes them
    eval_columns: dict[str, str] | None = None  # the --eval data's, where its names differ; None: `columns`

    def __post_init__(self) -> None:
        # The readers' own checks: lint takes whatever `prep report` takes.
        if self.fmt is not None and self.fmt not in FORMATS:
            raise ConfigError(f"--format must be one of {', '.join(FORMATS)}; got '{self.fmt}'")
        check_roles(self.columns, self.fmt)
        if self.eval_columns is not None:
            try:
                check_roles(self.eval_columns, self.fmt)
            except ConfigError as error:  # its message names the flag that DATA's roles come by
                raise ConfigError(str(error).replace("--columns", "--eval-columns")) from None
            if self.eval_data is None:
                raise ConfigError("--eval-columns maps the columns of the --eval data: give --eval too")
        if self.layout is not None:
            check_layout(self.layout, self.fmt)
        if self.loss is not None and self.loss not in LOSSES:
            raise ConfigError(f"--loss must be one of {', '.join(sorted(LOSSES))}; got '{self.loss}'")
        if self.batch_size is not None and self.batch_size < 2:
            raise ConfigError(f"--batch-size must be at least 2: a batch of 1 row has no in-batch negatives; got "
                              f"{self.batch_size}")
        if self.batch_size is not None and self.batch_size > MAX_BATCH_SIZE:
            raise ConfigError(f"--batch-size is the trainer's per-device batch size, at most {MAX_BATCH_SIZE:,}; got "
                              f"{self.batch_size}")
        if self.group_size is not None and self.group_size < 1:  # 1: in-batch negatives only, as FlagEmbedding runs
            raise ConfigError(f"--group-size must be at least 1 (1 positive + negatives), got {self.group_size}")
        if not 0 < self.threshold <= 1:
            raise ConfigError(f"--threshold is a cosine in (0, 1], got {self.threshold}")
        if self.eval_split is not None and self.eval_data is None:
            raise ConfigError(f"--eval-split {self.eval_split} is the split of the --eval data: give --eval too")
        if self.cache_dir is not None and not self.deep:
            raise ConfigError(f"--cache-dir {self.cache_dir} is the embedding cache of --deep, which alone encodes: "
                              "add --deep")


@dataclass
class LintContext:
    options: LintOptions
    eval_texts: pl.DataFrame | None = None  # the --eval data's long texts (see LintTable.texts)
    # a folder of JSON files: each query of the files linted so far, first place (`id`, `file`, `line`); else None
    earlier_queries: pl.DataFrame | None = None
    # a folder of JSON files, which trainers read as one dataset: its tables, in name order; else ()
    folder: tuple["LintTable", ...] = ()
    shared: dict = field(default_factory=dict)  # what a rule computes once over the folder for all its files
    embeddings: dict[str | None, dict[int, np.ndarray]] = field(default_factory=dict)  # prompt -> text id -> vector
    # a prep output's (query, document) prompts, as its manifest gives them: what it was mined with (else the model's)
    prompts: tuple[str | None, str | None] | None = None

    @property
    def loss(self) -> LossSpec | None:
        return LOSSES[self.options.loss] if self.options.loss else None

    @cached_property
    def token_counter(self) -> object:
        from pipeline.report.tokens import load_token_counter

        counter = load_token_counter(self.options.model)
        return counter if self.prompts is None else replace(counter, prompts=self.prompts)

    @cached_property
    def folds_case(self) -> bool:
        """Whether the encoder's tokenizer lowercases (all-MiniLM-L6-v2's does): texts that differ only in case are
        then one input to the model."""
        encode = self.token_counter.tokenizer.encode
        return encode("Paris And Berlin").ids == encode("paris and berlin").ids

    @cached_property
    def strips_accents(self) -> bool:
        """Whether the tokenizer also drops accents, as BERT's uncased one (all-MiniLM-L6-v2's) does: 'Café' and
        'cafe' are then one input to the model too."""
        encode = self.token_counter.tokenizer.encode
        return self.folds_case and encode("café naïve").ids == encode("cafe naive").ids

    @cached_property
    def encoder(self) -> object:
        from pipeline.config import EncoderConfig
        from pipeline.stages.encode import Encoder

        query, document = self.prompts or (None, None)
        return Encoder(EncoderConfig(model=self.options.model, cache_dir=self.options.cache_dir, query_prompt=query,
                                     document_prompt=document)).setup()
