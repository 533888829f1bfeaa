"""The fluxems settings, made fit for its tests: an in-memory database and cache unless
``DATABASE_URL`` / ``CACHE_URL`` say otherwise (CI runs them on PostgreSQL and Redis too)."""

from __future__ import annotations

import environ

from example_project.settings import *  # noqa: F403

env = environ.Env()

SECRET_KEY = "fluxems-tests-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
DATABASES = {"default": env.db("DATABASE_URL", default="sqlite://:memory:")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite, whose flush between transactional tests gets past the app's triggers.
    DATABASES["default"]["ENGINE"] = "cookieconsent.testing.sqlite3"
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The gated-iframe browser tests frame the site's own policy page.
X_FRAME_OPTIONS = "SAMEORIGIN"
