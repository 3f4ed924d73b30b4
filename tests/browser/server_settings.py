"""Settings of the web server the browser tests drive (tests/fixtures/browser.py starts it).

The real settings, with one difference: passwords are hashed as in the test process (MD5, see
config/settings.py), so people created by a test can sign in through the browser. E-mail,
database and Redis come from the environment the fixture gives the server."""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
