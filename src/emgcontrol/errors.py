"""The emgcontrol exception hierarchy.

Every error the library raises on purpose derives from :class:`EmgcontrolError`,
so a script can catch one type.  The concrete classes also derive from the
matching built-in (``ValueError``, ``FileNotFoundError``...) so that generic
handlers keep working.
"""

from __future__ import annotations

from os import PathLike

__all__ = [
    "EmgcontrolError",
    "ValidationError",
    "UnknownMuscleError",
    "FileFormatError",
    "RecordingFileNotFoundError",
    "NonFiniteDataError",
    "EmgcontrolWarning",
    "DroppedSamplesWarning",
    "UnitsDefaultWarning",
]


class EmgcontrolError(Exception):
    """Base class of every error raised by emgcontrol."""


class ValidationError(EmgcontrolError, ValueError):
    """An argument has a wrong value, type or shape.

    The message names the argument, what was allowed and what was given.
    """


class UnknownMuscleError(ValidationError, KeyError):
    """A muscle name is not in the vocabulary; the message lists close matches."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class NonFiniteDataError(ValidationError):
    """Data hold NaN or infinite values; the message names channel and sample."""


class FileFormatError(EmgcontrolError, ValueError):
    """A file cannot be read: unknown, truncated or malformed format.

    Parameters
    ----------
    message : str
        What is wrong.
    path : str or path-like, optional
        The file; it is prefixed to the message.
    line : int, optional
        1-based line number in a text file, added to the message.
    """

    def __init__(
        self,
        message: str,
        path: str | PathLike[str] | None = None,
        line: int | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.reason = message
        where = ""
        if self.path is not None:
            where = f"{self.path}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(where + message)


class RecordingFileNotFoundError(EmgcontrolError, FileNotFoundError):
    """The file to read does not exist."""


class EmgcontrolWarning(UserWarning):
    """Base class of emgcontrol warnings (adapted defaults, biased results...)."""


class DroppedSamplesWarning(EmgcontrolWarning):
    """A file or stream lost samples (gaps in the sample counter or timestamps)."""


class UnitsDefaultWarning(EmgcontrolWarning, FutureWarning):
    """A voltage unit was left to a default that changed or will go away.

    :meth:`Recording.get_data` and :meth:`Recording.to_dataframe` now return
    volts when ``units=`` is not given (they returned microvolts before), and
    :meth:`Recording.from_array` will require ``units=``.  Passing ``units=``
    explicitly silences the warning.  It is a :class:`FutureWarning` too, so
    it shows in scripts by default.
    """
