"""Fail unless the wheel carries what the flat layout's tests cannot prove it does."""

import sys
import zipfile

REQUIRED_PREFIXES = {
    "templates": "cookieconsent/templates/cookieconsent/banner.html",
    "policy template": "cookieconsent/templates/cookieconsent/policy.html",
    "static script": "cookieconsent/static/cookieconsent/cookieconsent.js",
    "static script, minified": "cookieconsent/static/cookieconsent/cookieconsent.min.js",
    "static stylesheet": "cookieconsent/static/cookieconsent/cookieconsent.css",
    "static stylesheet, minified": "cookieconsent/static/cookieconsent/cookieconsent.min.css",
    "migrations": "cookieconsent/migrations/0001_initial.py",
    "py.typed": "cookieconsent/py.typed",
    "locale (af .po)": "cookieconsent/locale/af/LC_MESSAGES/django.po",
    "locale (af .mo)": "cookieconsent/locale/af/LC_MESSAGES/django.mo",
    "cookie database": "cookieconsent/data/cookie-database.csv",
    "cookie database notice": "cookieconsent/data/NOTICE",
}


def main(path: str) -> int:
    names = set(zipfile.ZipFile(path).namelist())
    missing = [f"{what}: {name}" for what, name in REQUIRED_PREFIXES.items() if name not in names]
    stray = sorted(n for n in names if n.startswith(("tests/", "example_project/", "benchmarks/")))
    for line in missing:
        print("missing from the wheel:", line)
    for name in stray:
        print("should not be in the wheel:", name)
    if missing or stray:
        return 1
    print(
        f"{path}: {len(names)} files, templates, static, migrations, locale, the cookie "
        "database and py.typed present"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
