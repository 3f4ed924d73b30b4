from django.conf import settings
from django.http import JsonResponse
from django.urls import Resolver404, resolve

from core.http import is_api_path


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy header (Django 5.2 has no built-in CSP)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CSP_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        return response


def _resolves(path: str, urlconf) -> bool:
    try:
        resolve(path, urlconf)
    except Resolver404:
        return False
    return True


class ApiPathMiddleware:
    """API paths answer the same with or without their trailing slash, and an unknown API path
    answers the JSON 404 of every other API error, never a page or a redirect (Django's
    APPEND_SLASH redirect cannot carry a POST body). Runs after `ClinicRoutingMiddleware`,
    which chose the request's URLconf."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api_path(request):
            path = request.path_info
            urlconf = getattr(request, "urlconf", None)
            if not _resolves(path, urlconf):
                other = path[:-1] if path.endswith("/") else f"{path}/"
                if other == "/" or not _resolves(other, urlconf):
                    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
                script = request.path[: len(request.path) - len(path)]
                request.path_info, request.path = other, script + other
                request.META["PATH_INFO"] = other
        return self.get_response(request)
