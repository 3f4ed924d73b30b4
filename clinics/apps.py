from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    name = "clinics"
    verbose_name = "Clinics"

    def ready(self):
        # Registers the `clinics` migration executor with django-tenants.
        from clinics import schemas  # noqa: F401
