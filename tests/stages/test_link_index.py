from dataclasses import replace

import faiss
import numpy as np
import pytest
from planted_vectors import copies_of_one, planted

import pipeline.stages.link_index as link_index_module
from pipeline.config import MiningConfig
from pipeline.stages.dedupe import link_rows, link_similar
from pipeline.stages.link_index import EXACT_MAX, in_shards, link_index, probed_lists
from pipeline.stages.vector_file import VectorFile


def pairs_of(links):
    return sorted(zip(links.source.tolist(), links.target.tolist(), strict=True))


@pytest.fixture
def small_shards(monkeypatch):
    """Shards of 4,096 rows of 32-d (and a sample of 2,048 rows): several shards from a test's few vectors."""
    monkeypatch.setattr(link_index_module, "LINK_BYTES", 4096 * 2 * 32)


def test_shards_hold_every_row_once_under_its_number_and_a_bounded_share(small_shards):
    vectors, _ = planted(EXACT_MAX + 1_000, 32, 10)
    index = link_index(vectors, 0.9, MiningConfig())
    assert index.kind.startswith("IVF") and index.ivf.ntotal == 0  # filled by `in_shards`, not here

    def held(shard, lists):
        assert shard.vectors is vectors
        invlists = faiss.extract_index_ivf(shard.ivf).invlists
        return [np.concatenate([faiss.rev_swig_ptr(invlists.get_ids(i), invlists.list_size(i)).copy()
                                for i in range(shard.ivf.nlist) if invlists.list_size(i)])]

    rows = in_shards(index, vectors, held)
    assert [len(shard) for shard in rows] == [4096] * 5 + [len(vectors) - 5 * 4096]
    assert np.array_equal(np.sort(np.concatenate(rows)), np.arange(len(vectors)))
    assert index.ivf.ntotal == 0  # the caller's index is left empty: the shards are copies
    assert len(in_shards(index.holding(vectors), vectors, held)) == 1  # an index that holds the rows: searched whole


def test_links_searched_in_shards_are_those_of_one_index_of_all_rows(small_shards, tmp_path):
    """Every row searches every shard, so each probes the same lists as in one index holding all rows: the same
    links, for pairs within a shard and across shards (the near-copies are appended after the last shard's start),
    from an array and from a VectorFile."""
    vectors, copies = planted(EXACT_MAX + 1_000, 32, 300)
    index = link_index(vectors, 0.9, MiningConfig())
    one = replace(index, ivf=faiss.clone_index(index.ivf)).holding(vectors)  # the same lists, holding all rows
    whole = link_similar(vectors, 0.9, one)
    assert whole.count == len(vectors) and len(whole.source) >= 2 * 150  # pairs at 0.90 to 0.99 are linked
    assert pairs_of(link_similar(vectors, 0.9, index)) == pairs_of(whole)
    on_disk = VectorFile(tmp_path / "vectors.f32", len(vectors), 32)
    on_disk[np.arange(len(vectors))] = vectors
    assert pairs_of(link_similar(on_disk, 0.9, link_index(on_disk, 0.9, MiningConfig()))) == pairs_of(whole)
    above = np.linspace(0.86, 0.99, 300) >= 0.905  # clearly above the threshold
    crossing = {(int(row), len(vectors) - 300 + i) for i, row in enumerate(copies) if row < 4096 and above[i]}
    assert crossing and crossing <= set(pairs_of(whole))  # from the first shard to the last


def test_a_row_that_is_not_finite_is_in_no_shard_and_linked_to_nothing(small_shards):
    vectors, _ = planted(EXACT_MAX + 1_000, 32, 300)
    index = link_index(vectors, 0.9, MiningConfig())
    broken = vectors.copy()
    broken[5] = np.nan  # FAISS assigns it list -1, which no shard holds
    links = link_similar(broken, 0.9, index)
    assert pairs_of(links) == [pair for pair in pairs_of(link_similar(vectors, 0.9, index)) if 5 not in pair]


def test_each_rows_lists_are_found_once_and_search_a_shard_as_its_own_search_would(small_shards, tmp_path):
    """The lists each row probes, found before the shards (in memory, or in a file beside a VectorFile's that
    goes after the search), are those a shard's own search probes: the same rows and scores."""
    vectors, _ = planted(EXACT_MAX + 1_000, 32, 300)
    index = link_index(vectors, 0.9, MiningConfig())
    on_disk = VectorFile(tmp_path / "vectors.f32", len(vectors), 32)
    on_disk[np.arange(len(vectors))] = vectors
    shard = replace(index, ivf=faiss.clone_index(index.ivf)).holding(vectors[:4096])
    shard.ivf.nprobe = index.nprobe
    rows = np.arange(0, len(vectors), 7)
    with probed_lists(index, vectors) as lists, probed_lists(index, on_disk) as in_file:
        assert lists.dtype == np.int16 and lists.shape == (len(vectors), index.nprobe)
        assert np.array_equal(in_file[np.arange(len(vectors))], lists) and in_file.path.exists()
        assert np.array_equal(lists[:5], index.ivf.quantizer.search(vectors[:5], index.nprobe)[1])
        given = shard.search(vectors[rows], 9, lists=lists[rows])
    searched = shard.search(vectors[rows], 9)
    assert np.array_equal(given[1], searched[1]) and np.array_equal(given[0], searched[0])
    assert not in_file.path.exists()
    with pytest.raises(KeyboardInterrupt), probed_lists(index, on_disk) as in_file:
        raise KeyboardInterrupt
    assert not in_file.path.exists()  # removed however the search ends


def test_copies_of_queries_among_documents_are_found_in_every_shard(small_shards):
    vectors, _ = planted(EXACT_MAX + 1_000, 32, 0)
    queries = np.ascontiguousarray(vectors[[5, 9_000, EXACT_MAX + 999]])  # in the first, third and last shard
    _, query_rows, copies = link_rows(vectors, np.arange(len(vectors)), 0.95, MiningConfig(), queries)
    assert list(zip(query_rows.tolist(), copies.tolist(), strict=True)) == [(0, 5), (1, 9_000), (2, EXACT_MAX + 999)]


def test_the_lists_are_trained_on_a_bounded_sample(small_shards, monkeypatch):
    trained = []
    train = faiss.Clustering.train
    monkeypatch.setattr(faiss.Clustering, "train", lambda self, sample, *rest: trained.append(sample.shape)
                        or train(self, sample, *rest))
    vectors, _ = planted(EXACT_MAX + 1_000, 32, 0)
    index = link_index(vectors, 0.9, MiningConfig())
    assert trained == [(2048, 32)] and index.ivf.is_trained  # 4096 * 2 * 32 bytes of float32 rows


@pytest.mark.parametrize("size", [200, 60])
def test_a_group_larger_than_a_search_keeps_each_rows_nearest_across_shards(small_shards, caplog, size):
    """Near-copies of one text spread over all six shards, 20 links kept a row: each shard finds up to 20 of a
    row's copies (with 200, more than 20 in each shard; with 60, about 10: only all shards together have more), and
    of those the row keeps its 20 nearest, as one index of all rows keeps them."""
    vectors, _ = planted(EXACT_MAX + 1_000, 32, 0)
    copies_of_one(vectors, size, seed=1)
    index = link_index(vectors, 0.9, MiningConfig())
    one = replace(index, ivf=faiss.clone_index(index.ivf)).holding(vectors)
    whole = link_similar(vectors, 0.9, one, most=20)
    caplog.clear()
    in_shards_links = link_similar(vectors, 0.9, index, most=20)
    assert pairs_of(in_shards_links) == pairs_of(whole)
    assert f"{size} texts have more than 20 near-duplicates" in caplog.text
    assert max(np.bincount(in_shards_links.source)) < size - 1  # not every copy linked to every other


def test_a_query_with_more_copies_than_kept_keeps_its_nearest_across_shards(small_shards, caplog):
    """100 near-copies of a query's text among the documents, about 17 in each shard: the query keeps its 64
    nearest (MOST_NEIGHBOURS) of them, not 64 from each shard, and the warning names it."""
    vectors, _ = planted(EXACT_MAX + 1_000, 32, 0)
    group = copies_of_one(vectors, 100, seed=2)
    query = np.ascontiguousarray(vectors[group[:1]])
    _, query_rows, found = link_rows(vectors, np.arange(len(vectors)), 0.9, MiningConfig(), query)
    cosines = vectors[group] @ query[0]
    assert np.array_equal(np.sort(found), np.sort(group[np.argsort(-cosines, kind="stable")[:64]]))
    assert query_rows.tolist() == [0] * 64 and "1 query has more than 64 near-copies" in caplog.text


def test_a_sample_smaller_than_the_lists_it_would_train_bounds_their_number(monkeypatch):
    """At 2,048 bytes, 16 rows of 32-d train at most 16 // 6 = 2 lists (2,040 rows would call for 52, and FAISS
    cannot train more lists than it has rows), and shards of 32 rows find the exact links."""
    monkeypatch.setattr(link_index_module, "LINK_BYTES", 2048)
    vectors, _ = planted(2_000, 32, 40)
    index = link_index(vectors, 0.9, MiningConfig(index="ivf"))
    assert index.kind == "IVF2,SQfp16"
    exact = link_similar(vectors, 0.9, link_index(vectors, 0.9, MiningConfig(index="flat")))
    assert pairs_of(link_similar(vectors, 0.9, index)) == pairs_of(exact) and len(exact.source) > 0
