"""The fluxems example's settings as ``example_project/tests/test_multiprocess.py`` and
``benchmarks/load.py`` serve them: DEBUG off, plain-HTTP cookies, the registry staleness and
the cache key prefix from the environment, and a header that counts each request's queries."""

import os

from example_project.settings import *  # noqa: F403
from example_project.settings import CACHES, COOKIECONSENT, MIDDLEWARE

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# Loopback HTTP, no TLS.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
COOKIECONSENT = {
    **COOKIECONSENT,
    "COOKIE_SECURE": False,
    "REGISTRY_STALENESS": float(os.environ.get("COOKIECONSENT_REGISTRY_STALENESS", "5")),
}
# One run's keys stay apart from everything else in the same Redis database.
CACHES["default"]["KEY_PREFIX"] = os.environ.get("CACHE_KEY_PREFIX", "")
MIDDLEWARE = ["benchmarks.querycount.QueryCountMiddleware", *MIDDLEWARE]
