from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    name = "clinics"
    verbose_name = "Clinics"

    def ready(self):
        # `schemas` registers the `clinics` migration executor with django-tenants; `routes`
        # connects the signals that drop a changed clinic's cached route, in every process
        # that can change one (web, Celery, commands), not only in those that serve requests.
        from clinics import routes, schemas  # noqa: F401
