"""Normalisation (invisible format characters, NFKC, whitespace, case kept) and content-hash ids."""

import polars as pl
import pytest
from plain_norm import norm as plain_norm

from pipeline import normalize
from pipeline.normalize import normalize_texts, text_id


def normalised(texts: list[str]) -> dict[str, tuple[str, int]]:
    """{text: (norm, id)} for distinct texts."""
    frame = normalize_texts(pl.LazyFrame({"text": texts}, schema={"text": pl.String})).collect()
    return {text: (norm, id_) for text, norm, id_ in frame.iter_rows()}


def norm_of(text: str) -> str:
    return normalised([text])[text][0]


@pytest.mark.parametrize(("text", "expected"), [
    ("\ufb01le", "file"),                      # the "ﬁ" ligature
    ("\uff26\uff55\uff4c\uff4c width", "Full width"),  # full-width letters
    ("x\u00b2", "x2"),                         # superscript two
    ("caf\u0065\u0301", "caf\u00e9"),          # e + combining acute composes
])
def test_nfkc_folds_compatibility_characters(text: str, expected: str) -> None:
    assert norm_of(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("  leading and trailing  ", "leading and trailing"),
    ("a\tb\nc\r\nd", "a b c d"),
    ("non\u00a0breaking\u00a0\u00a0space", "non breaking space"),
    ("ideographic\u3000space", "ideographic space"),
    ("many     inner   spaces", "many inner spaces"),
])
def test_whitespace_is_collapsed_and_stripped(text: str, expected: str) -> None:
    assert norm_of(text) == expected


@pytest.mark.parametrize("text", ["", " ", "\t\n", "\u00a0", "\u3000 \u2003"])
def test_whitespace_only_normalises_to_empty(text: str) -> None:
    assert norm_of(text) == ""


def test_case_is_kept() -> None:
    result = normalised(["Hello World", "hello world"])
    assert result["Hello World"][0] == "Hello World"
    assert result["Hello World"][1] != result["hello world"][1]


def test_same_normalised_text_gets_the_same_id() -> None:
    variants = ["Q1 answer", " Q1 answer ", "Q1\tanswer", "Q1\u00a0answer\n", "\uff31\uff11 answer"]
    result = normalised(variants)
    assert {norm for norm, _ in result.values()} == {"Q1 answer"}
    assert len({id_ for _, id_ in result.values()}) == 1


@pytest.mark.parametrize(("text", "xxh64"), [
    ("a", 15154266338359012955),     # 0xd24ec4f1a98c6e5b, the xxHash reference vectors with seed 0
    ("abc", 0x44BC2CF5AD770999),
    ("", 0xEF46DB3751D8E999),
])
def test_id_is_standard_xxhash64_of_the_normalised_text(text: str, xxh64: int) -> None:
    frame = pl.DataFrame({"norm": [text]}).select(id=text_id(pl.col("norm")))
    assert frame.schema["id"] == pl.UInt64
    assert frame["id"][0] == xxh64
    assert normalised([f" {text}\t"])[f" {text}\t"][1] == xxh64


def test_fast_path_and_slow_path_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clean ASCII skips NFKC and the regex; forcing every text through them must change nothing."""
    texts = ["plain ascii text", "punctuation: (a), [b]; {c}!?", "~tilde~ and `backticks`", "a", "",
             "double  space", " lead", "trail ", "tab\there", "caf\u00e9", "\ufb01", "x\u00a0y"]
    default = normalised(texts)
    monkeypatch.setattr(normalize, "_NEEDS_NORMALISING", "^")
    assert normalised(texts) == default


@pytest.mark.parametrize(("clean", "dirty"), [
    ("hello world", "hello\tworld"),
    ("hello world", "hello \u00a0 world "),
    ("fi", "\ufb01"),
])
def test_equivalent_inputs_on_either_path_get_one_id(clean: str, dirty: str) -> None:
    result = normalised([clean, dirty])
    assert result[clean] == result[dirty]


def test_matches_python_reference_normalisation() -> None:
    texts = ["  Mixed\u2003Unicode\u00a0\ufb01 text\n", "\uff21\uff22\uff23 abc", "tab\t\tand\nnewline", "ok",
             "\ufeffsoft\u00adhyphen\u200b and joiner\u2060"]
    for text, (norm, _) in normalised(texts).items():
        assert norm == plain_norm(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("fish facts\u200b", "fish facts"),           # zero width space
    ("\ufefffish facts", "fish facts"),           # byte-order mark (zero width no-break space)
    ("fish\u2060 facts", "fish facts"),           # word joiner
    ("fish fac\u00adts", "fish facts"),           # soft hyphen
    ("fish \u200b facts", "fish facts"),          # removed before whitespace is collapsed
    ("caf\u0065\u200b\u0301", "caf\u00e9"),       # removed before NFKC composes
])
def test_invisible_format_characters_are_removed(text: str, expected: str) -> None:
    assert norm_of(text) == expected
    assert normalised([text, expected])[text] == normalised([expected])[expected]


@pytest.mark.parametrize("text", ["\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian ZWNJ
                                  "\U0001f469\u200d\U0001f4bb"])                       # emoji ZWJ sequence
def test_joiners_that_change_rendering_are_kept(text: str) -> None:
    assert norm_of(text) == text


def test_content_ids_hash_only_the_texts_normalisation_changes() -> None:
    """The embedding cache's key: the hash of the text as given, which is the canonical id where the text is
    normalised already (nothing hashed again), and another id where normalising changes it (x² against x2)."""
    from pipeline.normalize import content_ids, normalize_texts, text_id

    texts = normalize_texts(pl.DataFrame({"text": ["plain text", "x² here", "x2 here", "two  spaces", "Café"]})
                            .lazy()).collect()
    given = content_ids(texts.select("id", "text"))
    assert given.to_list() == texts.select(text_id(pl.col("text")))["text"].to_list()
    changed = texts["text"] != texts["norm"]
    assert (given == texts["id"]).to_list() == (~changed).to_list()
    marked = texts.select("text", id=pl.lit(7, pl.UInt64))  # a normalised text keeps the id it is given
    assert content_ids(marked).to_list()[0] == 7
