"""Texts in tokenised batches for the encoder: tokenised ahead in forked worker processes, from the tokenizer's
Rust backend where that gives exactly the model's own features."""

import copy
import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from pipeline.stages.encode_backend import autocast

if TYPE_CHECKING:
    from torch import Tensor

    from pipeline.stages.encode_jobs import EncodeJob


def tokenising_loader(batches: "TokenBatches", workers: int, pin: bool) -> Iterable[dict]:
    """The batches in order, tokenised ahead in `workers` forked processes (torch's DataLoader)."""
    from torch.utils.data import DataLoader

    return DataLoader(batches, batch_size=None, num_workers=workers, prefetch_factor=4, pin_memory=pin,
                      multiprocessing_context="fork", worker_init_fn=_tokenise_on_one_thread)


def _tokenise_on_one_thread(_worker: int) -> None:
    """A forked process has none of the parent's threads: with TOKENIZERS_PARALLELISM=true (a common setting) the
    backend's thread pool waits on them forever. tokenizers reads the variable on every call."""
    os.environ["TOKENIZERS_PARALLELISM"] = "false"


def applied_prompt(model: object | None, prompt: str | None) -> str | None:
    """The prompt encode() puts before the texts (it keys the cache too): the model's default where None."""
    if prompt is None and model is not None and model.default_prompt_name:
        return model.prompts.get(model.default_prompt_name)
    return prompt


QUERY_PROMPTS, DOCUMENT_PROMPTS = ("query",), ("document", "passage", "corpus")  # as encode_query/_document look


def role_prompt(model: object, prompt: str | None, names: tuple[str, ...]) -> str | None:
    """The prompt ST's encode_query (`QUERY_PROMPTS`) or encode_document (`DOCUMENT_PROMPTS`) applies: the one
    given, else the model's own prompt of that name, else encode()'s default. ST 6 gives every model "query" and
    "document" prompts ("" where its config has none), so a "passage" prompt is used only where "document" is gone."""
    if prompt is None:
        prompt = next((model.prompts[name] for name in names if name in model.prompts), None)
    return applied_prompt(model, prompt)


class TokenBatches:
    """The jobs' texts in batches of `size`, each tokenised where DataLoader asks for it: in a worker process. The
    texts are Arrow arrays (zero-copy, no Python strings until a batch is taken, and no polars thread pool in a
    forked worker); the prompt is resolved here as encode() does: the model's default prompt where the job has none.

    A batch gets the model's own preprocess features. Where the model has a fast tokenizer, they are built from its
    Rust backend (`encode_batch_fast`, then one numpy array per field) for each prompt on which that gives exactly
    preprocess's features on a sample of the texts (the longest and the shortest of each job: truncated and padded
    ones). transformers' tokenizer call spends more time on Python per text than the backend on tokenising: on an
    H200 machine's CPU, 2,842 texts/s through preprocess against 12,702 through the backend (one calling thread,
    benchmarks/gpu_encode_parts.py), and a GPU waits on it."""

    def __init__(self, model: object, jobs: list["EncodeJob"], size: int) -> None:
        self.model, self.size = model, size
        self.texts = [(job.texts["text"].to_arrow(), applied_prompt(model, job.prompt)) for job in jobs]
        self.starts = [(number, start) for number, job in enumerate(jobs) for start in range(0, job.texts.height, size)]
        self.backend, self.fast = None, {}  # prompt -> (tensor fields, the other features) where the backend serves
        for prompt in dict.fromkeys(prompt for _, prompt in self.texts):
            sample = [text for texts, text_prompt in self.texts if text_prompt == prompt and len(texts)
                      for text in (texts[0].as_py(), texts[-1].as_py())]
            self._verify(sample, prompt)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, index: int) -> dict:
        number, start = self.starts[index]
        texts, prompt = self.texts[number]
        batch = texts.slice(start, self.size).to_pylist()
        if prompt not in self.fast:
            return self.model.preprocess(batch, prompt=prompt)
        fields, others = self.fast[prompt]
        return backend_features(self.backend, batch, prompt, fields) | others

    def _verify(self, sample: list[str], prompt: str | None) -> None:
        import torch

        expected = self.model.preprocess(sample, prompt=prompt)  # sets the backend's truncation and padding
        if self.backend is None:
            backend = getattr(getattr(self.model, "tokenizer", None), "_tokenizer", None)
            if not hasattr(backend, "encode_batch_fast"):
                return
            self.backend = copy.deepcopy(backend)  # with those settings, untouched by later tokenizer calls
        fields = [key for key, value in expected.items() if torch.is_tensor(value)]
        others = {key: value for key, value in expected.items() if not torch.is_tensor(value)}
        if not sample or not set(fields) <= _FIELDS.keys() or not all(
                isinstance(value, str | int | float | bool | None) for value in others.values()):
            return
        built = backend_features(self.backend, sample, prompt, fields)
        if all(built[key].dtype == expected[key].dtype and torch.equal(built[key], expected[key]) for key in fields):
            self.fast[prompt] = (fields, others)


_FIELDS = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}  # -> Encoding's


def backend_features(backend: object, texts: list[str], prompt: str | None, fields: list[str]) -> dict:
    import torch

    encodings = backend.encode_batch_fast([prompt + text for text in texts] if prompt else texts)
    return {key: torch.from_numpy(np.array([getattr(encoding, _FIELDS[key]) for encoding in encodings],
                                           dtype=np.int64)) for key in fields}


def fed_embeddings(model: object, jobs: list["EncodeJob"], size: int, workers: int, backend: str
                   ) -> Iterator[np.ndarray]:
    """Each job's normalised embeddings as `model.encode` gives them, with the batches of `size` tokenised ahead by
    `workers` forked processes (torch's DataLoader) while the model runs, copied to the device from pinned memory,
    and brought back once per job rather than once per batch."""
    import torch

    device = model.device
    model.eval()  # as encode() does: no dropout
    features = iter(tokenising_loader(TokenBatches(model, jobs, size), workers, pin=device.type == "cuda"))
    for job in jobs:
        vectors = [_forward(model, next(features), backend) for _ in range(0, job.texts.height, size)]
        yield (torch.cat(vectors).cpu().numpy() if vectors
               else np.zeros((0, model.get_embedding_dimension()), dtype=np.float32))


def _forward(model: object, features: dict, backend: str) -> "Tensor":
    """Normalised embeddings of one tokenised batch, as encode() computes them (truncate_dim included), left on the
    device: no wait for the device until the job is done."""
    import torch
    from sentence_transformers.util import truncate_embeddings

    device = model.device
    with torch.inference_mode(), autocast(backend, device.type):
        features = {key: value.to(device, non_blocking=True) if torch.is_tensor(value) else value
                    for key, value in features.items()}
        vectors = truncate_embeddings(model(features)["sentence_embedding"], model.truncate_dim)
        return torch.nn.functional.normalize(vectors.float(), dim=1)
