from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = "工作台"

    def ready(self):
        from . import figures  # noqa: F401  (registers the dashboards' builders)
