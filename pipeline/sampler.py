"""A batch sampler for sentence-transformers that keeps the conflict-free blocks of `prep run --batch-size B`.

    args = SentenceTransformerTrainingArguments(..., per_device_train_batch_size=B, batch_sampler=BlockBatchSampler)

Each epoch yields the blocks prep wrote (their sizes are in the dataset's description) whole, in an order shuffled
with (seed, epoch): rows inside a block never meet rows of another block, so in-batch negatives hold no false
negative that prep could see. Data without blocks (an output prep wrote without --batch-size, which holds a query's
rows next to each other, or any other dataset, in a DatasetDict beside prep's) has its rows shuffled into batches as
ST's default sampler does, with a warning; prep outputs joined into one dataset are refused (train them as a
DatasetDict, whose multi-dataset sampler keeps each one's batches apart). The Trainer's eval and test loaders use the
same sampler: there an eval_dataset prep wrote in blocks of B is read in its blocks, cut to pieces of
per_device_eval_batch_size where that is smaller (a piece of a conflict-free block is conflict-free), so any eval
batch size works. Limits of the Trainer's wiring: dataloader_drop_last=True (ST sets it on several processes) drops
every shorter block (or piece), the same rows each epoch (the manifest's rows_in_shorter_blocks; for an eval set, a
warning counts them); blocks are conflict-free within a process, not across, so the losses' gather_across_devices
stays off; under accelerate a run resumed mid-epoch gets no epoch (its skipping wrapper does not pass it on) and
finishes that epoch in the first epoch's order; blocks are row positions, so a split, select or filter of the output
is refused, and so is a shuffle, a sort or a map that edits the texts (prep writes a digest of the anchors and
positives in row order): train on the output as written, with ST's `prompts` argument for prompts.
"""

import inspect
import json
import warnings

import numpy as np
from sentence_transformers.base.sampler import DefaultBatchSampler

from pipeline.row_order import COLUMNS, order_digest


class BlockBatchSampler(DefaultBatchSampler):
    def __init__(self, dataset, batch_size: int, drop_last: bool, valid_label_columns=None, generator=None,
                 seed: int = 0) -> None:
        super().__init__(dataset, batch_size=batch_size, drop_last=drop_last,
                         valid_label_columns=valid_label_columns, generator=generator, seed=seed)
        written = _written(dataset)
        laid_out = written.get("prep_batch_size")
        # Training needs the blocks whole: a step of B' rows is not the block prep packed. Evaluation does not (the
        # Trainer's default eval batch size, 8, failed only at the first evaluation, after training steps).
        for_eval = laid_out is not None and _built_for_evaluation()
        evaluating = for_eval and laid_out != batch_size
        if laid_out not in (None, batch_size) and not evaluating:
            raise ValueError(f"the dataset was laid out in conflict-free blocks of {laid_out} rows (prep run or "
                             f"convert --batch-size {laid_out}), but the batch size is {batch_size}: use the same "
                             "number for both (per_device_train_batch_size)")
        size = len(dataset)
        # without blocks, B consecutive rows would be one query's rows (prep's output, and data grouped by query)
        self.rows_to_shuffle = size if laid_out is None else 0
        if self.rows_to_shuffle:
            what = ("was written by prep without --batch-size" if "prep_batch_size" in written else
                    "was not laid out by prep")
            warnings.warn(f"BlockBatchSampler: the dataset {what}, so it has no conflict-free blocks: its rows are "
                          "shuffled into batches, where rows that repeat a query can meet (a prep output's "
                          "layout.batches_note counts them, if there are any). Lay it out with prep run --batch-size B "
                          "(n-tuple, triplet), or train with batch_sampler=BatchSamplers.NO_DUPLICATES", stacklevel=2)
        block = laid_out or batch_size
        self.sizes = written.get("prep_blocks") or [min(block, size - start) for start in range(0, size, block)]
        if sum(self.sizes) != size:  # a split, select or filter keeps the description but not the rows
            raise ValueError(f"the dataset's description holds prep's blocks for {sum(self.sizes)} rows, but it has "
                             f"{size}: a split, select, filter or concatenation of prep's output breaks its blocks; "
                             "split the data before prep run and lay out each part, and train several outputs as a "
                             "DatasetDict")
        _refuse_reorder(dataset, written)
        if evaluating:  # eval batches of the blocks, cut where the eval batch size is smaller
            self.batch_size = min(batch_size, laid_out)
            self.sizes = [min(self.batch_size, rows - start) for rows in self.sizes
                          for start in range(0, rows, self.batch_size)]
        if for_eval and self.drop_last:
            _warn_eval_rows_left_out(size - sum(map(len, self._blocks())), size, batch_size, laid_out)
        if laid_out and size and not self._blocks():  # the Trainer would only say that max_steps must be set
            raise ValueError(f"dataloader_drop_last=True leaves no batch: all {len(self.sizes)} blocks of the "
                             f"{size} rows are shorter than the batch size {self.batch_size}; train without "
                             "dataloader_drop_last (ST sets it on several processes), or lay the rows out with a "
                             "smaller --batch-size")

    def _blocks(self) -> list[range]:
        ends = np.cumsum(self.sizes).tolist()
        blocks = [range(end - size, end) for end, size in zip(ends, self.sizes, strict=True)]
        return [block for block in blocks if len(block) == self.batch_size] if self.drop_last else blocks

    def __iter__(self):
        blocks, rng = self._blocks(), np.random.default_rng([self.seed, self.epoch])
        rows = rng.permutation(self.rows_to_shuffle) if self.rows_to_shuffle else None
        for index in rng.permutation(len(blocks)):
            yield list(blocks[index]) if rows is None else rows[blocks[index]].tolist()

    def __len__(self) -> int:
        return len(self._blocks())


def _warn_eval_rows_left_out(left_out: int, rows: int, batch_size: int, laid_out: int) -> None:
    """drop_last drops every piece shorter than the eval batch: the same eval rows, at every evaluation. A warning,
    not a refusal: the eval loader is built at the first evaluation, after training steps are spent, and ST turns
    drop_last on under DDP, where a refusal would leave no way to evaluate a prep output in blocks."""
    if not left_out or left_out == rows:  # none left: refused below
        return
    piece = min(batch_size, laid_out)  # an eval batch size above the blocks' gets whole blocks
    cut = f", cut into pieces of {piece}" if piece < laid_out else ""
    divides = (f"a per_device_eval_batch_size that divides {laid_out} loses only the rows of the shorter blocks, and "
               if laid_out % piece else "")
    warnings.warn(f"BlockBatchSampler: dataloader_drop_last=True leaves {left_out} of the {rows} eval rows out of "
                  f"every evaluation: the eval batches are prep's blocks of {laid_out}{cut}, and those shorter than "
                  f"{piece} are dropped; {divides}dataloader_drop_last=False (one process) loses none", stacklevel=3)


def _built_for_evaluation() -> bool:
    """Whether a Trainer's get_eval_dataloader or get_test_dataloader builds this sampler: ST's trainer gives the
    sampler a dataset and a batch size only, alike for training and evaluation."""
    from transformers import Trainer

    frame = inspect.currentframe()
    while frame is not None:
        if frame.f_code.co_name in ("get_eval_dataloader", "get_test_dataloader") and isinstance(
                frame.f_locals.get("self"), Trainer):
            return True
        frame = frame.f_back
    return False


def _refuse_reorder(dataset, written: dict) -> None:
    """A shuffle, sort or reordering select of prep's output is refused: rows of different blocks would meet. Seen
    in the dataset's indices mapping without reading a row; once flattened, or saved, by the digest of the rows that
    prep wrote (`pipeline.row_order`). A map that edits the texts changes the digest too, and a shuffle followed by
    one cannot be told from it: refused as well; ST's `prompts` argument adds prompts without editing the data."""
    # Renamed columns (rename_column keeps positions) are read where prep wrote anchor and positive: first and second.
    names = list(COLUMNS) if set(COLUMNS) <= set(dataset.column_names) else dataset.column_names[:len(COLUMNS)]
    if "prep_order_digest" not in written or len(names) < len(COLUMNS):
        return
    indices = getattr(dataset, "_indices", None)  # datasets' mapping of a shuffle, sort or select
    if indices is not None and (indices.column(0).to_numpy() != np.arange(len(dataset))).any():
        why = "a shuffle, sort or select reordered them"
    elif order_digest([dataset.select_columns(names).with_format("arrow")[:].rename_columns(list(COLUMNS))]) \
            != written["prep_order_digest"]:
        why = "reordered (a shuffle or sort), or their texts edited (a map)"
    else:
        return
    raise ValueError(f"the rows are not as prep wrote them: {why}; prep's conflict-free blocks are row positions, "
                     "so train on the output as written (the sampler shuffles whole blocks each epoch), and add "
                     "prompts with SentenceTransformerTrainingArguments(prompts=...) rather than by editing the texts")


def _written(dataset) -> dict:
    """What prep wrote into the dataset's description: prep_batch_size and prep_blocks (block sizes); {} for any
    other description, JSON that is not an object ("2024", "null") included."""
    description = getattr(getattr(dataset, "info", None), "description", None) or "{}"
    try:
        written = json.loads(description)
    except ValueError:
        if '"prep_batch_size"' in description:  # datasets joins the descriptions of concatenated datasets
            raise ValueError("the dataset joins several prep outputs (concatenate_datasets), whose blocks are row "
                             "positions of each: train them as a DatasetDict of one dataset each, whose multi-dataset "
                             "sampler keeps their batches apart") from None
        return {}
    return written if isinstance(written, dict) else {}
