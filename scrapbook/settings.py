"""Scrapbook settings.

Everything that differs between a laptop and production comes from the environment.
The defaults are the embedded setup: SQLite, local-memory cache, in-memory Socket.IO
manager, no IMDb API key. See the README for the full table of variables.
"""

import contextlib
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from scrapbook.log_format import PLAIN_FORMAT, log_format

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    return float(value) if value.strip() else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

# Development only: a fixed, public key so a fresh clone runs at once. Anyone can sign a
# token with it, so production refuses to start with it (below).
DEVELOPMENT_SECRET_KEY = "django-insecure-scrapbook-development-only"

if DEBUG:
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
else:
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY (50+ characters, not the development key) is required when DJANGO_DEBUG=0."
        )
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS is required when DJANGO_DEBUG=0.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "authentication",
    "movie_module",
    "chat",
    "your_data",
    "api",
    "scrapbook.apps.ScrapbookConfig",
]

MIDDLEWARE = [
    # Outermost: a request's reference cycles cut once every other one is done with it.
    "scrapbook.internals.request_cycles.RequestCyclesBroken",
    # First: every answer under /api/ is JSON, errors of the middleware below included.
    "api.middleware.ApiContractMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the admin's failed logins (django-axes: below).
    "axes.middleware.AxesMiddleware",
]

# Benchmarks swap in a URLconf that adds a bare view as the framework's ceiling.
ROOT_URLCONF = os.environ.get("DJANGO_ROOT_URLCONF", "scrapbook.urls")
ASGI_APPLICATION = "scrapbook.asgi.application"
WSGI_APPLICATION = "scrapbook.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# A request's body is read whole, on the event loop, before the request takes one of the
# threads below (scrapbook/request_body.py): at most this many bytes (413 past it), arriving
# within this many seconds (408 past it), so a slow client holds nothing but its connection.
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", 2_621_440)
REQUEST_BODY_TIMEOUT_SECONDS = env_float("REQUEST_BODY_TIMEOUT_SECONDS", 20.0)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
# Imports (your_data): an export file of up to this many bytes (413 past it); its rows past
# IMPORT_MAX_ROWS are not read (the import says so), and at most IMPORT_MAX_REPORTED_ROWS
# unmatched rows are listed (all are counted).
IMPORT_UPLOAD_MAX_BYTES = env_int("IMPORT_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 50_000)
IMPORT_MAX_REPORTED_ROWS = env_int("IMPORT_MAX_REPORTED_ROWS", 5_000)
# Paths whose bodies may be larger than REQUEST_BODY_MAX_BYTES, and take longer to arrive:
# path -> (bytes, seconds). The import's upload: the file and its multipart framing.
REQUEST_BODY_LIMITS_BY_PATH = {"/api/imports/": (IMPORT_UPLOAD_MAX_BYTES + 64 * 1024, 120.0)}

# Threads per worker that run Django's synchronous code, one request each at a time
# (scrapbook/handlers.py); further requests wait for a free one. Keep it at or under the
# PostgreSQL pool's size, so a request never waits for a connection once it is running.
# Four, not more: the threads share one GIL, and under load each one more costs switching;
# the load mix answered 15% more requests with 4 than with 8, 22% more with 2, but with 2
# a couple of requests waiting on a slow IMDb API would hold the whole worker
# (docs/PERFORMANCE.md, "Fair turns").
REQUEST_THREADS = env_int("REQUEST_THREADS", 4)

# Databases: SQLite file by default, PostgreSQL (or anything dj-database-url knows) via
# DATABASE_URL.
DATA_DIR = Path(os.environ.get("SCRAPBOOK_DATA_DIR", BASE_DIR / "var"))
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0), conn_health_checks=True
        )
    }
    # A pool per process hands the same few connections from request to request: with
    # CONN_MAX_AGE alone, every thread that ever ran a query would keep a connection
    # (bench/load.py once ran past max_connections at 200 clients, docs/PERFORMANCE.md).
    DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 10)
    if DATABASE_POOL_MAX_SIZE > 0 and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections; Django refuses both
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(2, DATABASE_POOL_MAX_SIZE),
            "max_size": DATABASE_POOL_MAX_SIZE,
            # A request waits this long for a free connection, then fails (500) rather than queue forever.
            "timeout": env_float("DATABASE_POOL_TIMEOUT", 10.0),
        }
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(DATA_DIR / "scrapbook.sqlite3")),
            # IMMEDIATE transactions and WAL let uvicorn, management commands and tests'
            # server processes write the same file without "database is locked".
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # Requests run on a fixed set of threads (scrapbook/handlers.py), each keeping its
            # connection: opening one and running its PRAGMAs cost more than most queries.
            "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 600),
            "CONN_HEALTH_CHECKS": True,
            # A file, not memory, so a test's uvicorn subprocess sees the test database.
            "TEST": {"NAME": os.environ.get("SQLITE_TEST_NAME", str(DATA_DIR / "test.sqlite3"))},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "authentication.User"

# Redis, when configured, backs the Django cache (throttling, IMDb answers, rate limits)
# and python-socketio's AsyncRedisManager, so several workers behave as one server.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "scrapbook")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "scrapbook.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "scrapbook",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            # Room for cached API answers (pages of up to 100 movies) as well as the rest.
            "OPTIONS": {"MAX_ENTRIES": env_int("LOCMEM_CACHE_MAX_ENTRIES", 5000)},
        }
    }
# Cached API answers (scrapbook/response_cache.py) are forgotten at once by the writes they depend
# on; this bounds their age all the same, e.g. for several workers without Redis. 0: off.
API_CACHE_SECONDS = env_int("API_CACHE_SECONDS", 300)
SOCKETIO_CHANNEL = os.environ.get("SOCKETIO_CHANNEL", "scrapbook-socketio")
# Whole answers to GETs built from cached reads alone, served again from the event loop
# before Django while their data is unchanged (scrapbook/stored_answers.py). 0: off.
STORED_ANSWERS = env_bool("STORED_ANSWERS", True)

# --- Speed-ups that lean on a library's private internals ---------------------------------
# One boundary module each (scrapbook/internals/, chat/internals/; docs/ARCHITECTURE.md,
# "Library internals"). On by default; 0 gives back the library's stock behaviour entirely.
# Requests on REQUEST_THREADS reused threads, the middleware chain entered once (Django's
# ASGIHandler internals). 0: Django's get_asgi_application(), a new thread per request.
FAST_REQUEST_THREADS = env_bool("FAST_REQUEST_THREADS", True)
if not FAST_REQUEST_THREADS:
    # A connection kept past its request would stay with a thread that is gone (Django's
    # advice under ASGI: no persistent connections; PostgreSQL's pool still applies).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# One redis.Redis client and pool per process for the cache (Django's RedisCacheClient
# internals). 0: Django's RedisCache as shipped, a client per call and a pool per request.
REDIS_SHARED_CLIENT = env_bool("REDIS_SHARED_CLIENT", True)
# With the shared client, the cache's sockets block and the kernel keeps their timeouts: no
# poll before each send and receive (redis-py's Connection._connect). 0: redis-py's own.
REDIS_KERNEL_TIMEOUTS = env_bool("REDIS_KERNEL_TIMEOUTS", True)
# Chat broadcasts handed to each recipient's engine.io socket in a loop, not one asyncio task
# each (python-socketio's manager interface). 0: python-socketio's own managers' emit.
SOCKETIO_FAST_BROADCAST = env_bool("SOCKETIO_FAST_BROADCAST", True)
# A broadcast framed once and written straight to each idle websocket, and python-engineio's
# writer waiting without a task per packet (chat/internals/websocket_frames.py). 0: as shipped.
SOCKETIO_PREFRAMED_BROADCAST = env_bool("SOCKETIO_PREFRAMED_BROADCAST", True)
# The feed's and the profile's queries compiled to SQL once per process, then run with each
# request's values (Django's SQLCompiler internals). 0: Django builds and compiles them anew.
COMPILED_QUERIES = env_bool("COMPILED_QUERIES", True)
# A request's reference cycles (Django's messages, DRF's view, request and answer; the
# tasks of Django's ASGI handler) cut once its answer is made, so that its objects die by
# reference counting, not in the garbage collector's pauses. 0: left to the collector.
BREAK_REQUEST_CYCLES = env_bool("BREAK_REQUEST_CYCLES", True)
# PostgreSQL's timestamps read by psycopg's C loader, registered in place of Django's Python
# one on each connection in UTC (scrapbook/internals/psycopg_timestamps.py). 0: Django's.
PSYCOPG_C_TIMESTAMPS = env_bool("PSYCOPG_C_TIMESTAMPS", True)
# The PostgreSQL pool checks a connection before lending it with a round trip only when the
# server has closed it (scrapbook/internals/psycopg_pool_check.py). 0: psycopg_pool's check,
# an empty query before each request's first.
PSYCOPG_POOL_QUIET_CHECK = env_bool("PSYCOPG_POOL_QUIET_CHECK", True)
# ------------------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
# WhiteNoise warns on every start when the folder is missing, collectstatic or not.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve admin and API-docs assets straight from the apps, so `make run` needs no
# collectstatic step, under uvicorn too.
WHITENOISE_USE_FINDERS = True

# CORS: the Next.js frontend's origins; the Socket.IO server allows the same ones.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "http://localhost:3000")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", ",".join(CORS_ALLOWED_ORIGINS))

# A client's address is REMOTE_ADDR, the socket's peer, never a header the client sent.
# Behind a reverse proxy, TRUSTED_PROXIES names it and the server (scrapbook/serve.py) puts
# the address its X-Forwarded-For gives into REMOTE_ADDR, for its connections only.

AUTH_THROTTLE_RATE = os.environ.get("AUTH_THROTTLE_RATE", "10/minute")

# Failed logins (API and admin alike) are counted per client address and per username by
# django-axes: LOGIN_FAILURE_LIMIT failures of either lock that address, or that account,
# out for LOGIN_LOCKOUT_MINUTES (429), so spreading guesses over many addresses does not help.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_USERNAME_CALLABLE = "authentication.throttling.login_username"
AXES_CLIENT_IP_CALLABLE = "authentication.throttling.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # no row per successful login
AXES_LOCKOUT_CALLABLE = "authentication.throttling.lockout_response"
AXES_VERBOSE = False
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "authentication.authentication.CachedUserJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.RememberedContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"auth": AUTH_THROTTLE_RATE},
    "NUM_PROXIES": 0,  # throttles key on REMOTE_ADDR; see TRUSTED_PROXIES
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    # The login view sends Django's user_logged_in signal, which sets last_login.
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": os.environ.get("JWT_SIGNING_KEY", SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens carry a digest of the password hash: a password change or reset refuses every
    # token issued before it, access tokens included (checked against the cached user).
    "CHECK_REVOKE_TOKEN": True,
}
if not DEBUG and (
    len(SIMPLE_JWT["SIGNING_KEY"]) < 50 or SIMPLE_JWT["SIGNING_KEY"].startswith("django-insecure")
):
    raise ImproperlyConfigured(
        "JWT_SIGNING_KEY must be 50+ characters, and not the development key, when DJANGO_DEBUG=0."
    )

SPECTACULAR_SETTINGS = {
    "TITLE": "Scrapbook API",
    "DESCRIPTION": "Watchlist, reviews, recommendations and chat for movie lovers.\n\n"
    "The chat's Socket.IO events are described in AsyncAPI 3.0 at [/api/asyncapi/](/api/asyncapi/).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# The IMDb API on RapidAPI: off without a key, the local catalogue answers alone.
RAPIDAPI_KEY = os.environ.get("RAPIDAPI_KEY", "")
IMDB_API_URL = os.environ.get("IMDB_API_URL", "https://imdb8.p.rapidapi.com").rstrip("/")
IMDB_API_HOST = os.environ.get("IMDB_API_HOST", "") or (urlsplit(IMDB_API_URL).hostname or "")
# Resilience (movie_module/imdb/client.py): timeouts per attempt, retries with backoff inside
# a total budget per call, and a per-process circuit breaker.
IMDB_CONNECT_TIMEOUT = env_float("IMDB_CONNECT_TIMEOUT", 3.05)
IMDB_READ_TIMEOUT = env_float("IMDB_READ_TIMEOUT", 5.0)
IMDB_MAX_RETRIES = env_int("IMDB_MAX_RETRIES", 2)
IMDB_BACKOFF_SECONDS = env_float("IMDB_BACKOFF_SECONDS", 0.5)
IMDB_BACKOFF_MAX_SECONDS = env_float("IMDB_BACKOFF_MAX_SECONDS", 4.0)
IMDB_CALL_BUDGET_SECONDS = env_float("IMDB_CALL_BUDGET_SECONDS", 8.0)
IMDB_BREAKER_THRESHOLD = env_int("IMDB_BREAKER_THRESHOLD", 5)
IMDB_BREAKER_COOLDOWN_SECONDS = env_float("IMDB_BREAKER_COOLDOWN_SECONDS", 30.0)
IMDB_POOL_SIZE = env_int("IMDB_POOL_SIZE", 10)
# Requests per second per process (a token bucket): the cheaper plans allow a few.
IMDB_RATE_PER_SECOND = env_float("IMDB_RATE_PER_SECOND", 5.0)
# Cached answers, in seconds; "not found" is cached too, for less time.
IMDB_SEARCH_CACHE_SECONDS = env_int("IMDB_SEARCH_CACHE_SECONDS", 6 * 3600)
IMDB_LOOKUP_CACHE_SECONDS = env_int("IMDB_LOOKUP_CACHE_SECONDS", 24 * 3600)
IMDB_NOT_FOUND_CACHE_SECONDS = env_int("IMDB_NOT_FOUND_CACHE_SECONDS", 3600)
# Stored details older than this are refreshed: in the background when a movie page is
# shown, the stalest IMDB_REFRESH_BATCH_SIZE every IMDB_REFRESH_BATCH_SECONDS (background
# work, below), in bulk by `manage.py refresh_movies`.
IMDB_REFRESH_AFTER_DAYS = env_int("IMDB_REFRESH_AFTER_DAYS", 30)
IMDB_REFRESH_BATCH_SIZE = env_int("IMDB_REFRESH_BATCH_SIZE", 50)
IMDB_REFRESH_BATCH_SECONDS = env_int("IMDB_REFRESH_BATCH_SECONDS", 3600)
IMDB_REFRESH_CONCURRENCY = env_int("IMDB_REFRESH_CONCURRENCY", 4)

# The recommender: where fits are stored, and when a refit is due.
RECOMMENDER_MODEL_DIR = Path(os.environ.get("RECOMMENDER_MODEL_DIR", DATA_DIR / "recommender"))
RECOMMENDER_REFIT_AFTER_REVIEWS = env_int("RECOMMENDER_REFIT_AFTER_REVIEWS", 50)
RECOMMENDER_REFIT_CHECK_SECONDS = env_int("RECOMMENDER_REFIT_CHECK_SECONDS", 300)
RECOMMENDER_AUTO_REFIT = env_bool("RECOMMENDER_AUTO_REFIT", True)
RECOMMENDER_FIT_LOCK_SECONDS = env_int("RECOMMENDER_FIT_LOCK_SECONDS", 1800)
RECOMMENDER_RELOAD_CHECK_SECONDS = env_float("RECOMMENDER_RELOAD_CHECK_SECONDS", 5.0)
# Each server worker loads the fitted recommender on a thread at its start, not at its
# first caller of recommendations (movie_module/recommendations/store.py).
RECOMMENDER_PRELOAD = env_bool("RECOMMENDER_PRELOAD", True)

# Background work (scrapbook/background.py): IMDb refreshes and recommender refits never run
# inside a request. With a broker (REDIS_URL, or CELERY_BROKER_URL apart) they are Celery
# tasks that `make worker` runs (scrapbook/celery.py), its beat running the periodic ones;
# without one, a few threads of the server process run them, and an asyncio loop of each
# server process the periodic ones, so `make run` needs no other service.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "") or REDIS_URL
BACKGROUND_TASKS_IN_PROCESS = not CELERY_BROKER_URL
# Threads per server process that run background tasks without a broker.
BACKGROUND_THREADS = env_int("BACKGROUND_THREADS", env_int("IMDB_REFRESH_WORKERS", 2))
# Several deployments (or test runs) may share one Redis: each has its own queue, and every
# key the Redis transport writes starts with it.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "") or CACHE_KEY_PREFIX
# A task's message is acknowledged once the task is done, not when a worker takes it: a
# worker killed mid-task leaves it to another. A message taken and not acknowledged within
# the visibility timeout is delivered again, so it must exceed the longest task (a refit of
# 25M ratings takes minutes; retries wait at most 10 minutes).
CELERY_VISIBILITY_TIMEOUT_SECONDS = env_int("CELERY_VISIBILITY_TIMEOUT_SECONDS", 7200)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS,
    "global_keyprefix": f"{CELERY_TASK_DEFAULT_QUEUE}:celery:",
    # Look for abandoned messages every few seconds (kombu's default is every 100 s).
    "unacked_restore_interval": max(1, min(10, CELERY_VISIBILITY_TIMEOUT_SECONDS // 10)),
    "unacked_restore_throttle": 1,
    # A request that queues a task while Redis is unreachable waits seconds, not forever.
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0.2, "interval_step": 0.5}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # a worker process that dies puts its task back at once
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True  # theirs come back anyway
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a worker holds no more tasks than it runs
# Tasks a worker runs at once, each in a process of its own: a refit holds one for minutes.
CELERY_WORKER_CONCURRENCY = env_int("CELERY_WORKER_CONCURRENCY", 2)
CELERY_TASK_IGNORE_RESULT = True  # tasks leave their effects in the database, no results
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULER = "scrapbook.celery:Scheduler"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# The periodic tasks, in seconds: run by celery beat with a broker, else by every server
# process. A run that no worker took before the next one is due is dropped (`expires`).
CELERY_BEAT_SCHEDULE = {}
if RECOMMENDER_AUTO_REFIT:
    CELERY_BEAT_SCHEDULE["refit-recommender-if-due"] = {
        "task": "movie_module.recommendations.tasks.refit_recommender_if_due",
        "schedule": float(RECOMMENDER_REFIT_CHECK_SECONDS),
        "options": {"expires": RECOMMENDER_REFIT_CHECK_SECONDS},
    }
if RAPIDAPI_KEY:
    CELERY_BEAT_SCHEDULE["refresh-stale-movies"] = {
        "task": "movie_module.catalogue.tasks.refresh_stale_movies",
        "schedule": float(IMDB_REFRESH_BATCH_SECONDS),
        "options": {"expires": IMDB_REFRESH_BATCH_SECONDS},
    }

# E-mail (password reset links): printed on the console in development, sent through the
# SMTP server of EMAIL_HOST otherwise (EMAIL_BACKEND overrides both).
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Scrapbook <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The frontend's page that takes a reset link's uid and token, and how long a link works.
PASSWORD_RESET_URL = os.environ.get(
    "PASSWORD_RESET_URL", CORS_ALLOWED_ORIGINS[0] + "/reset-password?uid={uid}&token={token}"
)
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT_SECONDS", 3 * 3600)

# Behind a TLS-terminating proxy (see the README's production section).
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# The health check is polled over plain HTTP by load balancers on the private network.
SECURE_REDIRECT_EXEMPT = [r"^api/health/$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# One line per request: uvicorn's access line. Django's own line for a 4xx is dropped
# (scrapbook/log_filters.py); a 5xx keeps it, with its traceback, once. LOG_FORMAT=json makes
# every line, uvicorn's included, one JSON object (scrapbook/log_format.py).
try:
    LOG_FORMAT = log_format()
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"skip_client_errors": {"()": "scrapbook.log_filters.SkipClientErrorResponses"}},
    "formatters": {
        "plain": {"format": PLAIN_FORMAT},
        "json": {"()": "scrapbook.log_format.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["skip_client_errors"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's default configuration gives `django` a handler of its own, which in DEBUG
        # printed every record a second time, unformatted; its records reach the root's.
        "django": {"handlers": [], "level": "INFO"},
        "django.db.backends": {"level": "WARNING"},
        # axes logs every failed login and lockout beside the 401 or 429 access line that
        # already says it: one line per request. The admin's "Access attempts" lists them.
        "axes": {"level": "ERROR"},
    },
}
