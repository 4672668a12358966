"""A ZIP written as it is sent: zipfile over a sink that hands its bytes out in chunks.

zipfile writes to a stream it cannot seek by putting each member's sizes after its data
(data descriptors), which every unzip tool reads.
"""

import zipfile
from collections.abc import Iterable, Iterator

CHUNK_BYTES = 64 * 1024


class _Sink:
    def __init__(self):
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        self.size = 0
        return data


def zip_stream(files: Iterable[tuple[str, Iterable[bytes]]]) -> Iterator[bytes]:
    """The bytes of a ZIP of `files` ((name, chunks of its content) each), about CHUNK_BYTES
    at a time; each file's content is read only when its turn comes."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, chunks in files:
            with archive.open(name, "w") as member:
                for chunk in chunks:
                    member.write(chunk)
                    if sink.size >= CHUNK_BYTES:
                        yield sink.take()
    yield sink.take()
