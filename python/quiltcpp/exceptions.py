"""quiltcpp's exceptions: one per C++ error class (docs/DESIGN.md, "Errors").

The C++ core throws quilt::InvalidArgument, NotFound, Corrupt, Conflict,
IoError and RemoteError; the binding raises the class below of the same
kind with the C++ message. Each also derives from the built-in exception a
Python caller would catch for that kind of failure.
"""


class QuiltException(Exception):
    """Root of every quiltcpp error (quilt3 has a class of the same name)."""

    def __init__(self, message="", **kwargs):
        super().__init__(message)
        self.message = message
        for key, value in kwargs.items():
            setattr(self, key, value)


class InvalidArgumentError(QuiltException, ValueError):
    """A bad key, name, URL, option or argument (CLI exit 2)."""


class NotFoundError(QuiltException, LookupError):
    """A package, version, hash prefix, entry or object that does not exist (CLI exit 3)."""


class CorruptError(QuiltException):
    """Corrupt input or a hash mismatch (CLI exit 4)."""


class ConflictError(QuiltException):
    """The registry's latest moved since the package was read (CLI exit 5)."""


class QuiltIOError(QuiltException, OSError):
    """A local I/O failure; the message names the path (CLI exit 6)."""


class RemoteError(QuiltException):
    """A remote (HTTP/S3) failure (CLI exit 7)."""


__all__ = [
    "QuiltException",
    "InvalidArgumentError",
    "NotFoundError",
    "CorruptError",
    "ConflictError",
    "QuiltIOError",
    "RemoteError",
]
