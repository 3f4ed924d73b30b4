import os
import sys

from django.core.wsgi import get_wsgi_application

# The web process never imports torch: the model runs in `ml` workers only. spaCy (used by the
# reply guard) would import torch through thinc if it is installed; a None entry makes that
# import fail fast, so thinc runs without it and any accidental import is an ImportError.
sys.modules.setdefault("torch", None)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
