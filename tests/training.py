"""A few real CPU training steps on what prep writes: the proof that a trainer accepts it."""

import math
from pathlib import Path


def trainer_for(model, dataset, tmp_path: Path, loss, steps: int, batch_size: int, eval_dataset=None,
                **extra: object):
    """A SentenceTransformerTrainer for a few real CPU steps, quiet and saving nothing; `extra` are training
    arguments."""
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments

    args = SentenceTransformerTrainingArguments(
        output_dir=str(tmp_path / "train"), max_steps=steps, per_device_train_batch_size=batch_size,
        learning_rate=1e-3, report_to="none", save_strategy="no", use_cpu=True, seed=0, disable_tqdm=True, **extra)
    return SentenceTransformerTrainer(model=model, args=args, train_dataset=dataset, eval_dataset=eval_dataset,
                                      loss=loss)


def train_steps(model, dataset, tmp_path: Path, loss, steps: int = 2, batch_size: int = 2, **extra: object) -> None:
    """Train and assert that the loss was finite, every step ran and the weights moved; `extra` are training
    arguments (`prompts=...`)."""
    import torch

    before = [p.detach().clone() for p in model.parameters()]
    if hasattr(model, "predict"):  # a CrossEncoder
        from sentence_transformers.cross_encoder import CrossEncoderTrainer, CrossEncoderTrainingArguments

        args = CrossEncoderTrainingArguments(
            output_dir=str(tmp_path / "train"), max_steps=steps, per_device_train_batch_size=batch_size,
            learning_rate=1e-3, report_to="none", save_strategy="no", use_cpu=True, seed=0, disable_tqdm=True, **extra)
        trainer = CrossEncoderTrainer(model=model, args=args, train_dataset=dataset, loss=loss)
    else:
        trainer = trainer_for(model, dataset, tmp_path, loss, steps, batch_size, **extra)
    result = trainer.train()
    assert math.isfinite(result.training_loss) and result.global_step == steps
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
