"""A tiny random BERT sentence-transformer built offline: a WordPiece tokenizer over a fixed vocabulary, 2 small
layers. The same seed gives the same model in every process (a trained vocabulary did not: the trainer breaks ties
between equally frequent merges differently from run to run)."""

from pathlib import Path

WORDS = [
    "paris",
    "france",
    "capital",
    "city",
    "berlin",
    "germany",
    "rome",
    "italy",
    "madrid",
    "spain",
    "bread",
    "bake",
    "flour",
    "yeast",
    "oven",
    "water",
    "hamlet",
    "shakespeare",
    "play",
    "wrote",
    "tragedy",
    "macbeth",
    "sky",
    "blue",
    "light",
    "scattering",
    "sea",
    "colour",
    "plants",
    "energy",
    "leaves",
    "green",
    "chlorophyll",
    "cat",
    "dog",
    "mammal",
    "animal",
    "what",
    "who",
    "why",
    "how",
    "is",
    "the",
    "of",
    "a",
    "an",
    "in",
    "and",
    "to",
]


def build_tiny_model(folder: Path, seed: int = 0) -> Path:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertModel

    base = folder / "bert"
    _save_bert(BertModel, base, seed)
    transformer = Transformer(str(base), max_seq_length=64)
    model = SentenceTransformer(modules=[transformer, Pooling(32, pooling_mode="mean")], device="cpu")
    out = folder / "tiny-st"
    model.save(str(out))
    return out


def build_static_model(folder: Path, tiny_model: Path, seed: int = 0) -> Path:
    """A StaticEmbedding over the tiny model's tokenizer: no special tokens, no max_seq_length (it is inf)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer

    torch.manual_seed(seed)
    static = StaticEmbedding(Tokenizer.from_file(str(tiny_model / "tokenizer.json")), embedding_dim=16)
    out = folder / "static"
    SentenceTransformer(modules=[static], device="cpu").save(str(out))
    return out


def build_tiny_cross_encoder(folder: Path, seed: int = 0) -> Path:
    """A BERT with one output: CrossEncoder(path) loads it as a reranker with a single score."""
    from transformers import BertForSequenceClassification

    out = folder / "tiny-cross-encoder"
    _save_bert(BertForSequenceClassification, out, seed, num_labels=1)
    return out


def _save_bert(model_class: type, folder: Path, seed: int, **config: object) -> None:
    import torch
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece
    from transformers import BertConfig, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    letters = [chr(code) for code in range(ord("a"), ord("z") + 1)] + list("0123456789")
    vocab = [*specials, *letters, *(f"##{letter}" for letter in letters), *sorted(set(WORDS) - set(letters))]
    tokenizer = Tokenizer(WordPiece({token: index for index, token in enumerate(vocab)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    torch.manual_seed(seed)
    model = model_class(
        BertConfig(
            vocab_size=fast.vocab_size,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=128,
            **config,
        )
    )
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
