"""Routes of this app inside a clinic (mounted under /clinics/<slug>/ by config.urls_tenant).
`api_patterns` go under api/v1/, `page_patterns` at the clinic root. `public_patterns` are
mounted at the site root (no sign-in): the public statement pages."""

api_patterns: list = []
page_patterns: list = []
public_patterns: list = []
