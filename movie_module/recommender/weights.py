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

# Rows of the head's weights made at once (rows x head float32 cells).
ROW_BLOCK = 1024
# Tail columns made at once (head x block float32 cells).
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
    weights is divided by (likes of j) ** `popularity_exponent`, so that a film everyone
    has seen needs stronger evidence than a rarer one (the popularity penalty of RP3beta,
    Paudel et al. 2017). Movies nobody liked have an empty row. Equal weights are ordered
    by `tie_rank`.
    """
    movie_count = liked.shape[1]
    liked_counts = np.asarray(liked.getnnz(axis=0)).ravel()
    head = _head_movies(liked_counts, tie_rank, dense_limit)
    if len(head) == 0 or keep <= 0:
        return sp.csr_matrix((movie_count, movie_count), dtype=np.float32)
    tail = np.setdiff1d(np.flatnonzero(liked_counts > 0), head)
    penalty = np.maximum(liked_counts, 1).astype(np.float32) ** np.float32(-popularity_exponent)

    by_movie = liked.T.tocsr().astype(np.float32)
    head_rows = by_movie[head]
    gram = (head_rows @ head_rows.T).toarray()
    gram[np.diag_indices_from(gram)] += np.float32(regularization)
    inverse = _spd_inverse(gram)
    del gram

    best = _BestPerRow(len(head), keep, tie_rank)
    inverse_diagonal = np.diag(inverse).copy()
    for start in range(0, len(head), ROW_BLOCK):
        rows = slice(start, min(len(head), start + ROW_BLOCK))
        # B[i, j] = -P[i, j] / P[j, j] (P is symmetric), and no movie explains itself.
        block = inverse[rows] / -inverse_diagonal[None, :]
        block[np.arange(block.shape[0]), np.arange(rows.start, rows.stop)] = 0.0
        block *= penalty[head][None, :]
        best.offer(rows, block, head)
    for start in range(0, len(tail), TAIL_BLOCK):
        columns = tail[start : start + TAIL_BLOCK]
        # Ridge regression of each tail column on the head: P X_head' x_tail.
        block = inverse @ (head_rows @ by_movie[columns].T).toarray()
        block *= penalty[columns][None, :]
        best.offer(slice(0, len(head)), block, columns)
    return best.matrix(head, movie_count)


class _BestPerRow:
    """Each row's `keep` largest weights by magnitude, over column blocks offered in turn."""

    def __init__(self, row_count: int, keep: int, tie_rank: np.ndarray) -> None:
        self.keep = keep
        self.tie_rank = tie_rank
        self.values = np.zeros((row_count, keep), dtype=np.float32)
        self.columns = np.zeros((row_count, keep), dtype=np.int64)

    def offer(self, rows: slice, block: np.ndarray, block_columns: np.ndarray) -> None:
        values = np.hstack([self.values[rows], block.astype(np.float32, copy=False)])
        columns = np.hstack(
            [self.columns[rows], np.broadcast_to(block_columns, (block.shape[0], len(block_columns)))]
        )
        if values.shape[1] > self.keep:
            chosen = np.argpartition(-np.abs(values), self.keep - 1, axis=1)[:, : self.keep]
            values = np.take_along_axis(values, chosen, axis=1)
            columns = np.take_along_axis(columns, chosen, axis=1)
        width = values.shape[1]
        self.values[rows, :width] = values
        self.columns[rows, :width] = columns

    def matrix(self, row_movies: np.ndarray, movie_count: int) -> sp.csr_matrix:
        """The kept weights as a CSR matrix over all movies, each row best first."""
        rows = np.repeat(row_movies, self.keep)
        columns, values = self.columns.ravel(), self.values.ravel()
        nonzero = values != 0
        rows, columns, values = rows[nonzero], columns[nonzero], values[nonzero]
        order = np.lexsort((self.tie_rank[columns], -values, rows))
        indptr = np.zeros(movie_count + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=movie_count), out=indptr[1:])
        return sp.csr_matrix(
            (values[order], columns[order].astype(np.int32), indptr), shape=(movie_count, movie_count)
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
    # potri fills the lower triangle only; mirror it, a block of rows at a time.
    size = len(inverse)
    for start in range(0, size, ROW_BLOCK):
        stop = min(size, start + ROW_BLOCK)
        inverse[start:stop, stop:] = inverse[stop:, start:stop].T
        block = inverse[start:stop, start:stop]
        block[np.triu_indices(stop - start, 1)] = block.T[np.triu_indices(stop - start, 1)]
    return inverse
