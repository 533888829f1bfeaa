"""``manage.py cookieconsent_count``: count the consent decisions of every day that is over
into the daily counts behind the Statistics page (the page and the purge do it too)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cookieconsent.console import stats
from cookieconsent.management import counted


class Command(BaseCommand):
    help = (
        "Count the consent decisions of every day that is over and not counted yet into the "
        "daily counts behind the Statistics page. The page and cookieconsent_purge do it "
        "themselves; run it after upgrading a site with many records, or from cron, so that "
        "no page load has to."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        days = stats.roll_up()
        if not days:
            self.stdout.write("Every day that is over is counted already.")
            return
        span = f"{days[0]}" if len(days) == 1 else f"{days[0]} to {days[-1]}"
        self.stdout.write(f"Counted {counted(len(days), 'day')} ({span}).")
