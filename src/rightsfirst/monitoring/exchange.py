"""What every file import reports: each problem with its line and field, all of them at once.

An import checks the whole file before it hands anything on, so that the caller stores either
every row or none, and the person fixing the file sees every bad row in one report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (line, field) and what, in words a person can act on."""

    line: int  # the line the row starts on (1 is the header); 0 for the file as a whole
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class FileProblems(ValueError):
    """The file cannot be imported: every problem found, in file order."""

    def __init__(self, problems: Sequence[Problem], source: str = "file") -> None:
        self.problems = tuple(problems)
        self.source = source
        super().__init__(self.report())

    def bad_lines(self) -> tuple[int, ...]:
        """The lines with at least one problem."""
        return tuple(sorted({problem.line for problem in self.problems}))

    def report(self) -> str:
        """The problems, one a line, under a heading that counts them."""
        count, lines = len(self.problems), len(self.bad_lines())
        heading = (
            f"{self.source}: {count} problem{'s' if count != 1 else ''} on {lines} line{'s' if lines != 1 else ''}"
        )
        return "\n".join([heading, *(f"  {problem}" for problem in self.problems)])
