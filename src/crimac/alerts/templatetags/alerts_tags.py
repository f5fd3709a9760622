from typing import Any

from django import template

register = template.Library()


@register.filter
def errors_for(errors: dict[str, list[str]] | None, path: str) -> list[str]:
    """The messages for one field path, e.g. {{ errors|errors_for:"persons.0.age_max" }}."""
    return (errors or {}).get(path, [])


@register.simple_tag
def row_errors(errors: dict[str, list[str]] | None, group: str, index: int, name: str) -> list[str]:
    return (errors or {}).get(f"{group}.{index}.{name}", [])


@register.filter
def get(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None
