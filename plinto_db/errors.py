"""Errors a user can cause, and the exit codes the CLI maps them to."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # a check failed, a build failed
    USAGE = 2  # bad input, unusable database, unreachable server
    DRIFT = 3  # apply refused to touch a drifted index
    BLOCKED = 4  # blocked, timed out, or another apply holds the lock
    INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as shells report it


class PlintoError(Exception):
    """An error with a one-line message for the user; never shown as a traceback."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, exit_code: ExitCode | None = None):
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class UserError(PlintoError):
    """Bad input: a bad file, a bad option, an unreachable or unusable database (exit 2)."""

    exit_code = ExitCode.USAGE
