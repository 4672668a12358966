"""A pytest plugin (pytest.ini loads it with `-p`) that gives each pytest-xdist worker its own
Redis namespace: cache key prefix, Socket.IO channel and Celery queue.

The workers of one run share Redis (REDIS_URL): without this, one worker's Celery worker would
take another's tasks, its servers would relay another's chat messages, and clearing its cache
would clear the others'. It must run before Django reads its settings, which take these from
the environment; the servers and Celery workers a test starts inherit them. pytest-django
gives each worker its own test database; pytest its own tmp_path; nothing to do without xdist.
"""

import os

NAMESPACED_VARIABLES = {
    # name: the base when the environment sets none (a test run's, not the deployments')
    "CACHE_KEY_PREFIX": "scrapbook-test",
    "SOCKETIO_CHANNEL": "scrapbook-test-socketio",
}

worker = os.environ.get("PYTEST_XDIST_WORKER")
if worker:
    for name, default_base in NAMESPACED_VARIABLES.items():
        os.environ[name] = f"{os.environ.get(name) or default_base}-{worker}"
    # Unset, the queue is named after the cache key prefix, already the worker's own.
    if os.environ.get("CELERY_QUEUE"):
        os.environ["CELERY_QUEUE"] = f"{os.environ['CELERY_QUEUE']}-{worker}"
