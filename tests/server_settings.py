"""Settings of the servers and Celery workers the tests start: Scrapbook's, with the test
process's password hasher.

The tests hash their users' passwords with MD5 (conftest.py). A server hashing with PBKDF2
would pay 0.35 s of CPU (on a slow core) for every sign-in the fuzz and throttle tests send,
and would rehash each test user's password at their first sign-in, which changes the hash
and with it the revocation claim of the tokens the test already holds.
"""

from scrapbook.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Each server the tests start would load the recommender at its start (1.3 s of CPU), and
# the suite starts a hundred; the test of the preload turns it on.
RECOMMENDER_PRELOAD = env_bool("RECOMMENDER_PRELOAD", False)  # noqa: F405
