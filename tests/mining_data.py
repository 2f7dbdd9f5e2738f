"""Tiny mining input: rows with 0 to 2 positives, a repeated query, a row without positive, and a corpus."""

import json
from pathlib import Path

from pipeline.config import DedupeConfig, EncoderConfig, LayoutConfig, MiningConfig, RunConfig
from pipeline.run import RunInputs, run_pipeline

ROWS = [
    {"query": "what is the capital of france", "pos": ["paris is the capital of france"], "neg": []},
    {"query": "how do i bake bread", "pos": ["mix flour water and yeast then bake in the oven"], "neg": []},
    {"query": "who wrote hamlet", "pos": ["hamlet was written by shakespeare", "shakespeare wrote the tragedy hamlet"],
     "neg": ["macbeth is a play"]},
    {"query": "why is the sky blue", "pos": ["light scattering makes the sky blue"], "neg": []},
    {"query": "what is a cat", "pos": ["a cat is a mammal"], "neg": []},
    {"query": "who wrote hamlet", "pos": ["shakespeare wrote the tragedy hamlet"], "neg": []},
    {"query": "what is chlorophyll", "pos": [], "neg": ["the sea is blue"]},
]
CORPUS = ["berlin is the capital of germany", "rome is the capital of italy", "madrid is the capital of spain",
          "PARIS IS THE CAPITAL OF FRANCE", "bread needs an oven", "a dog is an animal", "the sea is blue",
          "plants turn light into energy", "leaves are green", "macbeth is a play by shakespeare",
          "a cat is an animal and a mammal", "yeast and flour", "the sky at night", "green leaves and plants"]


def config_for(model: Path, cache: Path, dedupe: float = 0.95, layout: LayoutConfig | None = None,
               **mining: object) -> RunConfig:
    return RunConfig(encoder=EncoderConfig(model=str(model), cache_dir=str(cache)), mining=MiningConfig(**mining),
                     dedupe=DedupeConfig(threshold=dedupe), layout=layout or LayoutConfig())


def run(data: tuple[Path, Path], model: Path, tmp_path: Path, out: str = "out", dedupe: float = 0.95,
        layout: LayoutConfig | None = None, **mining: object) -> dict:
    path, corpus = data
    config = config_for(model, tmp_path / "cache", dedupe, layout, **mining)
    return run_pipeline(RunInputs(path, corpus=corpus), config, tmp_path / out)


def write_data(folder: Path) -> tuple[Path, Path]:
    path = folder / "train.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    corpus = folder / "corpus.txt"
    corpus.write_text("\n".join(CORPUS) + "\n")
    return path, corpus
