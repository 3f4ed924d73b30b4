"""The incident banner, nav badge and page-title count of every staff and portal page:
`{% alert_state as alerts %}` once per page; static/js/alerts.js keeps them live while htmx
polls /alerts/banner/."""

from django import template

from accounts.selectors import user_half_signed_in
from crisis.views_alerts import banner_context

register = template.Library()


@register.simple_tag(takes_context=True)
def alert_state(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user_half_signed_in(user):
        # nothing of the agency's work before the second factor (not even the count)
        return {
            "alert_items": [], "alert_incidents": [], "alert_count": 0,
            "alert_waiting": [], "alert_more": [],
        }  # fmt: skip
    return banner_context(user)
