from django.http import Http404, HttpResponse
from django.views.decorators.cache import cache_control

from agency.models import Agency


@cache_control(max_age=300, public=True)
def brand_css(request, slug: str):
    """The agency's colour as a stylesheet (the CSP forbids inline styles)."""
    agency = Agency.objects.filter(slug=slug).only("primary_colour").first()
    if agency is None:
        raise Http404("Not found.")
    return HttpResponse(f":root{{--brand:{agency.primary_colour}}}\n", content_type="text/css")
