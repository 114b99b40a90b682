"""The emails: subject, plain text and HTML (the templates in impact/formats/templates/mail/, HTML autoescaped),
written in the recipient's language, with proper headers (Message-ID, Date, List-Unsubscribe).

Every sentence is a translated string here; the templates only lay them out."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Optional

from jinja2 import Environment, PackageLoader, select_autoescape

from impact.domain.lifecycle import status_label
from impact.i18n import _, format_date, format_number, language, ngettext, set_language

TEMPLATES = Environment(loader=PackageLoader("impact.formats", "templates/mail"),
                        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
                        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


@dataclass(frozen=True)
class Action:
    label: str
    url: str
    note: str = ""


@dataclass(frozen=True)
class Content:
    """What one email says, in its language."""

    lang: str
    subject: str
    paragraphs: list[str]
    footer: str
    note: str = ""
    note_label: str = ""
    items: list[str] = field(default_factory=list)
    action: Optional[Action] = None
    unsubscribe: Optional[Action] = None


def new_message_id(sender: str) -> str:
    """A Message-ID in the sender's domain, made when the message is decided and kept for every attempt."""
    return make_msgid(idstring="impact", domain=sender.rpartition("@")[2] or "localhost")


class in_language:
    """`with in_language("fr"): ...` writes the texts inside in that language, then restores the current one."""

    def __init__(self, code: str):
        self.code, self.previous = code, language()

    def __enter__(self) -> None:
        set_language(self.code)

    def __exit__(self, *exc) -> None:
        set_language(self.previous)


def entry_words(kind: str, what: str) -> str:
    """An entry as the team knows it: a status change, a figure, a target, a milestone, or an update's first
    words."""
    if kind == "status":
        return _("the status change to “{status}”", status=status_label(what))
    if kind == "reading":
        return _("the figure “{metric}”", metric=what)
    if kind == "target":
        return _("the target for “{metric}”", metric=what)
    if kind == "milestone":
        return _("the milestone “{title}”", title=what)
    short = what if len(what) <= 80 else what[:79] + "…"
    return _("the update “{text}”", text=short)


def _unsubscribe(url: Optional[str]) -> Optional[Action]:
    return Action(_("Stop these emails"), url) if url else None


def reminder(lang: str, project: str, programme: str, days_silent: Optional[int], link: str, expires: dt.date,
             unsubscribe: Optional[str], late: Optional[tuple[int, dt.date]] = None) -> Content:
    """The reminder to a silent project's contact; `late`: how many reports the programme's calendar saw not come in,
    and the due date of the first."""
    with in_language(lang):
        silence = (ngettext("We have not heard from {project} for {n} day.",
                            "We have not heard from {project} for {n} days.", days_silent, project=project)
                   if days_silent is not None else _("We have not heard from {project} yet.", project=project))
        overdue = [] if late is None else [ngettext(
            "{n} report has not come in: the one due on {date}.",
            "{n} reports have not come in, the first due on {date}.", late[0], date=format_date(late[1]))]
        return Content(
            lang=lang, subject=_("How is {project} doing?", project=project),
            paragraphs=[_("Hello,"), silence, *overdue,
                        _("Could you tell us how it is going: its status, its figures, or a few words? It takes a "
                          "minute on the project's update page."),
                        _("Thank you!")],
            action=Action(_("Update {project}", project=project), link,
                          _("This link signs you in once and works until {date}. It is not your team's update key; "
                            "keep that one as it is.", date=format_date(expires))),
            footer=_("You receive this email as the contact of {project} in {programme}.", project=project,
                     programme=programme),
            unsubscribe=_unsubscribe(unsubscribe))


def decision(lang: str, approved: bool, project: str, programme: str, entry_kind: str, what: str, note: str,
             link: Optional[str], expires: Optional[dt.date], unsubscribe: Optional[str]) -> Content:
    with in_language(lang):
        entry = entry_words(entry_kind, what)
        if approved:
            subject = _("Your entry for {project} was approved", project=project)
            said = _("Programme staff approved {entry} of {project}. It now counts on the dashboard.", entry=entry,
                     project=project)
        else:
            subject = _("Your entry for {project} was returned", project=project)
            said = _("Programme staff returned {entry} of {project}: it does not count until you send it again, "
                     "changed as their note says.", entry=entry, project=project)
        action = None
        if link and expires:
            action = Action(_("Update {project}", project=project), link,
                            _("This link signs you in once and works until {date}. It is not your team's update "
                              "key; keep that one as it is.", date=format_date(expires)))
        return Content(lang=lang, subject=subject, paragraphs=[_("Hello,"), said], note=note,
                       note_label=_("Their note:") if note else "", action=action,
                       footer=_("You receive this email as the contact of {project} in {programme}.",
                                project=project, programme=programme),
                       unsubscribe=_unsubscribe(unsubscribe))


def digest(lang: str, waiting: list[tuple[str, int, dt.date]], review_url: str,
           unsubscribe: Optional[str]) -> Content:
    """`waiting`: each programme's name, how many entries wait and the oldest one's date."""
    with in_language(lang):
        total = sum(n for _name, n, _oldest in waiting)
        return Content(
            lang=lang, subject=ngettext("{n} entry waits for review", "{n} entries wait for review", total),
            paragraphs=[_("Hello,"), ngettext("{n} entry sent by teams waits for your review:",
                                              "{n} entries sent by teams wait for your review:", total)],
            items=[ngettext("{programme}: {n} entry, waiting since {date}",
                            "{programme}: {n} entries, the oldest waiting since {date}", n, programme=name,
                            date=format_date(oldest)) for name, n, oldest in waiting],
            action=Action(_("Open the review queue"), review_url),
            footer=_("You receive this daily digest as staff of the hackathon impact dashboard."),
            unsubscribe=_unsubscribe(unsubscribe))


def build(content: Content, sender: str, to: str, message_id: str, when: Optional[dt.datetime] = None,
          unsubscribe_post: bool = True) -> EmailMessage:
    """The email: plain text and HTML alternatives, with its headers."""
    values = {"lang": content.lang, "subject": content.subject, "paragraphs": content.paragraphs,
              "note": content.note, "note_label": content.note_label, "items": content.items,
              "action": content.action, "footer": content.footer, "unsubscribe": content.unsubscribe}
    message = EmailMessage()
    message["Subject"] = content.subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(when or dt.datetime.now(dt.timezone.utc))
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    if content.unsubscribe:
        message["List-Unsubscribe"] = f"<{content.unsubscribe.url}>"
        if unsubscribe_post:
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(TEMPLATES.get_template("message.txt").render(values))
    message.add_alternative(TEMPLATES.get_template("message.html").render(values), subtype="html")
    message["Content-Language"] = content.lang  # after the parts: setting content drops Content-* headers
    return message


__all__ = ["Action", "Content", "build", "decision", "digest", "format_number", "new_message_id", "reminder"]
