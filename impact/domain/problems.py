"""What is wrong with a file a user gave, said so that they can fix it: file, row, column and a sentence."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from impact.i18n import _

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

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"- {p}" for p in problems[:SHOWN])
        more = "\n- " + _("... and {n} more", n=len(problems) - SHOWN) if len(problems) > SHOWN else ""
        super().__init__(_("Nothing was loaded; fix these {n} problem(s) and load again:", n=len(problems))
                         + f"\n{shown}{more}")
