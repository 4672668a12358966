"""Speed-ups that lean on a library's private internals, one module per library.

Each module here is the only place in Scrapbook that touches the private names it lists.
Its docstring says which names, which versions of the library it was written against
(`WRITTEN_AGAINST`, checked by the tests) and what the stock behaviour is; a setting turns
it off and gives back the library's stock behaviour entirely. tests/test_library_internals.py
pins every private name and every version, so that an upgrade fails in CI, not in
production: on a version bump, re-read the library's code behind each listed name, then
update `WRITTEN_AGAINST`.

The chat's boundary with python-socketio and python-engineio is chat/internals/.
docs/ARCHITECTURE.md ("Library internals") lists them all with what each buys;
docs/UPSTREAM.md proposes the upstream changes that would make them unnecessary.
"""
