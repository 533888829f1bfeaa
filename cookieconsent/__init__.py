"""Cookie consent for Django, enforced on the server.

The public API (docs/architecture.md): ``cookieconsent.middleware.CookieConsentMiddleware``,
``cookieconsent.urls``, ``{% load cookieconsent %}``, ``cookieconsent.models``,
``request.cookie_consent``, ``cookieconsent.publishing.publish``,
``cookieconsent.signals.consent_changed``, ``cookieconsent.testing`` and the ``COOKIECONSENT``
setting. Everything else is internal and may change.
"""
