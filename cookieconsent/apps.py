"""App configuration: connects the registry to the models and to what is read with it, and
registers the system checks."""

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CookieConsentAppConfig(AppConfig):
    name = "cookieconsent"
    verbose_name = _("Cookie consent")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cookieconsent import checks  # noqa: F401  (registers the checks)
        from cookieconsent.console import discovery
        from cookieconsent.engine.registry import invalidate
        from cookieconsent.models import (
            Cookie,
            CookieCategory,
            CookiePolicy,
            PolicySection,
            PublishedVersion,
            RegionRule,
            UndeclaredCookie,
        )
        from cookieconsent.publishing import serve  # noqa: F401  (reads with each registry)

        for model in (
            Cookie,
            CookieCategory,
            CookiePolicy,
            PolicySection,
            PublishedVersion,
            RegionRule,
        ):
            post_save.connect(invalidate, sender=model, dispatch_uid=f"cc-save-{model.__name__}")
            post_delete.connect(invalidate, sender=model, dispatch_uid=f"cc-del-{model.__name__}")
        # Names deleted from the inbox make room for new ones in its bounded table.
        post_delete.connect(
            discovery.room_made, sender=UndeclaredCookie, dispatch_uid="cc-del-UndeclaredCookie"
        )
