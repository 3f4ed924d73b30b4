import pytest


@pytest.fixture(autouse=True)
def _routes_fresh():
    """The route cache keeps a pickled clinic for 30 s; a test's rolled-back deactivation
    must not outlive it (a rollback sends no post_save)."""
    from clinics.middleware import _routes

    _routes.clear()
    yield
    _routes.clear()
