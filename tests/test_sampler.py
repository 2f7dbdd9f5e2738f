import json
import warnings
from collections import Counter

import datasets
import pytest

from pipeline.sampler import BlockBatchSampler


def dataset(rows: int, block: int | None) -> datasets.Dataset:
    info = datasets.DatasetInfo(description=json.dumps({"prep_batch_size": block}))
    return datasets.Dataset.from_dict({"anchor": [str(i) for i in range(rows)]}, info=info)


def test_blocks_stay_whole_and_every_row_comes_once():
    sampler = BlockBatchSampler(dataset(10, 4), batch_size=4, drop_last=False, seed=3)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 3
    assert sorted(tuple(b) for b in batches) == [(0, 1, 2, 3), (4, 5, 6, 7), (8, 9)]


def test_block_order_is_seeded_and_changes_per_epoch():
    first = BlockBatchSampler(dataset(64, 4), batch_size=4, drop_last=False, seed=1)
    again = BlockBatchSampler(dataset(64, 4), batch_size=4, drop_last=False, seed=1)
    assert list(first) == list(again)
    epoch0 = list(first)
    first.set_epoch(1)
    assert list(first) != epoch0
    assert sorted(map(tuple, list(first))) == sorted(map(tuple, epoch0))


def test_written_block_sizes_are_followed():
    data = dataset(7, 3)
    data.info.description = json.dumps({"prep_batch_size": 3, "prep_blocks": [3, 2, 1, 1]})
    sampler = BlockBatchSampler(data, batch_size=3, drop_last=False)
    assert sorted(tuple(b) for b in sampler) == [(0, 1, 2), (3, 4), (5,), (6,)]
    assert len(BlockBatchSampler(data, batch_size=3, drop_last=True)) == 1


def test_drop_last_drops_the_short_block():
    assert len(BlockBatchSampler(dataset(10, 4), batch_size=4, drop_last=True)) == 2


def test_a_split_of_a_prep_output_is_refused_not_read_out_of_range():
    data = dataset(10, 4)
    data.info.description = json.dumps({"prep_batch_size": 4, "prep_blocks": [4, 4, 2]})
    train = data.train_test_split(test_size=0.3, seed=0)["train"]
    with pytest.raises(ValueError, match="blocks for 10 rows, but it has 7"):
        BlockBatchSampler(train, batch_size=4, drop_last=False)


def test_an_eval_dataset_prep_wrote_takes_any_eval_batch_size_in_pieces_of_its_blocks(tiny_model, tmp_path):
    """The eval loader builds the same sampler: an eval_dataset laid out in blocks of 4 with the Trainer's default
    per_device_eval_batch_size (8) failed at the first evaluation, after the training steps were spent. Evaluation
    reads the blocks, cut where the eval batch size is smaller; training still needs the blocks' size."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from training import trainer_for

    train = dataset(4, 2).add_column("positive", [f"city {i}" for i in range(4)])
    held_out = dataset(10, 4).add_column("positive", [f"town {i}" for i in range(10)])
    held_out.info.description = json.dumps({"prep_batch_size": 4, "prep_blocks": [4, 4, 2]})
    model = SentenceTransformer(str(tiny_model), device="cpu")
    loss = MultipleNegativesRankingLoss(model)
    trainer = trainer_for(model, train, tmp_path, loss, steps=2, batch_size=2, eval_dataset=held_out,
                          batch_sampler=BlockBatchSampler, eval_strategy="steps", eval_steps=1)  # eval batch: 8
    trainer.train()
    assert [entry["step"] for entry in trainer.state.log_history if "eval_loss" in entry] == [1, 2]
    assert sorted(map(tuple, trainer.get_eval_dataloader().batch_sampler)) == [(0, 1, 2, 3), (4, 5, 6, 7), (8, 9)]
    trainer.args.per_device_eval_batch_size = 3  # pieces of each block: conflict-free still
    assert sorted(map(tuple, trainer.get_eval_dataloader().batch_sampler)) == [(0, 1, 2), (3,), (4, 5, 6), (7,),
                                                                               (8, 9)]
    with pytest.raises(ValueError, match=r"blocks of 4 rows .* the batch size is 3: .*per_device_train_batch_size"):
        BlockBatchSampler(held_out, batch_size=3, drop_last=False)  # as the train loader builds it


@pytest.mark.parametrize("description", ["2024", "null", "[4]", '"a dataset of pairs"', "pairs of questions"])
def test_another_datasets_description_is_not_read_as_prep_blocks(description):
    data = datasets.Dataset.from_dict({"anchor": ["a", "b", "c"]}, info=datasets.DatasetInfo(description=description))
    with pytest.warns(UserWarning, match="was not laid out by prep"):
        batches = list(BlockBatchSampler(data, batch_size=2, drop_last=False))
    assert sorted(map(len, batches)) == [1, 2] and sorted(row for batch in batches for row in batch) == [0, 1, 2]


@pytest.mark.filterwarnings("ignore:BlockBatchSampler")
def test_data_prep_did_not_lay_out_is_shuffled_into_batches_not_cut_into_consecutive_rows():
    """Beside prep's output in a DatasetDict, other data grouped by query (NLI triplets, MS MARCO dumps) was cut into
    B consecutive rows: a query's rows in one batch every epoch (16 of 16 batches on TrecQA rows)."""
    data = datasets.Dataset.from_dict({"anchor": [f"q{i // 4}" for i in range(32)]})
    batches = list(BlockBatchSampler(data, batch_size=4, drop_last=False, seed=3))
    assert sorted(row for batch in batches for row in batch) == list(range(32))
    assert max(max(Counter(data[batch]["anchor"]).values()) for batch in batches) < 4


def test_prep_outputs_joined_into_one_dataset_are_refused():
    """datasets joins the descriptions (not JSON): the sampler read none and cut the rows across prep's blocks."""
    first, second = (datasets.Dataset.from_dict({"anchor": [str(i) for i in range(2 * len(blocks))]},
                                                info=datasets.DatasetInfo(description=json.dumps(
                                                    {"prep_batch_size": 2, "prep_blocks": blocks})))
                     for blocks in ([2, 2, 2], [2, 2]))
    with pytest.raises(ValueError, match=r"joins several prep outputs .* train them as a DatasetDict"):
        BlockBatchSampler(datasets.concatenate_datasets([first, second]), batch_size=2, drop_last=False)
    with pytest.raises(ValueError, match="a split, select, filter or concatenation"):  # one description, twice the rows
        BlockBatchSampler(datasets.concatenate_datasets([first, first]), batch_size=2, drop_last=False)


def test_drop_last_that_leaves_no_batch_says_so():
    data = dataset(5, 8)
    data.info.description = json.dumps({"prep_batch_size": 8, "prep_blocks": [3, 2]})
    with pytest.raises(ValueError, match="dataloader_drop_last=True leaves no batch: all 2 blocks of the 5 rows"):
        BlockBatchSampler(data, batch_size=8, drop_last=True)
    assert len(BlockBatchSampler(data, batch_size=8, drop_last=False)) == 2
    assert len(BlockBatchSampler(dataset(0, 8), batch_size=8, drop_last=True)) == 0


def test_drop_last_on_data_prep_did_not_lay_out_batches_as_st_does():
    # An eval set of 5 rows with per_device_eval_batch_size 8 and dataloader_drop_last: no batch, as in ST's own
    # sampler; the error, with its hint to lay the rows out again, is for prep's output.
    with pytest.warns(UserWarning, match="without --batch-size"):
        assert len(BlockBatchSampler(dataset(5, None), batch_size=8, drop_last=True)) == 0


@pytest.mark.filterwarnings("ignore:BlockBatchSampler")  # after the first, which pytest.warns checks
def test_an_output_written_without_batch_size_is_shuffled_into_batches_with_a_warning():
    """prep writes a query's rows next to each other: B consecutive rows were up to B rows of one query (FiQA: 21 of
    21 batches held a repeated query), worse than ST's own samplers, and silently."""
    data = datasets.Dataset.from_dict({"anchor": [f"q{i // 4}" for i in range(32)]},
                                      info=datasets.DatasetInfo(description=json.dumps({"prep_batch_size": None})))
    with pytest.warns(UserWarning, match="written by prep without --batch-size.*NO_DUPLICATES"):
        sampler = BlockBatchSampler(data, batch_size=4, drop_last=False, seed=5)
    batches = list(sampler)
    assert sorted(row for batch in batches for row in batch) == list(range(32))
    assert max(max(Counter(data[batch]["anchor"]).values()) for batch in batches) < 4  # not one query's rows
    assert batches == list(BlockBatchSampler(data, batch_size=4, drop_last=False, seed=5))  # seeded
    sampler.set_epoch(1)
    assert list(sampler) != batches


def test_eval_pieces_that_drop_last_drops_are_counted_in_a_warning():
    """With dataloader_drop_last=True (ST sets it under DDP), an eval set cut into pieces of the eval batch size lost
    every short piece at each evaluation without a word: blocks [4, 4, 2], eval batch 3 -> 6 of 10 rows evaluated."""
    from transformers import Trainer

    data = dataset(10, 4)
    data.info.description = json.dumps({"prep_batch_size": 4, "prep_blocks": [4, 4, 2]})

    class Evaluating(Trainer):
        def get_eval_dataloader(self, drop_last: bool, batch_size: int = 3):  # the frame the sampler looks for
            return BlockBatchSampler(data, batch_size=batch_size, drop_last=drop_last)

    trainer = Evaluating.__new__(Evaluating)  # the sampler reads only the caller's name and class
    with pytest.warns(UserWarning, match=r"leaves 4 of the 10 eval rows out of every evaluation: the eval batches are "
                                         r"prep's blocks of 4, cut into pieces of 3, and those shorter than 3 are "
                                         r"dropped; a per_device_eval_batch_size that divides 4"):
        sampler = trainer.get_eval_dataloader(drop_last=True)
    assert sorted(map(tuple, sampler)) == [(0, 1, 2), (4, 5, 6)]
    for batch_size in (4, 8):  # the blocks whole: only the short one is left out, and no batch size would keep it
        with pytest.warns(UserWarning, match=r"leaves 2 of the 10 eval rows .* prep's blocks of 4, and those shorter "
                                             r"than 4 are dropped; dataloader_drop_last=False"):
            sampler = trainer.get_eval_dataloader(drop_last=True, batch_size=batch_size)
        assert sorted(map(tuple, sampler)) == [(0, 1, 2, 3), (4, 5, 6, 7)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # drop_last off: every row, in pieces, no warning
        assert sum(map(len, trainer.get_eval_dataloader(drop_last=False))) == 10
