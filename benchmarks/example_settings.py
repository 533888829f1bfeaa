"""The fluxems example's own settings (``example_project/settings.py``) for the benchmark's
example cases, with only the database, the cache, DEBUG and the hosts overridden.

The example, as ``manage.py runserver`` runs it, resolves the region with its footer switcher's
``REGION_RESOLVER``, and with a resolver the app's memo of what an undecided visitor allows is
skipped: that is the configuration measured. DEBUG is off, as in production, so the resolver
answers ``None`` at once and the header decides (there is none in these cases)."""

from example_project.settings import *  # noqa: F403
from example_project.settings import COOKIECONSENT

DEBUG = False
ALLOWED_HOSTS = ["testserver"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Set by the example only when DEBUG is on in its environment; kept whatever it says.
COOKIECONSENT = {
    **COOKIECONSENT,
    "REGION_RESOLVER": "example_project.fluxems.regions.demo_region",
}
# The example's pages, and the benchmark's view that sets the four fluxems cookies.
ROOT_URLCONF = "benchmarks.example_urls"
