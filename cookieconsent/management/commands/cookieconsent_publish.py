"""``manage.py cookieconsent_publish [--reconsent] [--date YYYY-MM-DD]``: publish the current
policy from a deploy script. An unchanged draft publishes nothing, and says so (exit status 0:
a deploy may run it every time)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cookieconsent.management import USAGE
from cookieconsent.models import CookiePolicy
from cookieconsent.publishing import NotCurrentPolicy, NothingToPublish, publish


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--date {value!r} is not a date: write it as YYYY-MM-DD.", returncode=USAGE
        ) from None


class Command(BaseCommand):
    help = "Publish the current cookie policy as a new version, in every language of the site."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reconsent",
            action="store_true",
            help="Ask every visitor who decided under an earlier version to decide again.",
        )
        parser.add_argument(
            "--date", help="The “last updated” date the page shows (YYYY-MM-DD); today if left out."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day = _date(options["date"]) if options["date"] else None
        policy = CookiePolicy.current()
        if policy is None:
            raise CommandError("There is no current cookie policy to publish: mark one as current.")
        try:
            version = publish(policy, reconsent=options["reconsent"], last_updated=day)
        except NotCurrentPolicy as refused:  # another policy was made current meanwhile
            raise CommandError(str(refused)) from None
        except NothingToPublish as unchanged:
            self.stdout.write(str(unchanged))
            return
        languages = ", ".join(version.snapshots.order_by("pk").values_list("language", flat=True))
        again = " Visitors will be asked to consent again." if version.reconsent else ""
        self.stdout.write(self.style.SUCCESS(f"Published {version} in {languages}.{again}"))
