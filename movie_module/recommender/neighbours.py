"""Top-k item-item similarities, computed block by block to bound memory.

The full item-item product of a 10M-rating corpus is dense for popular items, so it is
never held whole: each block of item rows is multiplied, shrunk, cut to its top k and
dropped before the next block starts.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

# Dense cells per block (rows x catalogue); a few such float32 arrays live per worker.
BLOCK_CELLS = 4_000_000


def top_k_similarities(
    user_items: sp.csr_matrix,
    *,
    neighbours: int,
    shrinkage: float,
    eligible: np.ndarray,
    tie_rank: np.ndarray,
    threads: int | None = None,
) -> sp.csr_matrix:
    """Return an items x items CSR matrix holding, per row, the `neighbours` most similar
    other items with a positive similarity, best first.

    Similarity is the cosine of the two items' columns of `user_items` (users x items,
    typically mean-centred ratings) times n_common / (n_common + shrinkage), where
    n_common counts the users who rated both. Items not `eligible` get no neighbours and
    are nobody's neighbour. Equal similarities are ordered by `tie_rank` (lower first).
    """
    item_count = user_items.shape[1]
    values = user_items.astype(np.float32).tocsr()
    raters = values.copy()
    raters.data = np.ones_like(raters.data)
    values_by_item = values.T.tocsr()
    raters_by_item = raters.T.tocsr()
    squared_norms = np.asarray(values.multiply(values).sum(axis=0)).ravel()
    inverse_norms = np.zeros(item_count, dtype=np.float32)
    usable = eligible & (squared_norms > 0)
    inverse_norms[usable] = 1.0 / np.sqrt(squared_norms[usable])

    block_rows = max(1, BLOCK_CELLS // max(item_count, 1))
    starts = range(0, item_count, block_rows)

    def similarities_of_block(start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        stop = min(item_count, start + block_rows)
        dot = (values_by_item[start:stop] @ values).toarray()
        common = (raters_by_item[start:stop] @ raters).toarray()
        dot *= inverse_norms[start:stop, None]
        dot *= inverse_norms[None, :]
        if shrinkage > 0:
            common /= common + np.float32(shrinkage)
            dot *= common
        del common
        rows = np.arange(stop - start)
        dot[rows, rows + start] = 0.0  # an item is not its own neighbour
        return _best_per_row(dot, neighbours, tie_rank)

    worker_count = threads or min(4, os.cpu_count() or 1)
    if worker_count > 1 and len(starts) > 1:
        # scipy's sparse product and numpy release the GIL, so threads share the work
        with ThreadPoolExecutor(worker_count) as pool:
            blocks = list(pool.map(similarities_of_block, starts))
    else:
        blocks = [similarities_of_block(start) for start in starts]
    return _stack_blocks(blocks, item_count)


def _best_per_row(
    similarity: np.ndarray, neighbours: int, tie_rank: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts, columns and values of each row's best positive entries, best first."""
    row_count, column_count = similarity.shape
    keep = min(neighbours, column_count)
    if keep <= 0:
        empty = np.zeros(0, dtype=np.int32)
        return np.zeros(row_count, dtype=np.int64), empty, empty.astype(np.float32)
    if keep < column_count:
        # The k-th value per row; every entry at least that large is a candidate, so
        # ties at the boundary are settled by tie_rank below rather than by partitioning.
        kth = -np.partition(-similarity, keep - 1, axis=1)[:, keep - 1]
        kth = np.maximum(kth, np.finfo(np.float32).tiny)
    else:
        kth = np.full(row_count, np.finfo(np.float32).tiny, dtype=similarity.dtype)
    rows, columns = np.nonzero(similarity >= kth[:, None])
    values = similarity[rows, columns]
    order = np.lexsort((tie_rank[columns], -values, rows))
    rows, columns, values = rows[order], columns[order], values[order]
    # Keep at most `keep` per row (ties at the k-th value can give a few more).
    position = np.arange(len(rows)) - np.searchsorted(rows, rows)
    selected = position < keep
    rows, columns, values = rows[selected], columns[selected], values[selected]
    counts = np.bincount(rows, minlength=row_count)
    return counts, columns.astype(np.int32), values.astype(np.float32)


def _stack_blocks(blocks: list, item_count: int) -> sp.csr_matrix:
    counts = np.concatenate([block[0] for block in blocks]) if blocks else np.zeros(0)
    indptr = np.zeros(item_count + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.concatenate([block[1] for block in blocks]) if blocks else np.zeros(0, np.int32)
    data = np.concatenate([block[2] for block in blocks]) if blocks else np.zeros(0, np.float32)
    return sp.csr_matrix((data, indices, indptr), shape=(item_count, item_count))
