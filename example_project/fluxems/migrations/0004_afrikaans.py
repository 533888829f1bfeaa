"""The fluxems Cookie Policy in Afrikaans: the policy's title and introduction, the banner, all
eight section headings and bodies, the category names and purposes and every cookie's purpose.

Texts go into each row's ``translations`` only where it has no Afrikaans yet, so a site's own
translation is never overwritten; the reverse removes the Afrikaans again.
"""

from django.db import migrations

LANGUAGE = "af"
SEED_EMAIL = "support@entrebyte.com"

POLICY = {
    "title": "Koekiebeleid",
    "introduction": (
        "Hierdie Koekiebeleid verduidelik hoe fluxems koekies en soortgelyke tegnologieë "
        "gebruik wanneer jy ons webwerwe besoek of die Diens gebruik, wat hulle doen, en hoe "
        "jy hulle kan bestuur. Dit moet saam met ons Privaatheidsbeleid gelees word."
    ),
    "banner_title": "Koekie-toestemming",
    "banner_message": (
        "Ons gebruik koekies om jou aangemeld en die webwerf veilig te hou. Met jou "
        "toestemming gebruik ons ook opsionele koekies om jou voorkeure te onthou en te "
        "verstaan hoe die webwerf gebruik word."
    ),
}

# By the section's order in the seed: (heading, body).
SECTIONS = [
    (
        "Wat koekies is",
        "Koekies is klein tekslêers wat op jou toestel geplaas word wanneer jy 'n webwerf "
        "besoek. Hulle laat 'n webwerf toe om jou handelinge en voorkeure oor 'n tydperk te "
        "onthou. \"Soortgelyke tegnologieë\" sluit die blaaier se plaaslike berging en "
        "sessiestore op die bediener in wat soortgelyke funksies verrig. Koekies kan "
        "\"sessiekoekies\" wees (uitgevee wanneer jy jou blaaier toemaak) of \"blywend\" (hulle "
        "bly tot hulle verval of verwyder word), en \"eersteparty\" (deur ons gestel) of "
        "\"derdeparty\" (gestel deur 'n verskaffer wat ons gebruik).",
    ),
    (
        "Hoe ons dit gebruik",
        "Ons gebruik hierdie tegnologieë om jou veilig aangemeld te hou, om jou rekening en die "
        "Diens te beskerm, om jou instellings en die Werkruimte waarin jy werk te onthou, en om "
        "te verstaan hoe die Diens gebruik word sodat ons dit kan verbeter. Ons gebruik nie "
        "koekies om jou persoonlike inligting te verkoop nie.",
    ),
    (
        "Koekies wat ons gebruik",
        "Die tabel hieronder lys elke kategorie, die koekies en soortgelyke tegnologieë daarin, "
        "en wat hulle doen.",
    ),
    (
        "Soortgelyke tegnologieë",
        "Benewens koekies gebruik ons jou blaaier se plaaslike berging om "
        "koppelvlakvoorkeure op jou toestel te hou, en sessieberging op die bediener om jou "
        "aangemelde sessie te handhaaf. Dit dien dieselfde doeleindes as wat hierbo beskryf is.",
    ),
    (
        "Derdeparty-koekies",
        "Sommige koekies kan gestel word deur verskaffers wat ons help om die Diens te bedryf, "
        "byvoorbeeld ons analise- en betalingsverskaffers. Hulle gebruik van koekies word deur "
        "hul eie beleide gereël. Ons gebruik slegs verskaffers wat ons nodig ag om die Diens te "
        "bedryf en te verbeter.",
    ),
    (
        "Bestuur van koekies",
        "Waar dit vereis word, wys ons 'n koekiebanier waarmee jy nie-noodsaaklike koekies kan "
        "aanvaar of weier. Jy kan koekies ook deur jou blaaier se instellings beheer, insluitend "
        "om hulle te blokkeer of uit te vee. Let asseblief daarop dat as jy streng noodsaaklike "
        "koekies (soos femstd) blokkeer, jy nie sal kan aanmeld en die Diens gebruik nie, en dat "
        "jou voorkeure tussen besoeke kan verlore gaan as jy funksionele koekies afskakel.",
    ),
    (
        "Moenie Volg Nie",
        "Sommige blaaiers stuur 'n \"Moenie Volg Nie\"-sein (Do Not Track). Daar is geen "
        "standaard waaroor die bedryf ooreengekom het om daarop te reageer nie, dus reageer ons "
        "tans nie op sulke seine nie. Ons sal hierdie afdeling bywerk as dit verander.",
    ),
    (
        "Veranderinge en kontak",
        "Ons kan hierdie Koekiebeleid bywerk soos ons gebruik van hierdie tegnologieë "
        "ontwikkel; die datum \"laas bygewerk\" hierbo sal dan verander. Vrae kan gestuur word "
        "aan:",
    ),
]

# slug: (name, purpose)
CATEGORIES = {
    "necessary": (
        "Streng noodsaaklik",
        "Hou jou aangemeld en die Diens aan die werk. Die Diens kan nie sonder hulle werk nie, "
        "dus kan hulle nie afgeskakel word nie.",
    ),
    "security": (
        "Sekuriteit",
        "Help ons om bedrieglike of ongemagtigde toegang op te spoor en te voorkom en die "
        "integriteit van jou sessie te handhaaf.",
    ),
    "functional": (
        "Funksioneel",
        "Onthou voorkeure soos jou gekose Werkruimte en koppelvlakinstellings. Sonder hulle kan "
        "jou voorkeure tussen besoeke verlore gaan.",
    ),
    "analytics": (
        "Analise",
        "Help ons om die totale gebruik te verstaan sodat ons die Diens kan verbeter. Word "
        "slegs met jou toestemming gebruik.",
    ),
}

# (name, technology): purpose
COOKIES = {
    ("femstd", "cookie"): (
        "Verifieer jou identiteit en hou jou sessie veilig. Die Diens kan nie daarsonder werk "
        "nie, dus kan dit nie afgeskakel word nie."
    ),
    ("csrftoken", "cookie"): (
        "Beskerm die vorms wat jy indien teen vervalste versoeke van ander webwerwe (CSRF)."
    ),
    ("cookieconsent", "cookie"): (
        "Onthou jou koekiekeuses, sodat ons jou nie op elke bladsy weer vra nie."
    ),
    ("messages", "cookie"): (
        "Dra 'n kort kennisgewing, soos 'n bevestiging, oor na die volgende bladsy wat jy sien."
    ),
    ("django_session", "server_session"): (
        "Handhaaf jou aangemelde sessie in ons sessiestoor op die bediener."
    ),
    ("session", "cookie"): (
        "Help ons om bedrieglike of ongemagtigde toegang op te spoor en te voorkom en die "
        "integriteit van jou sessie te handhaaf."
    ),
    ("prefs", "cookie"): (
        "Onthou voorkeure soos jou gekose Werkruimte en koppelvlakinstellings."
    ),
    ("fluxems.ui", "local_storage"): "Hou koppelvlakvoorkeure op jou toestel.",
    ("_stat", "cookie"): (
        "Help ons om die totale gebruik te verstaan sodat ons die Diens kan verbeter."
    ),
}


def _add(obj, texts):
    """Give ``obj`` these Afrikaans texts unless it has Afrikaans already."""
    translations = dict(obj.translations or {})
    if LANGUAGE in translations:
        return
    translations[LANGUAGE] = texts
    obj.translations = translations
    obj.save(update_fields=["translations"])


def forward(apps, schema_editor):
    CookiePolicy = apps.get_model("cookieconsent", "CookiePolicy")
    CookieCategory = apps.get_model("cookieconsent", "CookieCategory")
    Cookie = apps.get_model("cookieconsent", "Cookie")
    db = schema_editor.connection.alias

    for policy in CookiePolicy.objects.using(db).filter(contact_email=SEED_EMAIL):
        _add(policy, POLICY)
        sections = policy.sections.order_by("order", "pk")
        for section, (heading, body) in zip(sections, SECTIONS):
            _add(section, {"heading": heading, "body": body})
    for category in CookieCategory.objects.using(db).filter(slug__in=CATEGORIES):
        name, purpose = CATEGORIES[category.slug]
        _add(category, {"name": name, "purpose": purpose})
    for cookie in Cookie.objects.using(db).filter(name__in={n for n, _t in COOKIES}):
        purpose = COOKIES.get((cookie.name, cookie.technology))
        if purpose is not None:
            _add(cookie, {"purpose": purpose})


def backward(apps, schema_editor):
    db = schema_editor.connection.alias
    for model in ("CookiePolicy", "PolicySection", "CookieCategory", "Cookie"):
        for obj in apps.get_model("cookieconsent", model).objects.using(db).all():
            if LANGUAGE in (obj.translations or {}):
                obj.translations = {k: v for k, v in obj.translations.items() if k != LANGUAGE}
                obj.save(update_fields=["translations"])


class Migration(migrations.Migration):
    dependencies = [
        ('fluxems', '0003_contact_once'),
        ('cookieconsent', '0001_initial'),
    ]

    operations = [migrations.RunPython(forward, backward)]
