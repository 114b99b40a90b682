"""Where the automatic signals contradict the status a team reported (plain rules, no database).

- reported launched, and the website has not answered (or shows a parked domain) for DOWN_DAYS days or more;
- reported in development, and the repository's latest commit is QUIET_DAYS days old or older;
- reported discontinued, and both the website answers and the repository has a commit within ACTIVE_DAYS days
  made after the discontinuation.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from impact.domain.lifecycle import Status
from impact.i18n import _, format_date, ngettext

DOWN_DAYS = 30
QUIET_DAYS = 365
ACTIVE_DAYS = 90


@dataclass(frozen=True)
class Website:
    up: bool  # the latest check answered with a status below 400 and no parked page
    down_since: Optional[dt.datetime]  # the first failed check after the last one that was up


@dataclass(frozen=True)
class Repository:
    last_commit_at: Optional[dt.datetime]  # from the latest check that read it


@dataclass(frozen=True)
class Contradiction:
    code: str  # "launched-down", "development-quiet", "discontinued-active"
    since: dt.date

    def short(self) -> str:
        """A few words for a table's cell (the portfolio's "Signals")."""
        if self.code == "launched-down":
            return _("Live, website down since {date}", date=format_date(self.since))
        if self.code == "development-quiet":
            return _("In development, no commit since {date}", date=format_date(self.since))
        return _("Discontinued, active on {date}", date=format_date(self.since))

    def sentence(self, today: dt.date) -> str:
        days = (today - self.since).days
        if self.code == "launched-down":
            return ngettext("Reported live, but the website has been down since {date} ({n} day).",
                            "Reported live, but the website has been down since {date} ({n} days).", days,
                            date=format_date(self.since))
        if self.code == "development-quiet":
            return ngettext("Reported in development, but the repository's latest commit is from {date} ({n} day "
                            "ago).", "Reported in development, but the repository's latest commit is from {date} "
                            "({n} days ago).", days, date=format_date(self.since))
        return _("Reported discontinued, but the website answers and the repository has a commit of {date}.",
                 date=format_date(self.since))


def contradictions(status: Optional[str], status_since: Optional[dt.date], website: Optional[Website],
                   repository: Optional[Repository], today: dt.date) -> list[Contradiction]:
    found = []
    commit = repository.last_commit_at.date() if repository and repository.last_commit_at else None
    if (status == Status.LAUNCHED and website is not None and not website.up and website.down_since is not None
            and (today - website.down_since.date()).days >= DOWN_DAYS):
        found.append(Contradiction("launched-down", website.down_since.date()))
    if status == Status.IN_DEVELOPMENT and commit is not None and (today - commit).days >= QUIET_DAYS:
        found.append(Contradiction("development-quiet", commit))
    if (status == Status.DISCONTINUED and website is not None and website.up and commit is not None
            and (today - commit).days <= ACTIVE_DAYS and (status_since is None or commit > status_since)):
        found.append(Contradiction("discontinued-active", commit))
    return found
