"""Load the fluxems Cookie Policy (shared/seed/cookie-policy.txt) into cookieconsent's tables.

The data is written out here rather than imported, so that this migration does the same thing
whatever later happens to the code. The reverse removes what it created.
"""

from datetime import date, timedelta

from django.db import migrations

YEAR = timedelta(days=365)

POLICY = {
    "title": "Cookie Policy",
    "last_updated": date(2026, 6, 1),
    "is_current": True,
    "contact_organisation": "fluxems by Entrebyte Technologies",
    "contact_address": "Johannesburg, South Africa",
    "contact_email": "support@entrebyte.com",
    "introduction": (
        "This Cookie Policy explains how fluxems uses cookies and similar technologies when you "
        "visit our websites or use the Service, what they do, and how you can manage them. It "
        "should be read together with our Privacy Policy."
    ),
}

# (heading, Markdown body, show the cookie table)
SECTIONS = [
    (
        "What cookies are",
        "Cookies are small text files placed on your device when you visit a website. They let "
        "a site remember your actions and preferences over a period of time. \"Similar "
        "technologies\" include browser local storage and server-side session stores that "
        "perform comparable functions. Cookies may be \"session\" (deleted when you close your "
        "browser) or \"persistent\" (remaining until they expire or are removed), and "
        "\"first-party\" (set by us) or \"third-party\" (set by a provider we use).",
        False,
    ),
    (
        "How we use them",
        "We use these technologies to keep you securely signed in, to protect your account and "
        "the Service, to remember your settings and the Workspace you are working in, and to "
        "understand how the Service is used so we can improve it. We do not use cookies to sell "
        "your personal information.",
        False,
    ),
    (
        "Cookies we use",
        "The table below lists each category, the cookies and similar technologies in it, and "
        "what they do.",
        True,
    ),
    (
        "Similar technologies",
        "In addition to cookies, we use your browser's local storage to hold interface "
        "preferences on your device, and server-side session storage to maintain your "
        "authenticated session. These serve the same purposes described above.",
        False,
    ),
    (
        "Third-party cookies",
        "Some cookies may be set by providers who help us operate the Service, for example, our "
        "analytics and payment providers. Their use of cookies is governed by their own "
        "policies. We use only providers we consider necessary to run and improve the Service.",
        False,
    ),
    (
        "Managing cookies",
        "Where required, we show a cookie banner that lets you accept or decline non-essential "
        "cookies. You can also control cookies through your browser settings, including "
        "blocking or deleting them. Please note that blocking strictly necessary cookies (such "
        "as femstd) will prevent you from signing in and using the Service, and disabling "
        "functional cookies may reset your preferences between visits.",
        False,
    ),
    (
        "Do Not Track",
        "Some browsers send a \"Do Not Track\" signal. There is no industry-agreed standard for "
        "responding to it, so we do not currently respond to such signals. We will update this "
        "section if that changes.",
        False,
    ),
    (
        "Changes & contact",
        # An explicit link: Markdown would obfuscate a bare <address> autolink.
        "We may update this Cookie Policy as our use of these technologies evolves; the \"last "
        "updated\" date above will change. Questions can be sent to:\n\n"
        "fluxems by Entrebyte Technologies · Johannesburg, South Africa  \n"
        "[support@entrebyte.com](mailto:support@entrebyte.com)",
        False,
    ),
]

# (slug, name, purpose, required)
CATEGORIES = [
    (
        "necessary",
        "Strictly necessary",
        "Keep you signed in and the Service working. The Service cannot work without them, so "
        "they cannot be switched off.",
        True,
    ),
    (
        "security",
        "Security",
        "Help us detect and prevent fraudulent or unauthorised access and maintain the "
        "integrity of your session.",
        True,
    ),
    (
        "functional",
        "Functional",
        "Remember preferences such as your selected Workspace and interface settings. Without "
        "them your preferences may reset between visits.",
        False,
    ),
    (
        "analytics",
        "Analytics",
        "Help us understand aggregate usage so we can improve the Service. Used only with your "
        "consent.",
        False,
    ),
]

# (category, name, technology, purpose, lifetime or None for the browser session, HttpOnly)
COOKIES = [
    (
        "necessary",
        "femstd",
        "cookie",
        "Authenticates you and keeps your session secure. The Service cannot work without it, "
        "so it cannot be switched off.",
        timedelta(days=14),  # Django's SESSION_COOKIE_AGE
        True,
    ),
    (
        "necessary",
        "csrftoken",
        "cookie",
        "Protects the forms you submit against cross-site request forgery.",
        YEAR,  # Django's CSRF_COOKIE_AGE is 52 weeks; declared as the year it rounds up to
        False,
    ),
    (
        "necessary",
        "cookieconsent",
        "cookie",
        "Remembers your cookie choices, so that we do not ask again on every page.",
        YEAR,
        False,
    ),
    (
        "necessary",
        "messages",
        "cookie",
        "Carries a short notice, such as a confirmation, to the next page you see.",
        None,
        True,
    ),
    (
        "necessary",
        "django_session",
        "server_session",
        "Maintains your authenticated session in our server-side session store.",
        timedelta(days=14),
        False,
    ),
    (
        "security",
        "session",
        "cookie",
        "Helps us detect and prevent fraudulent or unauthorised access and maintain the "
        "integrity of your session.",
        None,
        True,
    ),
    (
        "functional",
        "prefs",
        "cookie",
        "Remembers preferences such as your selected Workspace and interface settings.",
        YEAR,
        False,
    ),
    (
        "functional",
        "fluxems.ui",
        "local_storage",
        "Holds interface preferences on your device.",
        None,
        False,
    ),
    (
        "analytics",
        "_stat",
        "cookie",
        "Helps us understand aggregate usage so we can improve the Service.",
        YEAR,
        False,
    ),
]


def seed(apps, schema_editor):
    CookiePolicy = apps.get_model("cookieconsent", "CookiePolicy")
    PolicySection = apps.get_model("cookieconsent", "PolicySection")
    CookieCategory = apps.get_model("cookieconsent", "CookieCategory")
    Cookie = apps.get_model("cookieconsent", "Cookie")
    db = schema_editor.connection.alias

    # A site that already has a policy keeps it: only one can be current.
    if not CookiePolicy.objects.using(db).filter(is_current=True).exists():
        policy = CookiePolicy.objects.using(db).create(**POLICY)
        PolicySection.objects.using(db).bulk_create(
            PolicySection(policy=policy, order=order, heading=heading, body=body,
                          show_cookie_table=table)
            for order, (heading, body, table) in enumerate(SECTIONS)
        )
    categories = {}
    for order, (slug, name, purpose, required) in enumerate(CATEGORIES):
        categories[slug], _ = CookieCategory.objects.using(db).get_or_create(
            slug=slug,
            defaults={"name": name, "purpose": purpose, "order": order, "required": required},
        )
    for order, (slug, name, technology, purpose, lifetime, http_only) in enumerate(COOKIES):
        Cookie.objects.using(db).get_or_create(
            name=name,
            technology=technology,
            defaults={
                "category": categories[slug],
                "purpose": purpose,
                "lifetime": lifetime,
                "http_only": http_only,
                "order": order,
            },
        )


def unseed(apps, schema_editor):
    CookiePolicy = apps.get_model("cookieconsent", "CookiePolicy")
    CookieCategory = apps.get_model("cookieconsent", "CookieCategory")
    Cookie = apps.get_model("cookieconsent", "Cookie")
    db = schema_editor.connection.alias

    for _slug, name, technology, *_rest in COOKIES:
        Cookie.objects.using(db).filter(name=name, technology=technology).delete()
    # A category that has gained cookies since is left alone (deleting it would be refused).
    slugs = [slug for slug, *_rest in CATEGORIES]
    CookieCategory.objects.using(db).filter(slug__in=slugs, cookies__isnull=True).delete()
    # Sections go with their policy.
    CookiePolicy.objects.using(db).filter(
        title=POLICY["title"], contact_email=POLICY["contact_email"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("cookieconsent", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
