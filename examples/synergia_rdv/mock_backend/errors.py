"""The error that every endpoint raises to answer with a JSON error body."""


class ApiError(Exception):
    """An HTTP error answer: status, a stable machine code and a human message.

    The body sent is {"error": code, "message": message, **extra}.
    """

    def __init__(self, status: int, code: str, message: str, **extra) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def body(self) -> dict:
        """Return the JSON body of this error."""
        return {"error": self.code, "message": self.message, **self.extra}
