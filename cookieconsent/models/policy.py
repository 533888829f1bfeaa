"""The policy staff edit (the draft): its text, sections and contact. Visitors see it only
once published (``cookieconsent.publishing``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, ClassVar, Protocol

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.text import get_text_list
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from cookieconsent.markup import render_markdown
from cookieconsent.translation import Translated, lookup, translations_field

#: The banner's words when staff leave them empty, translated by the app's locale files; the
#: message names the optional categories the site declares.
DEFAULT_BANNER_TITLE = gettext_noop("Cookie consent")
DEFAULT_BANNER_MESSAGE = gettext_noop(
    "We use cookies to keep the site working. With your consent we also use optional cookies "
    "for %(names)s."
)
ONLY_NECESSARY_MESSAGE = gettext_noop("We use only the cookies the site needs to work.")


class CookiePolicy(models.Model):
    """The policy text staff edit. One policy is current; publishing it makes a
    ``PublishedVersion``, which is what visitors see."""

    title = models.CharField(_("title"), max_length=200, default=_("Cookie Policy"))
    introduction = models.TextField(
        _("introduction"), blank=True, help_text=_("Markdown, shown before the sections.")
    )
    last_updated = models.DateField(
        _("last updated"),
        default=date.today,
        help_text=_("Shown on the page once published; publishing sets the date it is given."),
    )
    is_current = models.BooleanField(
        _("current"),
        default=True,
        help_text=_(
            "The policy visitors are given, and the only one that can be published. One "
            "policy is current at a time: untick it here before ticking it on another; a "
            "policy that is not current is a spare draft nobody sees."
        ),
    )
    contact_organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    contact_address = models.CharField(_("postal address"), max_length=300, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    modified_at = models.DateTimeField(_("modified"), auto_now=True)
    banner_title = models.CharField(
        _("banner title"),
        max_length=200,
        blank=True,
        help_text=_("Empty: “Cookie consent”, in the visitor's language."),
    )
    banner_message = models.TextField(
        _("banner message"),
        blank=True,
        help_text=_(
            "What the banner says before its buttons; say only what your categories do. "
            "Empty: the app's default, which mentions preferences and analytics."
        ),
    )
    translations = translations_field()
    i18n = Translated("title", "introduction", "banner_title", "banner_message")

    class Meta:
        verbose_name = _("cookie policy")
        verbose_name_plural = _("cookie policies")
        ordering: ClassVar = ["-is_current", "pk"]
        permissions: ClassVar = [("publish_cookiepolicy", _("Can publish the cookie policy"))]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=Q(is_current=True),
                name="cookieconsent_one_current_policy",
                violation_error_message=_("Only one cookie policy can be current."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("cookieconsent:policy")

    @property
    def introduction_html(self) -> SafeString:
        """The introduction as sanitised HTML."""
        return render_markdown(self.i18n.introduction)

    @classmethod
    def current(cls) -> CookiePolicy | None:
        return cls.objects.filter(is_current=True).first()


class _BannerSource(Protocol):
    @property
    def banner_title(self) -> str: ...
    @property
    def banner_message(self) -> str: ...
    @property
    def translations(self) -> Any: ...


class _Category(Protocol):
    @property
    def required(self) -> bool: ...
    @property
    def i18n(self) -> Any: ...


def optional_names(categories: Iterable[_Category]) -> str:
    """The optional categories' names in the active language: "Functional and Analytics"."""
    names = [str(c.i18n.name) for c in categories if not c.required]
    return str(get_text_list(names, gettext("and")))


def banner_text(
    policy: _BannerSource | None, categories: Iterable[_Category] = ()
) -> tuple[str, str]:
    """The banner's title and message in the active language: the policy's own words (from
    the model or the registry's copy), or the app's translated defaults where staff left them
    empty, or there is no policy. The default message names the optional ``categories``."""
    title = message = ""
    if policy is not None:
        translations = policy.translations or {}
        title = lookup(translations, "banner_title", policy.banner_title)
        message = lookup(translations, "banner_message", policy.banner_message)
    if not message:
        names = optional_names(categories)
        message = (
            gettext(DEFAULT_BANNER_MESSAGE) % {"names": names}
            if names
            else gettext(ONLY_NECESSARY_MESSAGE)
        )
    return title or gettext(DEFAULT_BANNER_TITLE), message


class PolicySection(models.Model):
    """One numbered section of the policy: a heading and a Markdown body."""

    policy = models.ForeignKey(
        CookiePolicy, on_delete=models.CASCADE, related_name="sections", verbose_name=_("policy")
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    heading = models.CharField(_("heading"), max_length=200)
    body = models.TextField(_("body"), blank=True, help_text=_("Markdown."))
    show_cookie_table = models.BooleanField(
        _("show the cookie table"),
        default=False,
        help_text=_(
            "Render the table of categories and cookies after this section's text (with no "
            "section ticked, it follows the last one)."
        ),
    )
    translations = translations_field()
    i18n = Translated("heading", "body")

    class Meta:
        verbose_name = _("policy section")
        verbose_name_plural = _("policy sections")
        ordering: ClassVar = ["order", "pk"]

    def __str__(self) -> str:
        return self.heading

    @property
    def body_html(self) -> SafeString:
        """The body as sanitised HTML."""
        return render_markdown(self.i18n.body)
