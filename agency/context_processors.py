from agency.models import AgencyMembership
from agency.selectors import agency_for_branding
from core.http import branded_for


def branding(request):
    """The agency whose name, logo and colour the pages carry. `brand_for_staff`: a page
    nobody is signed in on, about one of the agency's staff (a password link's page): it
    names the agency as staff pages do (signed-in pages decide with the top bar's
    `staff_nav`)."""
    brand = agency_for_branding(request)
    user = getattr(request, "user", None)
    person = branded_for(request)
    for_staff = (
        brand is not None
        and person is not None
        and not (user is not None and user.is_authenticated)
        and AgencyMembership.objects.filter(agency=brand, user=person).exists()
    )
    return {"brand": brand, "brand_for_staff": for_staff}
