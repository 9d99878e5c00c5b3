"""Per-side-effect AUROC, AUPRC and AP@50, averaged over side effects (the paper's Table 2 metrics).

Each side effect r is ranked on its own: its test positives against the same number of negatives from one
protocol (:func:`lecturekit.hetero.negatives.evaluation_negatives`). AP@50 follows the authors' ``apk``:
rank all candidates by score, ``AP@k = sum_{i<=k, hit} precision@i / min(#positives, k)``; tied scores
rank negatives first (the authors' code ranks positives first: :func:`ap_at_k`'s ``ties="authors"``).
Used by ``notebooks/04_decagon.ipynb``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from lecturekit.hetero.split import Triples

Scorer = Callable[[Triples], torch.Tensor]


def ap_at_k(scores: np.ndarray, labels: np.ndarray, k: int = 50, ties: str = "pessimistic") -> float:
    """Average precision of the top ``k`` by score; ``labels`` 1 for positives.

    ``ties="pessimistic"`` (the course's rule) ranks negatives first among equal scores, so a constant
    scorer gets the AP of the worst order, not 1.0. ``ties="authors"`` keeps the input order among ties, as
    the authors' ``apk`` does on a list with the positives first (a constant scorer then gets 1.0).
    """
    if ties not in ("pessimistic", "authors"):
        raise ValueError(f"argument 'ties' must be 'pessimistic' or 'authors', got {ties!r}")
    num_pos = int(labels.sum())
    if num_pos == 0:
        return float("nan")
    if ties == "pessimistic":
        order = np.lexsort((labels, -scores))[:k]  # by score, then negatives (label 0) first
    else:
        order = np.argsort(-scores, kind="stable")[:k]
    hits = labels[order].astype(float)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / min(num_pos, k))


def chance_ap(num_pos: int, num_neg: int, k: int | None = None, draws: int = 4000, seed: int = 0) -> float:
    """Expected average precision (AP@``k``; all of the list when ``k`` is None) of a random ranking of
    ``num_pos`` positives and ``num_neg`` negatives, by simulation (the AUPRC a scorer without signal gets)."""
    if num_pos < 1 or num_neg < 0:
        raise ValueError(f"need num_pos >= 1 and num_neg >= 0, got {num_pos}, {num_neg}")
    rng = np.random.default_rng(seed)
    labels = np.r_[np.ones(num_pos), np.zeros(num_neg)]
    k = len(labels) if k is None else k
    values = [ap_at_k(rng.random(len(labels)), labels, k) for _ in range(draws)]
    return float(np.mean(values))


@dataclass
class EvalResult:
    """Mean metrics over side effects and the per-side-effect arrays (NaN where undefined)."""

    auroc: float
    auprc: float
    ap50: float
    per_relation: dict[str, np.ndarray]

    def as_dict(self) -> dict[str, float]:
        return {"auroc": self.auroc, "auprc": self.auprc, "ap@50": self.ap50}


def evaluate_scores(
    pos_scores: np.ndarray,
    neg_scores: np.ndarray,
    pos_rel: np.ndarray,
    neg_rel: np.ndarray,
    num_relations: int,
) -> EvalResult:
    """Metrics per relation from scores of positives and negatives; relations lacking either are skipped.

    Skipped relations stay NaN in ``per_relation`` (count them there); relation ids outside
    ``[0, num_relations)`` and non-finite scores are refused rather than dropped from the mean.
    """
    for name, rel in (("pos_rel", pos_rel), ("neg_rel", neg_rel)):
        if len(rel) and (int(rel.min()) < 0 or int(rel.max()) >= num_relations):
            raise ValueError(f"argument {name!r} holds relation ids outside [0, {num_relations})")
    for name, scores in (("pos_scores", pos_scores), ("neg_scores", neg_scores)):
        if not np.all(np.isfinite(scores)):
            raise ValueError(f"argument {name!r} holds {int((~np.isfinite(scores)).sum())} non-finite scores")
    per = {m: np.full(num_relations, np.nan) for m in ("auroc", "auprc", "ap@50")}
    pos_order, neg_order = np.argsort(pos_rel, kind="stable"), np.argsort(neg_rel, kind="stable")
    pos_bounds = np.searchsorted(pos_rel[pos_order], np.arange(num_relations + 1))
    neg_bounds = np.searchsorted(neg_rel[neg_order], np.arange(num_relations + 1))
    for r in range(num_relations):
        p = pos_scores[pos_order[pos_bounds[r] : pos_bounds[r + 1]]]
        n = neg_scores[neg_order[neg_bounds[r] : neg_bounds[r + 1]]]
        if len(p) == 0 or len(n) == 0:
            continue
        scores = np.concatenate([p, n])
        labels = np.concatenate([np.ones(len(p)), np.zeros(len(n))])
        per["auroc"][r] = _auroc(p, n)
        per["auprc"][r] = _average_precision(scores, labels)
        per["ap@50"][r] = ap_at_k(scores, labels, 50)
    if np.isnan(per["auroc"]).all():
        raise ValueError("no relation has both positives and negatives to evaluate")
    return EvalResult(
        auroc=float(np.nanmean(per["auroc"])),
        auprc=float(np.nanmean(per["auprc"])),
        ap50=float(np.nanmean(per["ap@50"])),
        per_relation=per,
    )


def _auroc(pos: np.ndarray, neg: np.ndarray) -> float:
    """AUROC as the Mann-Whitney statistic (ties count half): sklearn's ``roc_auc_score`` without its overhead."""
    diff = pos[:, None] - neg[None, :]
    return float((diff > 0).mean() + 0.5 * (diff == 0).mean())


def _average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    """sklearn's ``average_precision_score``: ``sum_n (R_n - R_{n-1}) P_n`` over distinct score thresholds."""
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order]
    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]  # the last index of each tied group
    tp = np.cumsum(y)[last]
    fp = (last + 1) - tp
    precision = tp / (tp + fp)
    recall = tp / max(y.sum(), 1)
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def mean_auroc(
    pos_scores: np.ndarray,
    neg_scores: np.ndarray,
    pos_rel: np.ndarray,
    neg_rel: np.ndarray,
    num_relations: int,
) -> float:
    """Mean over relations of the per-relation AUROC (ties count half), without sklearn's per-call overhead.

    The same number as :func:`evaluate_scores`'s ``auroc`` (Mann-Whitney form); the training loop calls it at
    every validation check.
    """
    values = []
    for r in range(num_relations):
        p, n = pos_scores[pos_rel == r], neg_scores[neg_rel == r]
        if len(p) and len(n):
            values.append(_auroc(p, n))
    if not values:
        raise ValueError("no relation has both positives and negatives to evaluate")
    return float(np.mean(values))


@torch.no_grad()
def evaluate(scorer: Scorer, positives: Triples, negatives: Triples, num_relations: int) -> EvalResult:
    """Score ``positives`` and ``negatives`` with ``scorer`` and compute :func:`evaluate_scores`.

    ``positives``/``negatives`` on the CPU; the scores may come back on any device (they are copied back).
    """
    pos = scorer(positives).detach().cpu().double().numpy()
    neg = scorer(negatives).detach().cpu().double().numpy()
    return evaluate_scores(pos, neg, positives.rel.numpy(), negatives.rel.numpy(), num_relations)


def model_scorer(model: torch.nn.Module) -> Scorer:
    """A scorer from a trained model: embeds once (eval mode), then scores any triples.

    The model may live on any device (e.g. CUDA after ``train_link_predictor(..., device="cuda")``): the
    triples are copied to the device of its embeddings and the scores come back on the CPU.
    """
    model.eval()
    with torch.no_grad():
        z = model.embed()
    device = next(iter(z.values())).device

    def score(edges: Triples) -> torch.Tensor:
        with torch.no_grad():
            return model.score(z, edges.to(device)).cpu()

    return score
