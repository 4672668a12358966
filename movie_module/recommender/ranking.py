"""Deterministic top-n selection shared by the models."""

from __future__ import annotations

import numpy as np


def best_first(
    candidates: np.ndarray, scores: np.ndarray, tie_rank: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return the `n` best candidates and their scores, by score descending and then by
    `tie_rank` ascending, so equal scores always come back in the same order."""
    if n <= 0 or len(candidates) == 0:
        return candidates[:0], scores[:0]
    if len(candidates) > n:
        # Partitioning is linear; everything tied with the n-th score stays in so the
        # tie-break below, not the partition, decides between equals.
        nth_best = np.partition(scores, len(scores) - n)[len(scores) - n]
        keep = scores >= nth_best
        candidates, scores = candidates[keep], scores[keep]
    order = np.lexsort((tie_rank[candidates], -scores))[:n]
    return candidates[order], scores[order]
