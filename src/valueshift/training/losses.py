"""Per-example training losses, one function per model kind, shared by the trainer and attribution.

Each function returns the *summed* token cross-entropy of every example in a padded batch, shape ``(B,)``. The
trainer divides the batch total by the group's label tokens (a token-mean, as Hugging Face's ``labels=`` loss);
attribution differentiates single rows. Because both call the same function, the quantity attribution explains
is exactly the one the optimizer minimised.

Batches come from :func:`valueshift.training.objectives.collate`: ``input_ids``, ``attention_mask`` and
``labels`` padded with ``IGNORE`` (-100).
"""

from __future__ import annotations

from typing import Any

from valueshift.training.checkpoint import base_model
from valueshift.training.objectives import IGNORE

__all__ = ["causal_example_losses", "masked_example_losses", "seq2seq_example_losses", "token_cross_entropy"]


def token_cross_entropy(logits: Any, labels: Any) -> Any:
    """Summed cross-entropy per row: logits ``(B, T, V)``, labels ``(B, T)`` with ``IGNORE`` -> ``(B,)``."""
    import torch.nn.functional as F

    b, t, v = logits.shape
    per_token = F.cross_entropy(
        logits.reshape(b * t, v).float(), labels.reshape(b * t), ignore_index=IGNORE, reduction="none"
    )  # (B*T,)
    return per_token.view(b, t).sum(dim=1)  # (B,)


def seq2seq_example_losses(model: Any, batch: dict[str, Any]) -> Any:
    """Encoder-decoder (span corruption): teacher-forced decoder over the labels."""
    labels = batch["labels"]
    dec = base_model(model).prepare_decoder_input_ids_from_labels(labels=labels)  # (B, T_lab)
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                   decoder_input_ids=dec).logits  # (B, T_lab, V)  # fmt: skip
    return token_cross_entropy(logits, labels)


def masked_example_losses(model: Any, batch: dict[str, Any]) -> Any:
    """Masked LM: labels are set only at the corrupted positions."""
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits  # (B, T, V)
    return token_cross_entropy(logits, batch["labels"])


def causal_example_losses(model: Any, batch: dict[str, Any]) -> Any:
    """Causal LM: token t+1 is predicted from the prefix up to t (the first label is never predicted)."""
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits  # (B, T, V)
    return token_cross_entropy(logits[:, :-1], batch["labels"][:, 1:])
