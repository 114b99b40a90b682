"""What is wrong with a file a user gave, said so that they can fix it: file, row, column and a sentence."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from impact.i18n import _, format_number, ngettext

SHOWN = 20  # problems listed in a message; the rest are counted


@dataclass(frozen=True)
class Problem:
    file: str
    row: Optional[int]
    column: Optional[str]
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row:
            where += _(", row {row}", row=self.row)
        if self.column:
            where += _(", column '{column}'", column=self.column)
        return f"{where}: {self.message}"


class LoadError(ValueError):
    """The files were rejected; `problems` says every place to fix. Nothing was written."""

    def __init__(self, problems: list[Problem], ask_dates: bool = False):
        self.problems = problems
        self.ask_dates = ask_dates  # whether choosing the order of day and month would answer a problem
        shown = "\n".join(f"- {p}" for p in problems[:SHOWN])
        more = "\n- " + _("... and {n} more", n=format_number(len(problems) - SHOWN)) if len(problems) > SHOWN else ""
        super().__init__(ngettext("Nothing was loaded; {n} problem to fix, then load again:",
                                  "Nothing was loaded; {n} problems to fix, then load again:", len(problems))
                         + f"\n{shown}{more}")


def too_long(longest: int) -> str:
    """What is wrong with a text longer than its column holds, said after the place (file, row, column)."""
    return ngettext("is longer than {n} character.", "is longer than {n} characters.", longest)
