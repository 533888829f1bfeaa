from django.apps import AppConfig


class FluxemsConfig(AppConfig):
    name = "example_project.fluxems"
    label = "fluxems"
    verbose_name = "fluxems"
    default_auto_field = "django.db.models.BigAutoField"
