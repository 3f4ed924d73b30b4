from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ActorAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "core.api.ActorAuthentication"
    name = ["bearer", "session"]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "An API key (cwk_…) or a personal token (cwt_…).",
            },
            {"type": "apiKey", "in": "cookie", "name": "sessionid"},
        ]
