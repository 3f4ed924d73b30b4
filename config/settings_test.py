"""The test suite's settings (pytest, the workers and the web server it starts): the real
settings, plus what only tests need. Production settings never ask whether pytest is running."""

from config.settings import *  # noqa: F403

# Real hashing would dominate the suite's run time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests create their clinics when they need them; no spare schemas are prepared.
CLINIC_SPARE_SCHEMAS = 0
# Fault injection for the fault tests (tests/fixtures/faults.py): a worker started with
# CAREWATCH_FAULT_KILL_ON dies when it scores a text that contains the marker.
SCORER_WRAPPERS = ["tests.fixtures.faults.kill_on_marker"]
