from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "rightsfirst.web"
    label = "casework"
    verbose_name = _("Case work")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from rightsfirst.web import checks, signals  # noqa: F401  (registers deployment checks, SQLite pragmas)
        from rightsfirst.web.erasure import connect_guards

        connect_guards()  # nothing is written to an erased case
