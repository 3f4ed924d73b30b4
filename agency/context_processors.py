from agency.selectors import agency_for_branding


def branding(request):
    """The agency whose name, logo and colour the pages carry."""
    return {"brand": agency_for_branding(request)}
