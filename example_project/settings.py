"""Settings of the fluxems example site, read from the environment with django-environ.

Every variable has a development default, so ``manage.py runserver`` works with nothing set:
``DATABASE_URL`` (SQLite file next to this module), ``CACHE_URL`` (local memory),
``SECRET_KEY``, ``DEBUG``, ``ALLOWED_HOSTS``, ``SECURE_COOKIES`` and ``REGION_HEADER``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parent

env = environ.Env()

SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-fluxems-demo-key-do-not-deploy")
DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    # Before cookieconsent, so that its cookieconsent/base.html puts the app's pages in the
    # site's layout.
    "example_project.fluxems",
    "cookieconsent",
]

MIDDLEWARE = [
    # First, so it handles the response last and sees every cookie the others set.
    "cookieconsent.middleware.CookieConsentMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "example_project.fluxems.middleware.analytics_middleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"
ASGI_APPLICATION = "example_project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "example_project.fluxems.regions.switcher",
            ]
        },
    }
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "signin"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
# The policy, banner and cookie table are written in both (see docs/translations.md);
# LocaleMiddleware picks the visitor's from Accept-Language.
LANGUAGES = [("en", "English"), ("af", "Afrikaans")]
TIME_ZONE = "Africa/Johannesburg"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The policy calls the session cookie "femstd"; it keeps Django's HttpOnly default.
SESSION_COOKIE_NAME = "femstd"
# Secure cookies need HTTPS, which runserver does not speak: on by default only outside DEBUG.
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES

# cookieconsent's defaults suit the demo (see README.md for every key); only the consent
# cookie's Secure flag follows the site's.
COOKIECONSENT: dict[str, Any] = {
    "COOKIE_SECURE": SECURE_COOKIES,
    # The site's analytics reads Google Consent Mode v2: which category grants which type.
    "GOOGLE_CONSENT_MODE": {
        "necessary": ["security_storage"],
        "functional": ["functionality_storage", "personalization_storage"],
        "analytics": ["analytics_storage"],
    },
    # A signed-in member's latest choice applies on every browser they sign in on
    # (docs/enforcement.md): members of the demo decide once.
    "CONSENT_FOLLOWS_USER": True,
    # Where the visitor is, from Cloudflare's header (docs/regions.md); REGION_HEADER="" in
    # the environment turns regions off, and every visitor is opt-in.
    "REGION_HEADER": env.str("REGION_HEADER", default="CF-IPCountry") or None,
    # Trusted, because the fluxems site sits behind Cloudflare, which sets the header; and the
    # demo relies on it: the region switcher's "as the header says" and the curl lines of
    # docs/regions.md. A site not behind the proxy that sets its header leaves this False.
    "TRUST_REGION_HEADER": True,
}
if DEBUG:
    # The footer's region switcher stands in for the header (example_project/fluxems/regions.py).
    COOKIECONSENT["REGION_RESOLVER"] = "example_project.fluxems.regions.demo_region"
