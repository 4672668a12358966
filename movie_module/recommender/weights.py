"""Item-item weights learnt in closed form from who liked what (EASE, Steck 2019).

Each movie's column of the liked matrix (users x movies, 1 where a user rated the movie
above 3.5) is regressed on every other movie's column under an L2 penalty, with a movie
forbidden to explain itself:

    B = argmin ||X - X B||^2 + regularization ||B||^2,  diag(B) = 0
      = -P / diag(P) column-wise, zero diagonal, where P = (X'X + regularization I)^-1.

A weight B[i, j] says how much liking i predicts liking j, with everything else the user
liked accounted for: unlike a cosine, two blockbusters everyone has seen do not vouch for
each other just because they co-occur. The dense inverse costs (movies)^3, so only the
`dense_limit` most liked movies take part in it (the head); the others (the tail) stay
recommendable: their columns are the same ridge regression without the zero-diagonal
constraint, B[:, tail] = P X'X[:, tail], which is cheap because tail movies have few
ratings. Each row keeps its `keep` largest weights by magnitude (negative weights carry
information too: liking i makes j less likely).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp

# Rows of the head processed at once when cutting rows to their best weights.
ROW_BLOCK = 1024
# Tail columns densified at once (head x block float32 cells).
TAIL_BLOCK = 2048


def liked_item_weights(
    liked: sp.csr_matrix,
    *,
    regularization: float,
    dense_limit: int,
    keep: int,
    popularity_exponent: float,
    tie_rank: np.ndarray,
) -> sp.csr_matrix:
    """Return the movies x movies CSR matrix of weights, each row best first.

    `liked` is users x movies with ones where a user liked a movie. Column j of the
    weights is divided by (ratings of j) ** `popularity_exponent`, so that a film
    everyone has seen needs stronger evidence than a rarer one (the popularity penalty of
    RP3beta, Paudel et al. 2017). Movies nobody liked have an empty row. Equal weights
    are ordered by `tie_rank`.
    """
    movie_count = liked.shape[1]
    liked_counts = np.asarray(liked.getnnz(axis=0)).ravel()
    head = _head_movies(liked_counts, tie_rank, dense_limit)
    tail = np.setdiff1d(np.flatnonzero(liked_counts > 0), head)
    if len(head) == 0 or keep <= 0:
        return sp.csr_matrix((movie_count, movie_count), dtype=np.float32)

    by_movie = liked.T.tocsr().astype(np.float32)
    head_rows = by_movie[head]
    penalty = np.maximum(liked_counts, 1).astype(np.float32) ** np.float32(-popularity_exponent)

    gram = (head_rows @ head_rows.T).toarray()
    gram[np.diag_indices_from(gram)] += np.float32(regularization)
    inverse = _spd_inverse(gram)
    del gram
    inverse_diagonal = np.diag(inverse).copy()

    tail_products = (head_rows @ by_movie[tail].T).tocsc() if len(tail) else None
    columns = np.concatenate([head, tail])
    column_penalty = penalty[columns]

    counts, kept_columns, kept_values = [], [], []
    for start in range(0, len(head), ROW_BLOCK):
        stop = min(len(head), start + ROW_BLOCK)
        # B[i, j] = -P[i, j] / P[j, j] for head columns j (P is symmetric).
        block = inverse[start:stop] / -inverse_diagonal[None, :]
        block[np.arange(stop - start), np.arange(start, stop)] = 0.0
        if tail_products is not None:
            tail_parts = [block]
            for tail_start in range(0, len(tail), TAIL_BLOCK):
                products = tail_products[:, tail_start : tail_start + TAIL_BLOCK].toarray()
                tail_parts.append(inverse[start:stop] @ products)
            block = np.hstack(tail_parts)
        block *= column_penalty[None, :]
        block_counts, block_columns, block_values = _largest_per_row(block, keep, tie_rank[columns])
        counts.append(block_counts)
        kept_columns.append(columns[block_columns])
        kept_values.append(block_values)

    # Rows come out in popularity order; CSR wants them in movie order, each row's own
    # best-first order kept (a stable sort).
    rows = np.repeat(head, np.concatenate(counts))
    order = np.argsort(rows, kind="stable")
    indptr = np.zeros(movie_count + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=movie_count), out=indptr[1:])
    return sp.csr_matrix(
        (
            np.concatenate(kept_values)[order].astype(np.float32),
            np.concatenate(kept_columns)[order].astype(np.int32),
            indptr,
        ),
        shape=(movie_count, movie_count),
    )


def _head_movies(liked_counts: np.ndarray, tie_rank: np.ndarray, dense_limit: int) -> np.ndarray:
    """The liked movies that take part in the dense inverse: the most liked first."""
    candidates = np.flatnonzero(liked_counts > 0)
    order = np.lexsort((tie_rank[candidates], -liked_counts[candidates]))
    return candidates[order[:dense_limit]]


def _spd_inverse(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite matrix through its Cholesky factor: half the
    work of a general inverse. The matrix is overwritten."""
    factor, _ = scipy.linalg.cho_factor(matrix, lower=True, overwrite_a=True, check_finite=False)
    (potri,) = scipy.linalg.get_lapack_funcs(("potri",), (factor,))
    inverse, info = potri(factor, lower=1, overwrite_c=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"the Gram matrix is not invertible (LAPACK info {info})")
    # potri fills the lower triangle only.
    lower = np.tril(inverse)
    return lower + np.tril(lower, -1).T


def _largest_per_row(
    block: np.ndarray, keep: int, tie_rank: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts, columns and values of each row's `keep` largest non-zero weights by
    magnitude, each row ordered by weight descending, then by `tie_rank`."""
    row_count, column_count = block.shape
    keep = min(keep, column_count)
    magnitude = np.abs(block)
    if keep < column_count:
        chosen = np.argpartition(-magnitude, keep - 1, axis=1)[:, :keep]
    else:
        chosen = np.broadcast_to(np.arange(column_count), (row_count, column_count))
    rows = np.repeat(np.arange(row_count), chosen.shape[1])
    columns = chosen.ravel()
    values = block[rows, columns]
    nonzero = values != 0
    rows, columns, values = rows[nonzero], columns[nonzero], values[nonzero]
    order = np.lexsort((tie_rank[columns], -values, rows))
    return np.bincount(rows, minlength=row_count), columns[order], values[order]
