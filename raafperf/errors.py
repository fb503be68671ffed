"""The error tree of raafperf.

Domain code only raises these; the CLI (``raafperf.cli.errors``) turns them into one
clear line on stderr and an exit code. Library exceptions (httpx, pydantic, yaml) are
translated at the module that imports the library, never passed through.

    RaafperfError                 exit 2 unless a subclass says otherwise
    ├── UsageError                bad command-line usage                  exit 2
    ├── ScenarioError             a scenario file is invalid (file:line: field: why)  exit 2
    ├── RunStoreError             a saved run cannot be read or written   exit 2
    ├── RunFailed                 the run could not be carried out        exit 3
    │   └── AllProvidersDown      every provider is unavailable           exit 3
    ├── ThresholdFailed           thresholds or a regression gate failed  exit 1
    └── BudgetExceeded            the per-run budget was spent            exit 1

Provider faults (429, 5xx, timeouts, resets, cut streams, malformed events) are not
exceptions at this level: they become an ``error_kind`` on the request's sample.
"""

from __future__ import annotations


class RaafperfError(Exception):
    """Base of every error raafperf reports to the user."""

    exit_code: int = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(RaafperfError):
    exit_code = 2


class ScenarioError(RaafperfError):
    """An invalid scenario: the message names the file, the line and the field."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        where = ""
        if path:
            where = f"{path}:{line}: " if line else f"{path}: "
        what = f"{field}: " if field else ""
        super().__init__(f"{where}{what}{message}")
        self.path = path
        self.line = line
        self.field = field


class RunStoreError(RaafperfError):
    exit_code = 2


class RunFailed(RaafperfError):
    exit_code = 3


class AllProvidersDown(RunFailed):
    exit_code = 3


class ThresholdFailed(RaafperfError):
    exit_code = 1


class BudgetExceeded(RaafperfError):
    exit_code = 1
