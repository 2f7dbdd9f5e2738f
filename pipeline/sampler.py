"""A batch sampler for sentence-transformers that keeps the conflict-free blocks of `prep run --batch-size B`.

    args = SentenceTransformerTrainingArguments(..., per_device_train_batch_size=B, batch_sampler=BlockBatchSampler)

Each epoch yields the blocks of B consecutive rows whole, in an order shuffled with (seed, epoch); rows inside a
block never meet rows of another block, so in-batch negatives hold no false negative that prep could see.
"""

import json

import numpy as np
from sentence_transformers.base.sampler import DefaultBatchSampler


class BlockBatchSampler(DefaultBatchSampler):
    def __init__(self, dataset, batch_size: int, drop_last: bool, valid_label_columns=None, generator=None,
                 seed: int = 0) -> None:
        super().__init__(dataset, batch_size=batch_size, drop_last=drop_last,
                         valid_label_columns=valid_label_columns, generator=generator, seed=seed)
        written = _written_block_size(dataset)
        if written is not None and written != batch_size:
            raise ValueError(f"the dataset was laid out in conflict-free blocks of {written} rows (prep run "
                             f"--batch-size {written}), but the trainer's batch size is {batch_size}: "
                             "use the same number for both")
        self.size = len(dataset)

    def _blocks(self) -> list[range]:
        blocks = [range(start, min(start + self.batch_size, self.size)) for start in range(0, self.size,
                                                                                             self.batch_size)]
        if self.drop_last and blocks and len(blocks[-1]) < self.batch_size:
            blocks.pop()
        return blocks

    def __iter__(self):
        blocks = self._blocks()
        for index in np.random.default_rng([self.seed, self.epoch]).permutation(len(blocks)):
            yield list(blocks[index])

    def __len__(self) -> int:
        return len(self._blocks())


def _written_block_size(dataset) -> int | None:
    """The block size prep wrote into the dataset's description, if it did."""
    try:
        return json.loads(dataset.info.description or "{}").get("prep_batch_size")
    except (AttributeError, ValueError):
        return None
