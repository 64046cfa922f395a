"""The one exception type for mistakes a user can fix."""


class ATJTError(ValueError):
    """A one-line, user-facing error: names the key or file and what is allowed."""
