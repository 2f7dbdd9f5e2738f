"""A batch sampler for sentence-transformers that keeps the conflict-free blocks of `prep run --batch-size B`.

    args = SentenceTransformerTrainingArguments(..., per_device_train_batch_size=B, batch_sampler=BlockBatchSampler)

Each epoch yields the blocks prep wrote (their sizes are in the dataset's description; B consecutive rows each
for any other dataset) whole, in an order shuffled with (seed, epoch): rows inside a block never meet rows of
another block, so in-batch negatives hold no false negative that prep could see. Limits of the Trainer's wiring:
the eval loader uses the same sampler, so an eval_dataset prep wrote needs per_device_eval_batch_size=B too;
dataloader_drop_last=True drops every shorter block, the same rows each epoch (the manifest's rows_in_shorter_blocks);
blocks are row positions, so a split, select or filter of the output is refused, and so is a shuffle or sort (prep
writes digests of the anchors and positives; texts edited in place, as by a map that adds a prompt, keep their
blocks, with a warning): reorder nothing after prep run.
"""

import json
import logging

import numpy as np
from sentence_transformers.base.sampler import DefaultBatchSampler

from pipeline.row_order import COLUMNS, order_digest, rows_digest

log = logging.getLogger(__name__)


class BlockBatchSampler(DefaultBatchSampler):
    def __init__(self, dataset, batch_size: int, drop_last: bool, valid_label_columns=None, generator=None,
                 seed: int = 0) -> None:
        super().__init__(dataset, batch_size=batch_size, drop_last=drop_last,
                         valid_label_columns=valid_label_columns, generator=generator, seed=seed)
        written = _written(dataset)
        laid_out = written.get("prep_batch_size")
        if laid_out not in (None, batch_size):
            raise ValueError(f"the dataset was laid out in conflict-free blocks of {laid_out} rows (prep run "
                             f"--batch-size {laid_out}), but the batch size is {batch_size}: use the same number for "
                             "both (per_device_train_batch_size, and per_device_eval_batch_size for an "
                             "eval_dataset prep wrote)")
        size = len(dataset)
        self.sizes = written.get("prep_blocks") or [min(batch_size, size - start) for start in range(0, size,
                                                                                                  batch_size)]
        if sum(self.sizes) != size:  # a split, select or filter keeps the description but not the rows
            raise ValueError(f"the dataset's description holds prep's blocks for {sum(self.sizes)} rows, but it has "
                             f"{size}: a split, select or filter of prep's output breaks its blocks; split the data "
                             "before prep run and lay out each part")
        _refuse_reorder(dataset, written)

    def _blocks(self) -> list[range]:
        ends = np.cumsum(self.sizes).tolist()
        blocks = [range(end - size, end) for end, size in zip(ends, self.sizes, strict=True)]
        return [block for block in blocks if len(block) == self.batch_size] if self.drop_last else blocks

    def __iter__(self):
        blocks = self._blocks()
        for index in np.random.default_rng([self.seed, self.epoch]).permutation(len(blocks)):
            yield list(blocks[index])

    def __len__(self) -> int:
        return len(self._blocks())


def _refuse_reorder(dataset, written: dict) -> None:
    """A shuffle, sort or reordering select of prep's output is refused: rows of different blocks would meet. Seen
    in the dataset's indices mapping without reading a row; once flattened or saved, by the digests prep wrote
    (`pipeline.row_order`). Texts edited in place keep their blocks: a warning, not an error."""
    if "prep_order_digest" not in written or not set(COLUMNS) <= set(dataset.column_names):
        return
    indices = getattr(dataset, "_indices", None)  # datasets' mapping of a shuffle, sort or select
    moved = indices is not None and (indices.column(0).to_numpy() != np.arange(len(dataset))).any()
    if not moved:
        rows = dataset.select_columns(list(COLUMNS)).with_format("arrow")[:]
        if order_digest(rows) == written["prep_order_digest"]:
            return
        moved = rows_digest(rows) == written.get("prep_rows_digest")
        if not moved:
            log.warning("the anchors or positives differ from what prep wrote (edited in place, as by a map that "
                        "adds a prompt?): the conflict-free blocks are kept by row position")
            return
    raise ValueError("the rows are not in the order prep wrote them (a shuffle or sort of prep's output?): its "
                     "conflict-free blocks would mix in batches; train on the output as written, the sampler shuffles "
                     "whole blocks each epoch")


def _written(dataset) -> dict:
    """What prep wrote into the dataset's description: prep_batch_size and prep_blocks (block sizes)."""
    try:
        return json.loads(dataset.info.description or "{}")
    except (AttributeError, ValueError):
        return {}
