"""Similar movies: who loved this also loved that, blended with the catalogue's facts.

model = SimilarMoviesModel().fit(ratings, facts)  # facts: movie_id, title, year, genres, ...
model.similar(movie_id, n=10)  # [(movie_id, score), ...], best first, score 0-10
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .content import content_vectors
from .corpus import SEED_THRESHOLD, code_lookup, index_ratings, movie_id_array
from .storage import load_arrays, save_arrays

# Dense cells per block of the collaborative product (rows x catalogue float32).
BLOCK_CELLS = 4_000_000


class SimilarMoviesModel:
    """Each movie's most similar movies, from two kinds of evidence blended:

    - collaborative: the cosine of two movies' "liked by" sets (ratings above 3.5), times
      n_common / (n_common + shrinkage), so a pair few people liked together counts
      little; only movies liked by at least `min_support` people take part;
    - content: the cosine of the movies' facts (content.py: genres, directors and cast,
      era, title words, plot).

    similarity = collaborative_weight * collaborative + (1 - collaborative_weight) * content,
    so a movie few people rated is carried by its facts. Popular films and films with the
    most common facts lie close to everything (hubs: they would fill every list), so each
    list is re-ranked by the similarity minus `hub_penalty` times the neighbour's own
    hubness, the mean similarity of its `hub_neighbours` nearest movies (CSLS, Conneau et
    al. 2018); then no movie may be in more than `max_share` of the top-`hub_neighbours`
    lists (a cap on in-degree, for what the re-ranking leaves). The score (0-10) is 10 *
    that re-ranked similarity, relative to the movie's own hubness, clipped to 0-10 (a
    weak neighbour of a hub may score 0). Each movie keeps its best `neighbours`.
    """

    model_kind = "similar_movies"

    def __init__(
        self,
        *,
        neighbours: int = 50,
        collaborative_weight: float = 0.6,
        shrinkage: float = 10.0,
        min_support: int = 3,
        hub_penalty: float = 0.5,
        hub_neighbours: int = 10,
        max_share: float = 0.05,
        threads: int | None = None,
    ) -> None:
        self.neighbours = neighbours
        self.collaborative_weight = collaborative_weight
        self.shrinkage = shrinkage
        self.min_support = min_support
        self.hub_penalty = hub_penalty
        self.hub_neighbours = hub_neighbours
        self.max_share = max_share
        # None: one worker per core, up to four.
        self.threads = threads
        self._set_state(np.zeros(0, dtype=np.int64), sp.csr_matrix((0, 0), dtype=np.float32))

    def fit(self, ratings: pd.DataFrame, facts: pd.DataFrame | None = None) -> SimilarMoviesModel:
        """Learn every movie's neighbours from `ratings` (columns user_id, movie_id, rating)
        and `facts` (see content.content_vectors), and return the model itself. The model
        knows every movie of either. Raises ValueError for malformed ratings or ids."""
        indexed = index_ratings(ratings)
        movie_ids = indexed.movie_ids
        if facts is not None and len(facts):
            movie_ids = movie_id_array(np.union1d(movie_ids, movie_id_array(facts["movie_id"].to_numpy())))
        movie_count = len(movie_ids)
        movie_codes = np.searchsorted(movie_ids, indexed.movie_ids)[indexed.movie_codes]
        liked = _liked_by(indexed.user_codes, movie_codes, indexed.ratings, indexed.user_count, movie_count)
        likes = np.asarray(liked.sum(axis=0)).ravel()
        # Only these take part in the collaborative half, the heavy one on a large catalogue.
        eligible = np.flatnonzero(likes >= max(self.min_support, 1))
        # Scaled so that the content product is already its share of the blend.
        content = content_vectors(facts, movie_ids).scaled(np.sqrt(1.0 - self.collaborative_weight))

        candidates = max(0, min(movie_count - 1, max(self.neighbours, self.hub_neighbours) * 2))
        columns, similarities = self._candidates(liked[:, eligible], eligible, content, candidates)
        # Hubness: how close a movie lies to its nearest movies.
        nearest = similarities[:, : self.hub_neighbours]
        hubness = nearest.sum(axis=1) / np.maximum((nearest > 0).sum(axis=1), 1)
        self._set_state(movie_ids, self._reranked(columns, similarities, hubness))
        return self

    def similar(self, movie_id, n: int = 10) -> list[tuple[object, float]]:
        """Return up to `n` (movie_id, score) neighbours of `movie_id`, best first, never
        the movie itself; an unknown movie gives []."""
        code = self._lookup.get(movie_id)
        if code is None or n <= 0:
            return []
        start, stop = self._indptr[code], self._indptr[code + 1]
        stop = min(stop, start + n)
        neighbour_ids = self.movie_ids[self._indices[start:stop]].tolist()
        scores = (10.0 * self._data[start:stop].astype(np.float64)).round(4).tolist()
        return list(zip(neighbour_ids, scores, strict=True))

    @property
    def movie_count(self) -> int:
        return len(self.movie_ids)

    def _candidates(
        self, liked: sp.csr_matrix, eligible: np.ndarray, content, candidates: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each movie's `candidates` most similar other movies (columns, similarities),
        best first; similarities of missing candidates are 0. `liked` holds the columns
        of the `eligible` movies only; `content` is already scaled to its share."""
        movie_count = len(content.dense)
        liked_by_movie = liked.T.tocsr()
        likes = np.asarray(liked.sum(axis=0)).ravel().astype(np.float32)
        inverse_norms = 1.0 / np.sqrt(likes)
        columns = np.zeros((movie_count, candidates), dtype=np.int32)
        similarities = np.zeros((movie_count, candidates), dtype=np.float32)
        weight = np.float32(self.collaborative_weight)

        def fill_block(start: int) -> None:
            stop = min(movie_count, start + block_rows)
            blended = content.similarities(start, stop)
            low, high = np.searchsorted(eligible, [start, stop])
            if high > low:
                common = (liked_by_movie[low:high] @ liked).toarray()
                collaborative = common * (weight * inverse_norms[low:high, None])
                collaborative *= inverse_norms[None, :]
                collaborative *= common / (common + np.float32(self.shrinkage))
                del common
                blended[np.ix_(eligible[low:high] - start, eligible)] += collaborative
            rows = np.arange(stop - start)
            blended[rows, rows + start] = -1.0  # a movie is not its own neighbour
            best = np.argpartition(-blended, candidates - 1, axis=1)[:, :candidates]
            values = np.take_along_axis(blended, best, axis=1)
            order = np.lexsort((best, -values), axis=1)
            columns[start:stop] = np.take_along_axis(best, order, axis=1)
            similarities[start:stop] = np.maximum(np.take_along_axis(values, order, axis=1), 0)

        if candidates <= 0:
            return columns, similarities
        block_rows = max(1, BLOCK_CELLS // max(movie_count, 1))
        starts = range(0, movie_count, block_rows)
        worker_count = self.threads or min(4, os.cpu_count() or 1)
        if worker_count > 1 and len(starts) > 1:
            # scipy's sparse product and numpy release the GIL, so threads share the work
            with ThreadPoolExecutor(worker_count) as pool:
                list(pool.map(fill_block, starts))
        else:
            for start in starts:
                fill_block(start)
        return columns, similarities

    def _reranked(self, columns: np.ndarray, similarities: np.ndarray, hubness: np.ndarray) -> sp.csr_matrix:
        """The best `neighbours` of each movie by similarity minus the difference of the
        neighbour's and the movie's hubness (times hub_penalty), the in-degree capped
        (`_capped`), as a CSR matrix of those scores clipped to 0-1, best first."""
        movie_count = len(columns)
        adjusted = similarities - np.float32(self.hub_penalty) * (hubness[columns] - hubness[:, None])
        adjusted[similarities <= 0] = -np.inf  # no evidence at all: never a neighbour
        columns, adjusted = self._capped(*_best_first(columns, adjusted))
        columns, adjusted = columns[:, : self.neighbours], adjusted[:, : self.neighbours]
        kept = np.isfinite(adjusted)
        scores = np.clip(adjusted, 0.0, 1.0).astype(np.float32)
        indptr = np.zeros(movie_count + 1, dtype=np.int64)
        np.cumsum(kept.sum(axis=1), out=indptr[1:])
        return sp.csr_matrix((scores[kept], columns[kept], indptr), shape=(movie_count, movie_count))

    def _capped(self, columns: np.ndarray, adjusted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows (best first) in which no movie is among the first `hub_neighbours` of more
        than max(hub_neighbours, max_share * movie count) movies: a movie over the cap stays
        in the lists where it scores best and leaves the others, whose next candidates
        move up. A guarantee where the re-ranking alone does not suffice."""
        movie_count = len(columns)
        cap = max(self.hub_neighbours, int(np.ceil(self.max_share * movie_count)))
        top = min(self.hub_neighbours, columns.shape[1])
        for _ in range(20):  # promoted candidates can go over the cap in turn; rarely many rounds
            shown = np.isfinite(adjusted[:, :top])
            rows, places = np.nonzero(shown)
            listed = columns[rows, places]
            over = np.bincount(listed, minlength=movie_count) > cap
            if not over.any():
                break
            rows, places, listed = rows[over[listed]], places[over[listed]], listed[over[listed]]
            order = np.lexsort((rows, -adjusted[rows, places], listed))
            rank = np.arange(len(order)) - np.searchsorted(listed[order], listed[order])
            dropped = order[rank >= cap]
            adjusted[rows[dropped], places[dropped]] = -np.inf
            columns, adjusted = _best_first(columns, adjusted)
        return columns, adjusted

    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted model to `path` (.npz, no pickle), replacing it atomically."""
        save_arrays(
            path,
            self.model_kind,
            {
                "movie_ids": self.movie_ids,
                "indptr": self._indptr,
                "indices": self._indices,
                "scores": self._data,
                "neighbours": np.int64(self.neighbours),
                "collaborative_weight": np.float64(self.collaborative_weight),
                "shrinkage": np.float64(self.shrinkage),
                "min_support": np.int64(self.min_support),
                "hub_penalty": np.float64(self.hub_penalty),
                "hub_neighbours": np.int64(self.hub_neighbours),
                "max_share": np.float64(self.max_share),
            },
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> SimilarMoviesModel:
        """Read a model written by `save`. Raises storage.ModelFileError for a file of
        another kind or format version, OSError when it cannot be read."""
        arrays = load_arrays(path, cls.model_kind)
        model = cls(
            neighbours=int(arrays["neighbours"]),
            collaborative_weight=float(arrays["collaborative_weight"]),
            shrinkage=float(arrays["shrinkage"]),
            min_support=int(arrays["min_support"]),
            hub_penalty=float(arrays["hub_penalty"]),
            hub_neighbours=int(arrays["hub_neighbours"]),
            max_share=float(arrays["max_share"]),
        )
        movie_count = len(arrays["movie_ids"])
        scores = sp.csr_matrix(
            (arrays["scores"], arrays["indices"], arrays["indptr"]), shape=(movie_count, movie_count)
        )
        model._set_state(arrays["movie_ids"], scores)
        return model

    def _set_state(self, movie_ids: np.ndarray, scores: sp.csr_matrix) -> None:
        self.movie_ids = movie_ids
        self._lookup = code_lookup(movie_ids)
        self._indptr = scores.indptr.astype(np.int64)
        self._indices = scores.indices.astype(np.int32)
        self._data = scores.data.astype(np.float32)


def _best_first(columns: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row sorted by score descending, equal scores by column."""
    order = np.lexsort((columns, -scores), axis=1)
    return np.take_along_axis(columns, order, axis=1), np.take_along_axis(scores, order, axis=1)


def _liked_by(
    user_codes: np.ndarray, movie_codes: np.ndarray, ratings: np.ndarray, user_count: int, movie_count: int
) -> sp.csr_matrix:
    """Users x movies, 1 where the user rated the movie above the seed threshold."""
    liked = ratings > SEED_THRESHOLD
    return sp.csr_matrix(
        (np.ones(int(liked.sum()), dtype=np.float32), (user_codes[liked], movie_codes[liked])),
        shape=(user_count, movie_count),
    )
