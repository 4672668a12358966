"""Atomic, pickle-free persistence of a model's arrays in one .npz file."""

from __future__ import annotations

import contextlib
import os
import tempfile

import numpy as np

# Bump when the arrays a model writes change meaning; load refuses other versions.
FORMAT_VERSION = 2


class ModelFileError(ValueError):
    """The file is not a model of the expected kind and format version."""


def save_arrays(path: str | os.PathLike, model_kind: str, arrays: dict[str, np.ndarray]) -> None:
    """Write `arrays` to `path` so that readers see either the old file or the whole new one.

    The data goes to a temporary file in the same directory (same file system, so the
    final os.replace is atomic) and is flushed to disk before it takes the real name.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary_path = tempfile.mkstemp(
        dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as stream:
            np.savez(
                stream,
                format_version=np.int64(FORMAT_VERSION),
                model_kind=np.array(model_kind),
                **arrays,
            )
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary_path)
        raise


def load_arrays(path: str | os.PathLike, model_kind: str) -> dict[str, np.ndarray]:
    """Read the arrays that `save_arrays` wrote for a model of `model_kind`.

    Raises ModelFileError when the file holds another kind of model or another format
    version, and OSError when it cannot be read.
    """
    with np.load(os.fspath(path), allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    version = int(arrays.pop("format_version", -1))
    kind = str(arrays.pop("model_kind", ""))
    if version != FORMAT_VERSION or kind != model_kind:
        raise ModelFileError(
            f"{path} holds a {kind or 'unknown'} model of format {version}; "
            f"expected {model_kind} of format {FORMAT_VERSION}"
        )
    return arrays
