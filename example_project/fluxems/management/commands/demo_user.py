"""``manage.py demo_user``: the demo's staff superuser, created or given its password back."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

USERNAME = "demo"
PASSWORD = "demo-fluxems"  # a demo on 127.0.0.1; never run this on a real site


class Command(BaseCommand):
    help = "Create the demo superuser (demo / demo-fluxems), or reset its password."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the site runs, for the admin link printed at the end.",
        )

    def handle(self, *args: Any, base_url: str, **options: Any) -> None:
        user, created = get_user_model().objects.get_or_create(username=USERNAME)
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(PASSWORD)
        user.save()
        verb = "Created" if created else "Reset the password of"
        self.stdout.write(self.style.SUCCESS(f"{verb} the demo superuser."))
        self.stdout.write(f"Admin:    {base_url.rstrip('/')}/admin/")
        self.stdout.write(f"Username: {USERNAME}")
        self.stdout.write(f"Password: {PASSWORD}")
