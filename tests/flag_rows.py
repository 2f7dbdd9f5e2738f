"""Tiny FlagEmbedding-style rows with 4, 1, 0 and 2 negatives per query."""

ROWS = [
    {"query": "what is the capital of france", "pos": ["paris is the capital of france"],
     "neg": ["berlin is the capital of germany", "rome is the capital of italy", "madrid is the capital of spain",
             "the sea is blue"]},
    {"query": "who wrote hamlet", "pos": ["hamlet was written by shakespeare", "shakespeare wrote the tragedy hamlet"],
     "neg": ["macbeth is a play"]},
    {"query": "why is the sky blue", "pos": ["light scattering makes the sky blue"], "neg": []},
    {"query": "what is a cat", "pos": ["a cat is a mammal"], "neg": ["a dog is an animal", "leaves are green"]},
]
NEGATIVES = {row["query"]: row["neg"] for row in ROWS}
POSITIVES = {row["query"]: row["pos"] for row in ROWS}
