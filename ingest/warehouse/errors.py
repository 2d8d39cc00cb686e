"""Errors that the boundary raises and the facade turns into ``{'status': 'error'}`` dicts."""


class ValidationError(ValueError):
    """Input that cannot be stored as given. The message says what was wrong and how to fix it.

    ``context`` carries extra keys for the caller's error dict (e.g. the estimate and budget
    when a budget is too small).
    """

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context
