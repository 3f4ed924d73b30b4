import os

from django.core.wsgi import get_wsgi_application

from core import notorch

notorch.install()  # the web process never imports torch (see core/notorch.py)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
