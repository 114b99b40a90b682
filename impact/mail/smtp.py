"""SMTP settings (the environment, else secrets.toml) and delivery through a real mail server.

A server's answer decides what happens to a message: 2xx sent, 4xx (or a dropped connection) tried again later,
5xx refused for good (recorded on the contact, shown to staff).
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Optional

from impact.i18n import _
from impact.settings import setting

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


class MailNotConfigured(ValueError):
    """A setting is missing or wrong; the message names it and says what to set."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # starttls, tls (implicit TLS, "SMTPS") or none
    user: str
    password: str
    sender: str  # the From address
    public_url: str  # the dashboard's address as teams reach it: the links in emails start with it
    timeout_s: float = 30.0


def smtp_settings() -> SmtpSettings:
    """The SMTP settings, or MailNotConfigured naming what to set."""
    host = (setting("SMTP_HOST") or "").strip()
    sender = (setting("MAIL_FROM") or "").strip()
    public_url = (setting("PUBLIC_URL") or "").strip().rstrip("/")
    for name, value in (("SMTP_HOST", host), ("MAIL_FROM", sender), ("PUBLIC_URL", public_url)):
        if not value:
            raise MailNotConfigured(_("{name} is not set: mail needs SMTP_HOST, MAIL_FROM and PUBLIC_URL (see the "
                                      "README's Configuration).", name=name))
    security = (setting("SMTP_SECURITY") or "starttls").strip().lower()
    if security not in SECURITY:
        raise MailNotConfigured(_("SMTP_SECURITY is “{value}”; set it to starttls, tls or none.", value=security))
    port_text = (setting("SMTP_PORT") or "").strip()
    if port_text and not (port_text.isdigit() and 0 < int(port_text) < 65536):
        raise MailNotConfigured(_("SMTP_PORT is “{value}”; set it to a port number such as 587.", value=port_text))
    timeout_text = (setting("SMTP_TIMEOUT") or "").strip()
    timeout = float(timeout_text) if timeout_text.replace(".", "", 1).isdigit() and float(timeout_text) > 0 else 30.0
    if not public_url.startswith(("https://", "http://")):
        raise MailNotConfigured(_("PUBLIC_URL is “{value}”; set it to the dashboard's address, such as "
                                  "https://impact.example.org.", value=public_url))
    return SmtpSettings(host=host, port=int(port_text) if port_text else DEFAULT_PORTS[security], security=security,
                        user=setting("SMTP_USER") or "", password=setting("SMTP_PASSWORD") or "", sender=sender,
                        public_url=public_url, timeout_s=timeout)


@dataclass(frozen=True)
class Outcome:
    """What the server said: `code` 250 sent, 4xx temporary (0: no answer, the connection failed), 5xx permanent."""

    code: int
    text: str

    @property
    def sent(self) -> bool:
        return 200 <= self.code < 300

    @property
    def permanent(self) -> bool:
        return 500 <= self.code < 600


class Mailer:
    """One connection to the server for a run, opened when first needed and opened again after it dropped."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: Optional[smtplib.SMTP] = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_s,
                                                  context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
            if s.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if s.user:
            smtp.login(s.user, s.password)
        return smtp

    def send(self, message: EmailMessage, to: str) -> Outcome:
        """Hand one message to the server; never raises for what the server or the network does."""
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(message, from_addr=self.settings.sender, to_addrs=[to])
            return Outcome(250, "OK")
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return self._answer(code, text)
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, authentication, other answers
            return self._answer(exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPException, OSError) as exc:  # dropped connection, timeout, refused connection, TLS
            self.close()
            return Outcome(0, f"{type(exc).__name__}: {exc}")

    def _answer(self, code: int, text: bytes | str) -> Outcome:
        words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        if self._smtp is not None and not 200 <= code < 300:
            try:
                self._smtp.rset()  # the next message starts a new transaction on the same connection
            except (smtplib.SMTPException, OSError):
                self.close()
        return Outcome(code, f"{code} {words}".strip())

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None
