"""mine_negatives on hand-made embeddings: no model, exact expectations."""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import pipeline.stages.mine_chunk as mine_chunk_module
import pipeline.stages.positive_rank as positive_rank_module
from pipeline.canonical import InputRows, build_canonical
from pipeline.config import MiningConfig
from pipeline.stages.case_links import seen_as
from pipeline.stages.dedupe import Links
from pipeline.stages.index import SearchIndex, build_index
from pipeline.stages.mine import mine_negatives


def canonical(queries: list[str], positives: list[list[str]], corpus: list[str],
              negatives: list[list[str]] | None = None):
    frame = pl.DataFrame({"row": list(range(1, len(queries) + 1)), "query": queries, "positive": positives,
                          "negative": negatives or [[] for _ in queries]},
                         schema={"row": pl.UInt32, "query": pl.String, "positive": pl.List(pl.String),
                                 "negative": pl.List(pl.String)})
    return build_canonical(InputRows(frame, Path("rows"), {}), pl.LazyFrame({"text": corpus}))


def embed(texts: pl.Series, angle_of: dict[str, float]) -> np.ndarray:
    """Unit vectors in a plane: cosine between two texts is cos(angle difference)."""
    angles = np.radians([angle_of[t] for t in texts])
    return np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)


def test_query_short_of_k_is_searched_deeper():
    docs = [f"d{i}" for i in range(30)]
    angle_of = {"q": 0.0, "p": 5.0, **{d: 10.0 + 2 * i for i, d in enumerate(docs)}}
    canon = canonical(["q"], [["p"]], docs)
    queries, corpus = embed(canon.queries["text"], angle_of), embed(canon.corpus["text"], angle_of)
    # d0..d9 score above the ceiling; the first search (depth range_max 2 + 1 positive) sees only p, d0, d1.
    ceiling = float(np.cos(np.radians(10.0 + 2 * 9.5)))
    config = MiningConfig(negatives=2, range_max=2, relative_margin=None, max_score=ceiling, positive_neighbors=0)
    mined = mine_negatives(canon, queries, corpus, build_index(corpus, config), config)
    chosen = mined.negatives.join(canon.corpus, left_on="doc_id", right_on="doc_id").sort("rank")["text"]
    assert chosen.to_list() == ["d10", "d11"]
    assert mined.deepened == 2  # depth 3 -> 12 -> 48 (capped at 31): d10 is the 12th candidate
    # d0..d3 lie within 11 degrees of p (cosine >= 0.98): copies of the positive, counted under that reason first.
    assert mined.skipped["mined"]["near_duplicate_of_positive"] == 4
    assert mined.skipped["mined"]["above_max_score"] == 6


def test_query_whose_positive_ranks_low_is_searched_until_the_corpus_is_covered(monkeypatch):
    # 60 documents lie nearer the query than its positive (all above the margin); the negatives lie beyond it.
    # The first search (range_max 2 + 1 positive = 3) is deepened 3 -> 12 -> 48 -> 192, capped at the 70 documents.
    near, far = [f"n{i}" for i in range(60)], [f"f{i}" for i in range(10)]
    angle_of = {"q": 0.0, **{d: 1.0 + i for i, d in enumerate(near)}, "p": 62.0,
                **{d: 70.0 + i for i, d in enumerate(far)}}
    canon = canonical(["q"], [["p"]], near + far)
    queries, corpus = embed(canon.queries["text"], angle_of), embed(canon.corpus["text"], angle_of)
    config = MiningConfig(negatives=2, range_max=2, positive_neighbors=0, near_duplicate=0.9999)
    mined = mine_negatives(canon, queries, corpus, build_index(corpus, config), config)
    chosen = mined.negatives.join(canon.corpus, on="doc_id").sort("rank")["text"].to_list()
    assert chosen == ["f0", "f1"] and mined.deepened == 3
    assert mined.skipped["mined"]["above_relative_margin"] == 60

    # The deep searches are split so that no search holds more than CANDIDATE_BUDGET (queries x depth) cells;
    # the split changes nothing chosen or counted.
    many = canonical([f"q{i}" for i in range(5)], [["p"]] * 5, near + far)
    angle_of.update({f"q{i}": 0.1 * i for i in range(5)})
    queries = embed(many.queries["text"], angle_of)

    def mine() -> tuple:
        result = mine_negatives(many, queries, corpus, build_index(corpus, config), config)
        return result.negatives.sort("query_id", "rank").rows(), result.skipped, result.deepened

    whole = mine()
    for module in (mine_chunk_module, positive_rank_module):  # one query per search, the first pass too
        monkeypatch.setattr(module, "CANDIDATE_BUDGET", 4)
    assert mine() == whole and whole[2] == 15 and len(whole[0]) == 10


def test_a_positive_ranked_below_max_positive_rank_is_set_aside_and_never_a_negative():
    # qa: pa1 is the nearest document, pa2 has the 20 d's above it. qb: its only positive pb is as far as pa2.
    near = [f"d{i}" for i in range(20)]
    angle_of = {"qa": 0.0, "qb": 1.0, "pa1": 5.0, **{d: 10.0 + 2 * i for i, d in enumerate(near)}, "pa2": 60.0,
                "pb": 61.0, "f0": 80.0, "f1": 85.0, "f2": 90.0}
    canon = canonical(["qa", "qb"], [["pa1", "pa2"], ["pb"]], ["f0", "f1", "f2", *near])
    queries, corpus = embed(canon.queries["text"], angle_of), embed(canon.corpus["text"], angle_of)
    text_of = dict(canon.corpus.select("doc_id", "text").iter_rows())
    query_of = dict(canon.queries.select("query_id", "text").iter_rows())

    def mined(rank: int | None, range_max: int | None = None) -> tuple[dict, list]:
        config = MiningConfig(negatives=2, positive_neighbors=0, max_positive_rank=rank, range_max=range_max)
        result = mine_negatives(canon, queries, corpus, build_index(corpus, config), config)
        chosen = {query_of[query]: [text_of[doc] for doc in group.sort("rank")["doc_id"]]
                  for (query,), group in result.negatives.group_by("query_id")}
        low = sorted((query_of[query], text_of[doc]) for query, doc in result.ranked_low.iter_rows())
        return chosen, low

    # Without the filter qa's margin is 95% of pa2's score: every d is too close, its negatives lie beyond pa2.
    assert mined(None) == ({"qa": ["f0", "f1"], "qb": ["f0", "f1"]}, [])
    # With it pa2 (20 documents above) and pb (21 with pa1) are set aside; pa2 stays a known positive of qa,
    # whose margin now follows pa1: d0..d3 are copies of pa1 (cosine >= 0.98), d4 is above the margin.
    assert mined(20) == ({"qa": ["d5", "d6"]}, [("qa", "pa2"), ("qb", "pb")])
    assert mined(22) == ({"qa": ["f0", "f1"]}, [("qb", "pb")])  # pa2 has 20 above it, pb 22
    assert mined(21) == mined(22)  # pa1 is above pa2 too, but a known positive of qa does not count
    for rank in (20, 21, 22):  # a first search of 4 holds neither pa2 nor pb: both are counted by a deeper one
        assert mined(rank, range_max=2) == mined(rank), rank
    for range_max, searched_again in ((2, 2), (None, 0)):  # qa and qb; none when the first search is deep enough
        config = MiningConfig(negatives=2, positive_neighbors=0, max_positive_rank=20, range_max=range_max)
        result = mine_negatives(canon, queries, corpus, build_index(corpus, config), config)
        assert result.rank_searches == searched_again
    assert mined(23) == mined(None)


def test_a_copy_of_a_candidate_is_not_a_second_negative():
    """Texts an uncased encoder sees as one ("n1" and "N1", at one angle here as they are to it) would stand in one
    row twice: lint's padding-negative. The later one is skipped and the next candidate taken; a mined copy of a
    given negative too. An encoder that keeps case sees two texts: both stay."""
    docs = ["p", "n1", "N1", "n2", "n3", "n4"]
    angle_of = {"q": 0.0, "p": -30.0, "n1": 40.0, "N1": 40.0, "n2": 42.0, "n3": 44.0, "n4": 46.0}
    config = MiningConfig(negatives=3, relative_margin=None, positive_neighbors=0)

    def mined(given: list[str], folds: tuple[bool, bool]) -> tuple[list[str], int]:
        canon = canonical(["q"], [["p"]], docs, [given])
        queries, corpus = embed(canon.queries["text"], angle_of), embed(canon.corpus["text"], angle_of)
        result = mine_negatives(canon, queries, corpus, build_index(corpus, config), config,
                                seen_as=seen_as(canon.corpus["text"], *folds))
        texts = result.negatives.join(canon.corpus, on="doc_id").sort("rank")["text"].to_list()
        skipped = sum(counts.get("copy_of_a_candidate", 0) for counts in result.skipped.values())
        return texts, skipped

    texts, skipped = mined([], (True, True))
    assert len({text.lower() for text in texts}) == 3 and texts[1:] == ["n2", "n3"] and skipped == 1
    assert mined(["N1"], (True, True)) == (["N1", "n2", "n3"], 1)  # the given one kept, its mined copy skipped
    assert sorted(mined([], (False, False))[0]) == ["N1", "n1", "n2"]


def test_given_sampling_chooses_among_more_given_negatives_than_k():
    """Five given negatives at K=2: the first two in input order, the two nearest the query, or a seeded draw."""
    given = ["g1", "g2", "g3", "g4", "g5"]
    angle_of = {"q": 0.0, "p": 10.0, "g1": 80.0, "g2": 70.0, "g3": 40.0, "g4": 30.0, "g5": 60.0, "m": 50.0}
    canon = canonical(["q"], [["p"]], ["p", "m", *given], [given])
    queries, corpus = embed(canon.queries["text"], angle_of), embed(canon.corpus["text"], angle_of)

    def chosen(**settings) -> list[str]:
        config = MiningConfig(negatives=2, relative_margin=None, positive_neighbors=0, **settings)
        result = mine_negatives(canon, queries, corpus, build_index(corpus, config), config)
        assert set(result.negatives["source"]) == {"input"}
        return sorted(result.negatives.join(canon.corpus, on="doc_id")["text"].to_list())

    assert chosen() == ["g1", "g2"]
    assert chosen(given_sampling="top") == ["g3", "g4"]
    draws = {tuple(chosen(given_sampling="random", seed=seed)) for seed in range(8)}
    assert len(draws) > 1 and all(len(draw) == 2 and set(draw) <= set(given) for draw in draws)
    assert chosen(given_sampling="random", seed=3) == chosen(given_sampling="random", seed=3)


def test_nearest_documents_of_a_positive_are_not_negatives():
    docs = ["p", "n1", "n2", "far1", "far2", "far3"]
    # far3 and far2 are the positive's two nearest documents; n1 and far1 tie at 20 degrees (so no test uses N=3).
    angle_of = {"q": 0.0, "far1": 30.0, "far2": 32.0, "far3": 34.0, "p": 50.0, "n1": 70.0, "n2": 72.0}
    canon = canonical(["q"], [["p"]], docs)
    queries, corpus = embed(canon.queries["text"], angle_of), embed(canon.corpus["text"], angle_of)

    def chosen(positive_neighbors: int) -> tuple[list[str], dict]:
        config = MiningConfig(negatives=3, relative_margin=None, positive_neighbors=positive_neighbors)
        mined = mine_negatives(canon, queries, corpus, build_index(corpus, config), config)
        texts = mined.negatives.join(canon.corpus, on="doc_id").sort("rank")["text"].to_list()
        return texts, mined.skipped["mined"]

    # p's nearest: far3 (16 degrees), far2 (18), n1 (20), far1 (20), n2 (22).
    assert chosen(0) == (["far1", "far2", "far3"], {"is_positive": 1, "near_duplicate_of_positive": 0,
                                                    "near_copy_of_query": 0})
    texts, skipped = chosen(2)
    assert texts == ["far1", "n1", "n2"] and skipped["neighbor_of_positive"] == 2
    texts, skipped = chosen(5)  # every document is a neighbour: none is left
    assert texts == [] and skipped["neighbor_of_positive"] == 5


def test_each_query_drops_only_its_own_positives_neighbours_in_every_chunk_and_pass():
    # qa's positive pa has a1 as nearest document, qb's positive pb has b1. For qa, pb and b1 are plain negatives
    # (and the other way round). m lies between the queries, farther from either positive than a1 or b1.
    angle_of = {"qa": 0.0, "qb": 30.0, "pa": -20.0, "a1": -35.0, "pb": 50.0, "b1": 65.0, "m": 15.0}
    canon = canonical(["qa", "qb"], [["pa"], ["pb"]], ["a1", "b1", "m"])
    queries, corpus = embed(canon.queries["text"], angle_of), embed(canon.corpus["text"], angle_of)
    text_of = dict(canon.corpus.select("doc_id", "text").iter_rows())
    query_of = dict(canon.queries.select("query_id", "text").iter_rows())
    for chunk in (1, 2):
        # The first search (depth range_max 3 + 1 positive) leaves 2 negatives per query: both are searched deeper.
        config = MiningConfig(negatives=3, range_max=3, relative_margin=None, positive_neighbors=1, query_chunk=chunk)
        mined = mine_negatives(canon, queries, corpus, build_index(corpus, config), config)
        chosen = {query_of[query]: [text_of[doc] for doc in group.sort("rank")["doc_id"]]
                  for (query,), group in mined.negatives.group_by("query_id")}
        assert chosen == {"qa": ["m", "pb", "b1"], "qb": ["m", "pa", "a1"]}, chunk
        assert (mined.deepened, mined.skipped["mined"]["neighbor_of_positive"]) == (2, 2)


def test_positives_of_near_duplicate_queries_are_never_negatives():
    docs = ["a1", "a2", "b1", "x"]
    # Far enough apart (15 degrees and more) that no document is a near-duplicate of another.
    angle_of = {"qb": 0.0, "a1": 15.0, "qa": 20.0, "x": 30.0, "b1": 45.0, "a2": 60.0}
    canon = canonical(["qa", "qb"], [["a1", "a2"], ["b1"]], docs)
    queries, corpus = embed(canon.queries["text"], angle_of), embed(canon.corpus["text"], angle_of)
    config = MiningConfig(negatives=1, relative_margin=None, positive_neighbors=0)
    query_of = {text: i for i, text in enumerate(canon.queries["text"])}
    apart = None
    together = Links(np.array([0, 1]), np.array([1, 0]), 2)

    def negative_of(links: Links | None, query: str) -> str:
        mined = mine_negatives(canon, queries, corpus, build_index(corpus, config), config, links)
        query_id = canon.queries["query_id"][query_of[query]]
        doc_id = mined.negatives.filter(pl.col("query_id") == query_id)["doc_id"][0]
        return canon.corpus.filter(pl.col("doc_id") == doc_id)["text"][0]

    assert negative_of(apart, "qb") == "a1"  # qa's positive is qb's hardest negative...
    assert negative_of(together, "qb") == "x"  # ...unless qa and qb are near-duplicates


def test_count_above_matches_a_direct_count():
    from pipeline.stages.positive_rank import _count_above

    rng = np.random.default_rng(0)
    n, depth, documents = 50, 40, 200
    scores = -np.sort(-rng.uniform(-1, 1, (n, depth)).astype(np.float32), axis=1)
    scores[:5, -3:] = -3.4e38  # an IVF search short of results pads with -FLT_MAX and row -1
    rows = np.stack([rng.permutation(documents)[:depth] for _ in range(n)])
    rows[:5, -3:] = -1
    known_rows = np.where(rng.random((n, 4)) < 0.7, rows[:, rng.integers(0, depth, 4)], -1)
    own = np.concatenate([rng.uniform(-1, 1, (n, 2)), scores[:, [7]]], axis=1).astype(np.float32)  # one tie
    query_rows = rng.permutation(n)
    want = [[sum(1 for score, row in zip(scores[i], rows[i], strict=True)
                 if row >= 0 and row not in known_rows[i] and score > own[i, j]) for j in range(3)] for i in range(n)]
    higher = [[sum(1 for score, row in zip(scores[i], rows[i], strict=True) if row >= 0 and score > own[i, j])
               for j in range(3)] for i in range(n)]
    above, counted = _count_above(scores, rows, query_rows, known_rows, own, documents)
    np.testing.assert_array_equal(above, want)
    np.testing.assert_array_equal(counted, higher)


@dataclass(frozen=True)
class MissingIndex(SearchIndex):
    """An exact index that never returns one document, as an IVF search misses one outside its probed lists."""

    missing: int = -1
    depths: list = field(default_factory=list)

    def search(self, queries: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
        self.depths.append(depth)
        scores, rows = super().search(queries, depth + 1)
        order = np.argsort(rows == self.missing, axis=1, kind="stable")[:, :depth]
        return np.take_along_axis(scores, order, axis=1), np.take_along_axis(rows, order, axis=1)


def test_a_positive_the_index_misses_is_counted_without_a_deeper_search():
    # p is the query's nearest document, but the index never returns it: the first search (range_max 1 + 1 = 2)
    # holds d0 and d1, both below p, so it already holds every document above p that the index reaches.
    docs = [f"d{i}" for i in range(10)]
    angle_of = {"q": 0.0, "p": 5.0, **{d: 30.0 + 5 * i for i, d in enumerate(docs)}}
    canon = canonical(["q"], [["p"]], ["p", *docs])
    queries, corpus = embed(canon.queries["text"], angle_of), embed(canon.corpus["text"], angle_of)
    config = MiningConfig(negatives=1, range_max=1, relative_margin=None, positive_neighbors=0, max_positive_rank=3)
    flat = build_index(corpus, config)
    index = MissingIndex(flat.vectors, missing=canon.corpus["text"].to_list().index("p"))
    mined = mine_negatives(canon, queries, corpus, index, config)
    assert mined.ranked_low.is_empty()
    assert index.depths == [2] and mined.rank_searches == 0  # no second search, 3 + 1 deep, to count p's rank
    chosen = mined.negatives.join(canon.corpus, on="doc_id").sort("rank")["text"].to_list()
    assert chosen == ["d0"]


def test_random_sampling_draws_from_the_whole_window_whatever_other_queries_there_are():
    # q's positive p is at 30 degrees; n0..n4 sit above the margin, f0..f19 below it: the window (range_max 10)
    # is f0..f9, though the first search (10 + 1 known positive deep) reaches only f0..f4. r, with 9 positives,
    # makes the first search deeper for every query.
    near, far, other = [f"n{i}" for i in range(5)], [f"f{i}" for i in range(20)], [f"r{i}" for i in range(9)]
    angle_of = {"q": 0.0, "p": 30.0, "r": 180.0, **{d: 1.0 + i for i, d in enumerate(near)},
                **{d: 40.0 + i for i, d in enumerate(far)}, **{d: 170.0 + i for i, d in enumerate(other)}}

    def drawn(queries: list[str], positives: list[list[str]], seed: int) -> str:
        canon = canonical(queries, positives, [*near, *far, *other, "p"])
        queries, docs = embed(canon.queries["text"], angle_of), embed(canon.corpus["text"], angle_of)
        config = MiningConfig(negatives=1, range_max=10, sampling="random", seed=seed, positive_neighbors=0,
                              near_duplicate=0.999, max_positive_rank=None)
        mined = mine_negatives(canon, queries, docs, build_index(docs, config), config)
        q = canon.queries.filter(pl.col("text") == "q")["query_id"][0]
        return mined.negatives.filter(pl.col("query_id") == q).join(canon.corpus, on="doc_id")["text"][0]

    alone = [drawn(["q"], [["p"]], seed) for seed in range(40)]
    assert set(alone) == set(far[:10])  # every member of the window is drawn, nothing outside it
    assert alone == [drawn(["q", "r"], [["p"], other], seed) for seed in range(40)]


def test_chunks_ranked_one_by_one_give_the_order_and_ranks_of_one_sort_of_all():
    from collections import Counter
    from types import SimpleNamespace

    from pipeline.stages.mine import _merge
    from pipeline.stages.mine_chunk import PAIR_SCHEMA, ChunkResult, ranked_ids

    rng = np.random.default_rng(0)
    inputs = SimpleNamespace(query_ids=rng.permutation(40).astype(np.uint64),
                             doc_ids=rng.permutation(30).astype(np.uint64))
    canon = SimpleNamespace(queries=pl.DataFrame({"query_id": inputs.query_ids}),
                            corpus=pl.DataFrame({"doc_id": inputs.doc_ids}))

    def chosen(rows: range) -> pl.DataFrame:  # passes of a chunk append deepened queries after the others
        order = rng.permutation(len(rows) * 3)  # three distinct documents per query, scores tied often
        doc_rows = np.concatenate([rng.choice(30, 3, replace=False) for _ in rows])
        return pl.DataFrame({"query_row": np.repeat(np.array(rows), 3)[order], "doc_row": doc_rows[order],
                             "score": rng.choice([0.5, 0.25, 0.75], len(order)), "given": rng.random(len(order)) < 0.3})

    parts = [chosen(range(start, start + 10)) for start in range(0, 40, 10)]
    chunks = [ChunkResult(ranked_ids(part, inputs), pl.DataFrame(schema=PAIR_SCHEMA), {}, Counter(),
                          np.zeros(0, np.float32), 0) for part in parts]
    merged = _merge(canon, chunks, 10).negatives
    whole = pl.concat(parts)
    expected = (whole.select(query_id=pl.Series(inputs.query_ids[whole["query_row"].to_numpy()]),
                             doc_id=pl.Series(inputs.doc_ids[whole["doc_row"].to_numpy()]), score="score",
                             source=pl.when("given").then(pl.lit("input")).otherwise(pl.lit("mined")),
                             query_row="query_row")
                .sort("query_row", "score", "doc_id", descending=[False, True, False])
                .with_columns(rank=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over("query_row")))
    assert merged.equals(expected.select("query_id", "doc_id", "score", "rank", "source"))
    assert merged["rank"].max() == 3 and set(merged["source"]) == {"input", "mined"}
    empty = _merge(canon, [], 10).negatives
    assert empty.is_empty() and empty.columns == merged.columns and empty.dtypes == merged.dtypes


def test_spilled_chunks_give_the_negatives_mined_in_memory(tmp_path):
    rng = np.random.default_rng(3)
    docs = [f"d{i}" for i in range(60)]
    canon = canonical([f"q{i}" for i in range(10)], [[docs[i]] for i in range(10)], docs)
    queries = rng.normal(size=(canon.queries.height, 8)).astype(np.float32)
    corpus = rng.normal(size=(canon.corpus.height, 8)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    corpus /= np.linalg.norm(corpus, axis=1, keepdims=True)
    config = MiningConfig(negatives=3, query_chunk=3, positive_neighbors=0)
    held = mine_negatives(canon, queries, corpus, build_index(corpus, config), config)
    spilled = mine_negatives(canon, queries, corpus, build_index(corpus, config), config, spill=tmp_path / "mined")
    assert isinstance(spilled.negatives, pl.LazyFrame)
    assert sorted(path.name for path in (tmp_path / "mined").iterdir()) == ["0.arrow", "1.arrow", "2.arrow", "3.arrow"]
    assert spilled.negatives.collect().equals(held.negatives) and held.negatives.height == 30
    assert (spilled.skipped, spilled.candidates) == (held.skipped, held.candidates)


def test_spilled_chunks_are_read_from_a_folder_whose_name_holds_glob_characters(tmp_path):
    docs = [f"d{i}" for i in range(8)]
    canon = canonical(["q"], [["d0"]], docs)
    angle_of = {"q": 0.0, **{d: 3.0 * i for i, d in enumerate(docs)}}
    queries, corpus = embed(canon.queries["text"], angle_of), embed(canon.corpus["text"], angle_of)
    config = MiningConfig(negatives=2, relative_margin=None, positive_neighbors=0)
    (tmp_path / "other").mkdir()  # a `*` would match it too
    spill = tmp_path / ".run[1]*.vectors-mined-7"
    mined = mine_negatives(canon, queries, corpus, build_index(corpus, config), config, spill=spill)
    assert mined.negatives.collect().height == 2


def test_a_plan_over_tables_not_sorted_by_id_or_missing_a_links_id_is_refused():
    from dataclasses import replace

    from pipeline.stages.mine import _query_plan

    canon = canonical(["q0", "q1"], [["d0"], ["d1"]], ["d0", "d1", "d2"])
    assert _query_plan(canon, None).height == 2
    for broken in (replace(canon, corpus=canon.corpus.reverse()), replace(canon, queries=canon.queries.head(1)),
                   replace(canon, corpus=canon.corpus.head(0))):  # every row found past the end
        with pytest.raises(ValueError, match="sorted by id, holding every link's"):
            _query_plan(broken, None)
