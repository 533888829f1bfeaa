"""Minimal settings for the test suite. ``DATABASE_URL`` / ``CACHE_URL`` switch to PostgreSQL
and Redis (CI does); the defaults are SQLite in memory and the local-memory cache."""

from __future__ import annotations

import environ

env = environ.Env()

SECRET_KEY = "cookieconsent-tests-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
USE_TZ = True
TIME_ZONE = "Africa/Johannesburg"
LANGUAGE_CODE = "en"
# Published versions are rendered in each of these (cookieconsent.publishing.render.languages()).
LANGUAGES = [("en", "English"), ("af", "Afrikaans")]

DATABASES = {"default": env.db("DATABASE_URL", default="sqlite://:memory:")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite, whose flush between transactional tests gets past the app's triggers.
    DATABASES["default"]["ENGINE"] = "cookieconsent.testing.sqlite3"
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "cookieconsent",
    # The tests' own app: templates and views the tests drive (no example site here).
    "tests",
]

MIDDLEWARE = [
    "cookieconsent.middleware.CookieConsentMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tests.middleware.analytics_middleware",
]

ROOT_URLCONF = "tests.urls"

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
            ]
        },
    }
]

STATIC_URL = "/static/"
SESSION_COOKIE_NAME = "femstd"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

COOKIECONSENT: dict[str, object] = {}
