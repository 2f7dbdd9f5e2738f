import numpy as np
import polars as pl
from planted_vectors import planted

from pipeline.config import MiningConfig
from pipeline.stages.case_links import case_copies
from pipeline.stages.dedupe import cluster_sizes, link_rows, link_similar
from pipeline.stages.index import build_index
from pipeline.stages.link_index import EXACT_MAX, link_index


def unit(vectors):
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def links_of(vectors, threshold, index=None):
    found = link_similar(vectors, threshold, index or build_index(vectors, MiningConfig()))
    return found, sorted(zip(found.source.tolist(), found.target.tolist(), strict=True))


def test_texts_at_or_above_the_threshold_are_linked_both_ways():
    vectors = unit([[1, 0, 0], [0.99, 0.1, 0], [0, 1, 0], [0, 0, 1], [0, 0.05, 1]])
    found, pairs = links_of(vectors, 0.95)
    assert pairs == [(0, 1), (1, 0), (3, 4), (4, 3)]
    assert found.clusters().tolist() == [0, 0, 2, 3, 3]
    assert cluster_sizes(found.clusters()) == {"1": 1, "2": 2}


def test_links_are_direct_while_clusters_chain():
    angle = np.radians([0, 10, 20])
    vectors = unit(np.stack([np.cos(angle), np.sin(angle), np.zeros(3)], axis=1))
    found, pairs = links_of(vectors, 0.98)  # 10 degrees apart: cosine 0.985; 20 degrees: 0.940
    assert pairs == [(0, 1), (1, 0), (1, 2), (2, 1)]  # 0 and 2 are not near-duplicates...
    assert found.clusters().tolist() == [0, 0, 0]  # ...though the chain puts them in one cluster
    assert links_of(vectors, 1.0)[1] == []


def test_approximate_index_finds_nearly_the_same_links():
    rng = np.random.default_rng(0)
    base = unit(rng.normal(size=(40, 8)))
    vectors = unit(np.concatenate([base, base + 0.01 * rng.normal(size=base.shape)]))
    _, exact = links_of(vectors, 0.99, build_index(vectors, MiningConfig(index="flat")))
    _, approximate = links_of(vectors, 0.99, build_index(vectors, MiningConfig(index="ivf")))
    assert exact == sorted([(i, i + 40) for i in range(40)] + [(i + 40, i) for i in range(40)])
    assert len(set(approximate) & set(exact)) / len(exact) > 0.9


def test_links_of_many_texts_are_searched_in_an_ivf_index_and_are_the_exact_ones():
    """Exact search of n texts against each other costs n^2: at a threshold of 0.8 or more, above EXACT_MAX texts
    they are searched in an IVF index, which finds the same links there (the 400 pairs here lie at cosine 0.86 to
    0.99); below 0.8 IVF misses links, and the corpus index's rule stays."""
    count = EXACT_MAX + 4_000
    vectors, copies = planted(count, 64, 400)
    index = link_index(vectors, 0.85, MiningConfig())
    assert index.kind.startswith("IVF") and link_index(vectors[:EXACT_MAX], 0.85, MiningConfig()).kind == "flat"
    assert link_index(vectors, 0.85, MiningConfig(index="flat")).kind == "flat"
    assert link_index(vectors, 0.7, MiningConfig()).kind == "flat"  # at low cosines IVF misses links: the corpus rule
    _, approximate = links_of(vectors, 0.85, index)
    _, exact = links_of(vectors, 0.85, build_index(vectors, MiningConfig(index="flat")))
    assert {(int(row), count + i) for i, row in enumerate(copies)} <= set(exact) and approximate == exact


def test_links_among_some_rows_keep_the_row_numbers_of_all():
    vectors = unit([[1, 0, 0], [0.99, 0.1, 0], [0, 1, 0], [0, 0, 1], [0, 0.05, 1]])
    queries = unit([[0, 0.02, 1], [0, 1, 0.01], [1, 1, 1]])
    found, query_rows, copies = link_rows(vectors, np.array([3, 0, 1, 0]), 0.95, MiningConfig(), queries)
    assert sorted(zip(found.source.tolist(), found.target.tolist(), strict=True)) == [(0, 1), (1, 0)]
    assert found.count == 5  # row 4, a near-duplicate of row 3, is not among the rows searched
    # query 0 is a near-copy of row 3 (row 4 is not searched), query 1 of row 2 (not searched either), query 2 of none
    assert (query_rows.tolist(), copies.tolist()) == ([0], [3])
    # one query with 20 copies, more than the 16 a first search finds: each pair once
    many = unit([[1, 0.001 * i, 0] for i in range(20)] + [[0, 1, 0]])
    _, query_rows, copies = link_rows(many, np.arange(21), 0.95, MiningConfig(), unit([[1, 0, 0]]))
    assert sorted(copies.tolist()) == list(range(20)) and query_rows.tolist() == [0] * 20
    found, query_rows, copies = link_rows(vectors, np.zeros(0, np.int64), 0.95, MiningConfig(), queries)
    assert len(found.source) == len(query_rows) == len(copies) == 0


def test_case_copies_are_the_documents_a_query_is_to_an_uncased_encoder():
    queries = pl.DataFrame({"query_id": [1, 2], "text": ["What is Paris", "rome"]},
                           schema={"query_id": pl.UInt64, "text": pl.String})
    corpus = pl.DataFrame({"doc_id": [1, 7, 8, 9], "text": ["What is Paris", "what is páris", "WHAT IS PARIS", "rom"]},
                          schema={"doc_id": pl.UInt64, "text": pl.String})
    assert case_copies(queries, corpus).rows() == [(1, 7), (1, 8)]  # doc 1 is the query's own text: its own id


def test_a_group_of_more_paraphrases_than_neighbours_keeps_every_link():
    rng = np.random.default_rng(0)
    group = unit(rng.normal(size=64) + 0.1 * rng.normal(size=(40, 64)))  # 40 texts, every pair above 0.9
    others = unit(rng.normal(size=(20, 64)))
    vectors = np.concatenate([group, others])
    assert (group @ group.T >= 0.9).all()
    _, pairs = links_of(vectors, 0.9)
    assert pairs == sorted((i, j) for i in range(40) for j in range(40) if i != j)
    assert len(link_similar(vectors, 0.9, build_index(vectors, MiningConfig()), chunk=7).source) == len(pairs)


def test_deeper_search_stops_at_the_most_neighbours_and_says_so(caplog):
    rng = np.random.default_rng(0)
    group = unit(rng.normal(size=64) + 0.1 * rng.normal(size=(40, 64)))
    found = link_similar(group, 0.9, build_index(group, MiningConfig()), most=20)
    per_text = np.bincount(found.source, minlength=40)
    assert per_text.min() >= 20 and len(found.source) < 40 * 39  # each its 20 nearest, not all 39
    assert "40 texts have more than 20 near-duplicates: linked to their 20 nearest only" in caplog.text


def test_a_query_with_more_near_copies_than_the_search_keeps_is_said(caplog):
    """The copies search stops at MOST_NEIGHBOURS per query: the rest would share its batches, so the log says so."""
    from pipeline.stages.dedupe import MOST_NEIGHBOURS

    for copies in (MOST_NEIGHBOURS, MOST_NEIGHBOURS + 1, MOST_NEIGHBOURS + 6):
        caplog.clear()
        vectors = unit([[1, 0.0001 * i, 0] for i in range(copies)] + [[0, 1, 0]] * 4)
        with caplog.at_level("WARNING"):
            _, query_rows, found = link_rows(vectors, np.arange(len(vectors)), 0.95, MiningConfig(),
                                             unit([[1, 0, 0], [0, 0, 1]]))
        assert len(found) == MOST_NEIGHBOURS and set(query_rows.tolist()) == {0}
        # exactly MOST_NEIGHBOURS copies are all found: nothing is said
        said = f"1 query has more than {MOST_NEIGHBOURS} near-copies" in caplog.text
        assert said == (copies > MOST_NEIGHBOURS), copies


def test_a_group_of_exactly_the_most_neighbours_is_not_said_to_have_more(caplog):
    """A text with exactly `most` near-duplicates has them all linked; one more, and the warning says so."""
    rng = np.random.default_rng(0)
    for size, said in ((21, False), (22, True)):  # 20 near-duplicates each, then 21
        caplog.clear()
        group = unit(rng.normal(size=64) + 0.01 * rng.normal(size=(size, 64)))
        vectors = np.concatenate([group, unit(rng.normal(size=(10, 64)))])
        with caplog.at_level("WARNING"):
            found = link_similar(vectors, 0.9, build_index(vectors, MiningConfig()), most=20)
        assert len(found.source) == size * (size - 1) if not said else len(found.source) >= size * 20
        assert ("more than 20 near-duplicates" in caplog.text) == said, size
