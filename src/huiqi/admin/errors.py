"""What can go wrong in an administration use case, each mapped to one HTTP status by the web layer.

Every message is Chinese and says what to do; `Invalid` also names the field.
"""

from __future__ import annotations


class AdminError(Exception):
    status = 400


class NotFound(AdminError):
    """Unknown, or not visible to this user (the two are indistinguishable on purpose: no IDOR oracle)."""

    status = 404


class Forbidden(AdminError):
    status = 403


class Conflict(AdminError):
    """The object is not in a state that allows this (for example, reviewing an application twice)."""

    status = 409


class Invalid(AdminError):
    status = 422

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)
