"""The chat's boundary with python-socketio's and python-engineio's internals.

socketio_broadcast.py is the only chat code that relies on what those libraries do not
document (its docstring lists it); tests/test_library_internals.py pins it. See
scrapbook/internals/ for the Django boundaries and docs/ARCHITECTURE.md, "Library
internals", for all of them.
"""
