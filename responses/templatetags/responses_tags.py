from django import template

from core.permissions import Permission

register = template.Library()


@register.filter
def words(value) -> str:
    """`guard_overridden` -> `guard overridden`."""
    return str(value or "").replace("_", " ")


@register.simple_tag(takes_context=True)
def approvals_log_opens(context) -> bool:
    """Whether the caller may open the clinic's approvals log (the link is shown only then)."""
    access = getattr(context.get("request"), "clinic_access", None)
    return access is not None and access.can(Permission.APPROVALS_LOG)
