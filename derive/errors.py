"""Errors the user can act on.

Every mistake in what a user asked for (an unknown name, a size <= 0, a request too
large to prove in reasonable time) raises :class:`UsageError`; the command line prints
it as one line and exits with status 2.

>>> from derive.errors import UsageError
>>> str(UsageError("sizes", "integers >= 1", "0"))
'sizes: expected integers >= 1, got 0'
"""

from __future__ import annotations

__all__ = ["UsageError"]


class UsageError(ValueError):
    """A bad argument: names the argument, what was expected and what came."""

    def __init__(self, argument: str, expected: str | None = None, got: object = None):
        if expected is None:
            message = argument
        else:
            message = f"{argument}: expected {expected}, got {got}"
        super().__init__(message)
