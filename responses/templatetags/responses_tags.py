from django import template

register = template.Library()


@register.filter
def words(value) -> str:
    """`guard_overridden` -> `guard overridden`."""
    return str(value or "").replace("_", " ")
