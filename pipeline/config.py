"""One frozen config per concern, validated on construction; `config_file` loads them from a TOML file and CLI flags.

The TOML file has one table per concern, named as below ([layout]'s `LayoutConfig` is in `config_layout`,
[engine]'s `EngineConfig` in `config_engine`):

    [encoder]
    model = "path/to/model"
    [mining]
    negatives = 3
    relative_margin = 0.05
    [engine]
    name = "ray"
"""

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from pipeline.config_checks import (
    ENCODE_CHUNK,
    MAX_POSITIVE_NEIGHBORS,
    MAX_WORKERS,
    OFF_WITH_FALSE,
    check_at_most,
    check_choice,
    check_device,
    check_not_empty,
    check_positive,
    check_types,
)
from pipeline.config_engine import EngineConfig
from pipeline.config_layout import LayoutConfig
from pipeline.errors import ConfigError

# fp32 (default) is exact. auto: bf16 on a CPU with native bf16 (AVX512-BF16 or AMX), fp16 on a GPU, else fp32.
# bf16 and fp16 run the model under torch.autocast (matrix products in half precision, norms and softmax in fp32):
# about 2x faster on such a CPU, but about 9% of the chosen negatives change (benchmarks/RESULTS.md). int8 quantises
# the Linear layers, about 2x faster on any CPU, and changes half of them.
BACKENDS = ("auto", "fp32", "bf16", "fp16", "int8")


@dataclass(frozen=True)
class EncoderConfig:
    """Which encoder embeds queries and documents, and how."""

    model: str | None = None  # a sentence-transformers folder or name; None is the offline all-MiniLM-L6-v2
    batch_size: int = 32  # as ST; 64 gains no speed on CPU and raises peak memory
    max_seq_length: int | None = None  # None keeps the model's own
    query_prompt: str | None = None
    document_prompt: str | None = None
    cache_dir: str | None = None  # None: ~/.cache/prep/embeddings
    backend: str = "fp32"  # see BACKENDS
    device: str | None = None  # None: cuda when torch sees a GPU, else cpu; one torch does not see is an error
    # Processes that tokenise batches ahead of the model (torch's DataLoader). 0 is ST's encode, which tokenises
    # each batch in turn on one thread: a GPU then waits on it. None: 0 on the CPU, min(8, CPUs - 1) on a GPU.
    tokenizer_workers: int | None = None

    def __post_init__(self) -> None:
        check_types(self)
        check_not_empty(self, "model")
        check_not_empty(self, "cache_dir")
        check_positive(self, "batch_size")
        check_at_most(self, "batch_size", ENCODE_CHUNK, f"texts are encoded in chunks of {ENCODE_CHUNK:,}, "
                      "which a batch does not cross")
        if self.tokenizer_workers is not None and self.tokenizer_workers < 0:
            raise ConfigError(f"tokenizer_workers must be 0 or more, got {self.tokenizer_workers}")
        check_at_most(self, "tokenizer_workers", MAX_WORKERS, "each is a forked process")
        if self.max_seq_length is not None:
            check_positive(self, "max_seq_length")
        check_choice(self, "backend", BACKENDS)
        if self.device is not None:
            check_device(self.device)
        if self.cache_dir is not None:  # once, here: Ray workers run in other folders, and "~" is not expanded
            object.__setattr__(self, "cache_dir", str(Path(self.cache_dir).expanduser().resolve()))


@dataclass(frozen=True)
class MiningConfig:
    """How hard negatives are chosen. Defaults follow NV-Retriever's TopK-PercPos."""

    negatives: int = 3
    relative_margin: float | None = 0.05
    absolute_margin: float | None = None
    max_score: float | None = None
    min_score: float | None = None
    near_duplicate: float = 0.98  # cosine at or above which a candidate counts as a copy of a positive or of the query
    positive_neighbors: int = 5  # a candidate among the N nearest documents of a positive is a likely positive
    # A (query, positive) pair whose positive has this many other documents above it is rejected: see README.
    max_positive_rank: int | None = 300
    range_min: int = 0
    range_max: int | None = None  # None: range_min + 10 * negatives + max positives per query, as ST does
    sampling: str = "top"
    given_sampling: str = "first"  # which given negatives a query with more than K keeps: first, top (score), random
    trust_given_negatives: bool = False
    index: str = "auto"
    exact_max_docs: int = 200_000  # above this `auto` indexes the corpus in IVF (the dedupe's links: above 20,000)
    target_recall: float | None = 0.9  # IVF: nprobe doubles until this share of the exact top-k is found
    max_nprobe: int | None = None  # ... or this many lists (None: a sixteenth of them, about exact search's cost)
    query_chunk: int = 1024
    seed: int = 12

    def __post_init__(self) -> None:
        for name in OFF_WITH_FALSE & {item.name for item in fields(self)}:  # `name = false` turns it off
            if getattr(self, name) is False:
                object.__setattr__(self, name, None)
        if self.max_positive_rank == 0:  # as --max-positive-rank 0 and positive_neighbors = 0
            object.__setattr__(self, "max_positive_rank", None)
        check_types(self, unsigned=("seed",))
        check_positive(self, "negatives")
        check_positive(self, "query_chunk")
        if isinstance(self.max_positive_rank, int) and self.max_positive_rank < 0:
            raise ConfigError(f"max_positive_rank must be 0 (off) or more, got {self.max_positive_rank}")
        for name in ("max_nprobe", "max_positive_rank"):
            if getattr(self, name) is not None:
                check_positive(self, name)
        if self.target_recall is not None and not 0 < self.target_recall <= 1:
            raise ConfigError(f"mining.target_recall is a share between 0 and 1, got {self.target_recall}")
        check_choice(self, "sampling", ("top", "random"))
        check_choice(self, "given_sampling", ("first", "top", "random"))
        check_choice(self, "index", ("auto", "flat", "ivf"))
        # Scores are cosines: a margin at these bounds or a score bound outside [-1, 1] rejects (nearly) all candidates.
        if self.relative_margin is not None and not 0 <= self.relative_margin < 1:
            raise ConfigError(f"mining.relative_margin is a share, at least 0 and below 1, got {self.relative_margin}")
        if self.absolute_margin is not None and not 0 <= self.absolute_margin < 2:
            raise ConfigError(f"mining.absolute_margin is a cosine difference, at least 0 and below 2, got "
                              f"{self.absolute_margin}")
        for name in ("max_score", "min_score"):
            value = getattr(self, name)
            if value is not None and not -1 <= value <= 1:
                raise ConfigError(f"mining.{name} is a cosine between -1 and 1, got {value}")
        if not -1 <= self.near_duplicate <= 1:
            raise ConfigError(f"mining.near_duplicate is a cosine between -1 and 1, got {self.near_duplicate}")
        if not 0 <= self.positive_neighbors <= MAX_POSITIVE_NEIGHBORS:
            raise ConfigError(f"mining.positive_neighbors must be from 0 (off) to {MAX_POSITIVE_NEIGHBORS}, got "
                              f"{self.positive_neighbors}")
        if self.range_min < 0:
            raise ConfigError(f"mining.range_min must be at least 0, got {self.range_min}")
        if self.exact_max_docs < 0:  # 0: `auto` always builds an IVF index
            raise ConfigError(f"mining.exact_max_docs must be at least 0, got {self.exact_max_docs}")
        if not 0 <= self.seed < 2**64:  # the seeded draws hash with it as an unsigned 64-bit number
            raise ConfigError(f"mining.seed must be from 0 to 2**64 - 1, got {self.seed}")
        if None not in (self.min_score, self.max_score) and self.min_score > self.max_score:
            raise ConfigError(f"mining.min_score ({self.min_score}) is above max_score ({self.max_score})")
        if self.range_max is not None and self.range_max - self.range_min < self.negatives:
            raise ConfigError(f"mining.range_max - range_min ({self.range_max} - {self.range_min}) leaves fewer "
                              f"candidates than negatives ({self.negatives})")


@dataclass(frozen=True)
class DedupeConfig:
    """When two queries (or two texts) count as the same: cosine of the baseline encoder at or above this."""

    threshold: float = 0.90  # STS-B dev: 91% precision, 63% recall for paraphrases (benchmarks/dedupe_threshold.py)

    def __post_init__(self) -> None:
        check_types(self)
        if not 0 < self.threshold <= 1:
            raise ConfigError(f"dedupe.threshold is a cosine in (0, 1], got {self.threshold}")


@dataclass(frozen=True)
class RunConfig:
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    mining: MiningConfig = field(default_factory=MiningConfig)
    dedupe: DedupeConfig = field(default_factory=DedupeConfig)
    layout: LayoutConfig = field(default_factory=LayoutConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)

    def to_dict(self) -> dict:
        return asdict(self)
