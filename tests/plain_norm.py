"""prep's normalisation written again in plain Python: the reference that tests of real data count against."""

import unicodedata

# Zero width space, word joiner, soft hyphen, byte-order mark: removed, as `pipeline.normalize.INVISIBLE` says.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\u00ad\ufeff"))


def norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text.translate(INVISIBLE)).split())
