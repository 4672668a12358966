"""Content vectors of movies from the catalogue's own facts, for "similar movies".

Each kind of fact is its own TF-IDF block (scikit-learn), so a fact shared by few movies
(a director, an actor, a rare genre) counts more than one shared by thousands (Drama):

- genres;
- people: directors (counted twice) and cast;
- era: the decade, and the decade shifted by five years, so 1979 and 1986 still meet;
- title words, which find a series (Harry Potter and the ...) when people are unknown;
- plot, when known: TF-IDF reduced to a few dozen dimensions (LSA), since raw plot words
  would make every movie share something with thousands of others.

The blocks are weighted, joined and normalised, so the dot product of two rows is their
cosine similarity in [0, 1]. Few-valued blocks (genres, era, plot) are kept dense, for
fast BLAS products; people and title words stay sparse, where few movies share a column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.preprocessing import normalize

# How much each kind of fact weighs in the cosine (squared, as each block has unit norm).
BLOCK_WEIGHTS = {"genres": 0.45, "people": 0.7, "era": 0.3, "title": 0.25, "plot": 0.45}
PLOT_DIMENSIONS = 48
# Words of titles that tie unrelated films together ("Part II", "Episode IV").
TITLE_STOP_WORDS = ENGLISH_STOP_WORDS | {"part", "episode", "vol", "chapter", "ii", "iii", "iv", "vi", "vii"}
WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class ContentVectors:
    """Rows aligned with the movies given; `dense[i] @ dense[j] + sparse[i] @ sparse[j]`
    is the content similarity of movies i and j (0 when either has no facts)."""

    dense: np.ndarray
    sparse: sp.csr_matrix

    def similarities(self, start: int, stop: int) -> np.ndarray:
        """The dense block of similarities of movies start..stop-1 to every movie."""
        block = self.dense[start:stop] @ self.dense.T
        shared = (self.sparse[start:stop] @ self.sparse.T).tocoo()  # few pairs share a person or word
        block[shared.row, shared.col] += shared.data
        return block

    def scaled(self, factor: float) -> ContentVectors:
        """These vectors times `factor`: their similarities times its square."""
        return ContentVectors(self.dense * np.float32(factor), (self.sparse * np.float32(factor)).tocsr())


def content_vectors(facts: pd.DataFrame | None, movie_ids: np.ndarray) -> ContentVectors:
    """Content vectors of `movie_ids`, from `facts` (columns movie_id and any of title,
    year, genres, directors, cast, plot; list columns hold lists of strings). A movie
    without facts gets a zero row."""
    count = len(movie_ids)
    if facts is None or facts.empty or count == 0:
        return ContentVectors(np.zeros((count, 0), np.float32), sp.csr_matrix((count, 0), dtype=np.float32))
    facts = facts.drop_duplicates("movie_id", keep="last")
    position = pd.Index(movie_ids).get_indexer(facts["movie_id"])
    facts = facts[position >= 0]
    position = position[position >= 0]

    genres = [[f"genre:{genre}" for genre in values] for values in _list_column(facts, "genres")]
    people = [
        [f"director:{name}" for name in directors] * 2 + [f"cast:{name}" for name in cast]
        for directors, cast in zip(_list_column(facts, "directors"), _list_column(facts, "cast"), strict=True)
    ]
    era = [_era_tokens(year) for year in _text_column(facts, "year")]
    titles = [_title_words(title) for title in _text_column(facts, "title")]
    plots = [plot if isinstance(plot, str) else "" for plot in _text_column(facts, "plot")]

    dense_blocks = [_token_block(genres, "genres"), _token_block(era, "era"), _plot_block(plots)]
    sparse_blocks = [_token_block(people, "people"), _token_block(titles, "title")]
    dense = np.hstack([block.toarray() if sp.issparse(block) else block for block in dense_blocks])
    sparse = sp.hstack(sparse_blocks, format="csr")
    # Normalise each movie over all its blocks, so a movie with few facts is not penalised.
    norms = np.sqrt((dense**2).sum(axis=1) + np.asarray(sparse.multiply(sparse).sum(axis=1)).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    dense_rows = np.zeros((count, dense.shape[1]), np.float32)
    dense_rows[position] = dense * scale[:, None]
    # Scatter the facts' rows to the movies' positions (a selection matrix times the rows).
    placement = sp.csr_matrix(
        (scale.astype(np.float32), (position, np.arange(len(position)))), shape=(count, len(position))
    )
    return ContentVectors(dense_rows, (placement @ sparse.astype(np.float32)).tocsr())


def _list_column(facts: pd.DataFrame, name: str) -> list[list[str]]:
    values = facts[name].tolist() if name in facts.columns else [None] * len(facts)
    return [value if isinstance(value, list) else [] for value in values]


def _text_column(facts: pd.DataFrame, name: str) -> list:
    return facts[name].tolist() if name in facts.columns else [None] * len(facts)


def _era_tokens(year) -> list[str]:
    if year is None or pd.isna(year):
        return []
    return [f"decade:{int(year) // 10}", f"shifted:{(int(year) + 5) // 10}"]


def _title_words(title) -> list[str]:
    if not isinstance(title, str):
        return []
    return [word for word in WORD.findall(title.lower()) if word not in TITLE_STOP_WORDS]


def _token_block(documents: list[list[str]], name: str) -> sp.csr_matrix:
    """TF-IDF of `documents` (lists of tokens), rows of norm BLOCK_WEIGHTS[name]."""
    if not any(documents):
        return sp.csr_matrix((len(documents), 0), dtype=np.float32)
    vectorizer = TfidfVectorizer(analyzer=lambda tokens: tokens, dtype=np.float32)
    return vectorizer.fit_transform(documents) * np.float32(BLOCK_WEIGHTS[name])


def _plot_block(plots: list[str]) -> np.ndarray:
    """LSA of the plots (TF-IDF then truncated SVD), rows of norm BLOCK_WEIGHTS["plot"]."""
    known = [index for index, plot in enumerate(plots) if plot.strip()]
    if len(known) < 3:
        return np.zeros((len(plots), 0), np.float32)
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=1, dtype=np.float32)
    words = vectorizer.fit_transform([plots[index] for index in known])
    dimensions = min(PLOT_DIMENSIONS, words.shape[0] - 1, words.shape[1] - 1)
    if dimensions < 1:
        return np.zeros((len(plots), 0), np.float32)
    reduced = TruncatedSVD(n_components=dimensions, random_state=0).fit_transform(words)
    block = np.zeros((len(plots), dimensions), np.float32)
    block[known] = normalize(reduced) * BLOCK_WEIGHTS["plot"]
    return block
