"""What the blueprint's parts share: paths into the blueprint, its layers of settings, how they
merge, and Kubernetes quantities."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping

Path = tuple[str | int, ...]

Layer = tuple[Mapping[str, Any], Path]


def quantity_text(value: Any) -> str:
    """A CPU or memory quantity as a string: 1 -> '1', 0.5 -> '0.5', '250m' unchanged."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_SUFFIXES = {"m": Decimal("0.001"), "k": Decimal(1000), "M": Decimal(1000) ** 2,
             "G": Decimal(1000) ** 3, "T": Decimal(1000) ** 4, "Ki": Decimal(1024),
             "Mi": Decimal(1024) ** 2, "Gi": Decimal(1024) ** 3, "Ti": Decimal(1024) ** 4}


def parse_quantity(text: str) -> Decimal:
    """'250m' -> 0.25, '1Gi' -> 1073741824 (the forms the schema allows); ValueError otherwise."""
    for suffix in ("Ki", "Mi", "Gi", "Ti", "m", "k", "M", "G", "T"):
        if text.endswith(suffix):
            return Decimal(text[: -len(suffix)]) * _SUFFIXES[suffix]
    try:
        return Decimal(text)
    except ArithmeticError:
        raise ValueError(f"not a quantity: {text!r}") from None


def deep_merge(base: Any, override: Any) -> Any:
    """`override` over `base`: maps merge key by key, anything else replaces. New containers are
    returned; neither input is changed."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = {key: _copy(value) for key, value in base.items()}
        for key, value in override.items():
            merged[key] = deep_merge(merged[key], value) if key in merged else _copy(value)
        return merged
    return _copy(override)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value

