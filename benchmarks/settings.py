"""Settings of the benchmark's project cases (``benchmarks/worker.py project``): SQLite in
memory, the local-memory cache, and the middleware list ``django-admin startproject`` writes
with ``CookieConsentMiddleware`` on top. The bare request goes through the same list without
it."""

from pathlib import Path

SECRET_KEY = "cookieconsent-benchmarks-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
USE_I18N = True

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "cookieconsent",
    # The hand-rolled endpoint's log (benchmarks/models.py).
    "benchmarks",
]

#: Django 5.2's ``startproject`` template, verbatim.
STARTPROJECT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
MIDDLEWARE = ["cookieconsent.middleware.CookieConsentMiddleware", *STARTPROJECT_MIDDLEWARE]

ROOT_URLCONF = "benchmarks.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).resolve().parent / "templates"],
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
# The fluxems site's session cookie.
SESSION_COOKIE_NAME = "femstd"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
COOKIECONSENT = {
    "REGISTRY_STALENESS": 5,
    "REGION_HEADER": "CF-IPCountry",
    # Read, as behind Cloudflare: the region's cost is part of what is measured.
    "TRUST_REGION_HEADER": True,
}
