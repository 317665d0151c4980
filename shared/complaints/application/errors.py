"""Errors of the application layer that are not the model's: input the tenant's rules refuse."""

from __future__ import annotations

from typing import Any


class InvalidFields(ValueError):
    """Fields the tenant's rules refuse (a 422): `errors` is a list of {field, message[, allowed]}."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("Invalid: " + ", ".join(e["field"] for e in errors))
        self.errors = errors


class VersionNotFound(LookupError):
    """A state asked for (a version, a moment) that the case never had (a 404)."""


class Unchanged(Exception):
    """The caller has this version of the case already (a 304): `version` is its ETag."""

    def __init__(self, version: int) -> None:
        super().__init__(f"version {version}")
        self.version = version


class LinkNotFound(LookupError):
    """No case answers to this tracking link: unknown, malformed and revoked look alike (a plain 404)."""
