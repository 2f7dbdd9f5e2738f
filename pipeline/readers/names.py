"""Column names the st and pairs readers look for, shared with format detection and lint."""

import re

# st's roles and the names each goes by.
SYNONYMS = {
    "anchor": ("anchor", "query", "question"),
    "positive": ("positive", "pos", "answer"),
    "negative": ("negative", "neg"),
}
NUMBERED_NEGATIVE = re.compile(r"^negative_(\d+)$")
# The score or label of a pair, as AnglE, CoSENT, ST's data collator and STS data name it.
SCORE_NAMES = ("score", "label", "labels", "scores", "similarity_score")
