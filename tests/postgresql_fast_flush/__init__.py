"""Django's PostgreSQL backend for the test process: see base.py."""
