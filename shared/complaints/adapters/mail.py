"""E-mail to complainants: a message rendered from the tenant's templates (Jinja2) and sent over SMTP.

Templates live beside the tenant files, `messages/{language}/{kind}.txt`, and a tenant may have its own in
`messages/{tenant}/{language}/{kind}.txt`; the first line is the subject. Each message carries a stable
`Message-ID` made from its id, so a message sent again after a crash (between the server's 250 and the
commit that records it) is recognisable as the same message.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from complaints.model.tenants import BUNDLED, Tenant
from complaints.settings import Settings


class RecipientRefused(Exception):
    """The server refused the recipient (5xx): sending again would not help."""


class NotTaken(Exception):
    """The server is away or said to try later (4xx): send again after a while."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


class Templates:
    def __init__(self, tenants_dir: Path) -> None:
        self.roots = [tenants_dir / "messages", BUNDLED / "messages"]
        self._environments: dict[str, Environment] = {}

    def render(self, tenant: Tenant, kind: str, language: str, context: dict[str, Any]) -> Rendered:
        environment = self._environments.get(tenant.id)
        if environment is None:
            paths = [str(root / tenant.id) for root in self.roots] + [str(root) for root in self.roots]
            # Plain text, not HTML: nothing to escape; an unknown name is an error, not an empty string.
            environment = Environment(loader=FileSystemLoader(paths), undefined=StrictUndefined, autoescape=False,
                                      keep_trailing_newline=True)
            self._environments[tenant.id] = environment
        subject, _, body = environment.get_template(f"{language}/{kind}.txt").render(context).partition("\n")
        return Rendered(subject.strip(), body.lstrip("\n"))


def context(case: Any, tenant: Tenant, contact: dict[str, Any], language: str, *, tracking_url: str | None,
            question: str | None = None, answer: str | None = None) -> dict[str, Any]:
    """What a template may say: the case as the complainant knows it, in their language. `answer`: the text to
    show instead of the case's (a preview of a draft)."""
    kind = next((c for c in tenant.signal_types if c.code == case.signal_type), None)
    label = (kind.nl if language == "nl" and kind.nl else kind.label) if kind else case.signal_type
    return {"case_number": case.case_number, "tenant": tenant.name, "name": contact.get("name"),
            "signal_type": label.lower(), "received_on": case.received_at.date().isoformat(),
            "due_date": case.due_date.isoformat() if case.due_date else None,
            "answer": answer if answer is not None else case.answer or "", "question": question or "",
            "tracking_url": tracking_url, "feedback_days": tenant.feedback.period_days}


def message_id_header(message_id: str, tenant: str) -> str:
    return f"<{message_id}@{tenant}.complaints>"


class Mailer:
    """Sends one message per connection: a complainant's mail is a few a minute, not a stream."""

    def __init__(self, settings: Settings) -> None:
        url = urlsplit(settings.smtp_url.get_secret_value())
        self.implicit_tls = url.scheme == "smtps"
        self.starttls = parse_qs(url.query).get("starttls", ["auto"])[0]
        self.host, self.port = url.hostname or "127.0.0.1", url.port or (465 if self.implicit_tls else 25)
        self.user = unquote(url.username) if url.username else None
        self.password = unquote(url.password) if url.password else None
        self.sender = settings.smtp_from

    def compose(self, *, to: str, rendered: Rendered, message_id: str, tenant: str) -> EmailMessage:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, rendered.subject
        message["Message-ID"] = message_id_header(message_id, tenant)
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message.set_content(rendered.body)
        return message

    def reachable(self, timeout: float = 2.0) -> bool:
        """Whether the server answers a greeting now (readiness: a server that is down delays the mail)."""
        try:
            smtp = (smtplib.SMTP_SSL(self.host, self.port, timeout=timeout, context=ssl.create_default_context())
                    if self.implicit_tls else smtplib.SMTP(self.host, self.port, timeout=timeout))
        except (smtplib.SMTPException, OSError):
            return False
        try:
            return smtp.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def send(self, message: EmailMessage) -> str:
        """Hands the message to the server; its reply to the data (`250 …`). What the server says is kept in
        the case's events, which an erasure cannot change: the recipient's address is taken out of it (a
        refusal names it, `550 <a@b.be>: Recipient address rejected`; some servers echo it on success)."""
        address = parseaddr(message["To"])[1]
        try:
            return without_address(self._send(message), address)
        except RecipientRefused as refused:
            raise RecipientRefused(without_address(str(refused), address)) from None
        except NotTaken as away:
            raise NotTaken(without_address(str(away), address)) from None

    def _send(self, message: EmailMessage) -> str:
        context = ssl.create_default_context()
        try:
            smtp = (smtplib.SMTP_SSL(self.host, self.port, timeout=30, context=context) if self.implicit_tls
                    else smtplib.SMTP(self.host, self.port, timeout=30))
        except OSError as exc:
            raise NotTaken(f"cannot reach {self.host}:{self.port}: {exc}") from exc
        try:
            smtp.ehlo()
            if not self.implicit_tls and (self.starttls == "required" or
                                          (self.starttls == "auto" and smtp.has_extn("starttls"))):
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password or "")
            return _deliver(smtp, message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise RecipientRefused(str(exc.recipients)) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise NotTaken(repr(exc)) from exc
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def _deliver(smtp: smtplib.SMTP, message: EmailMessage) -> str:
    code, reply = smtp.mail(parseaddr(message["From"])[1])
    if code != 250:
        raise NotTaken(f"MAIL FROM: {code} {reply.decode(errors='replace')}")
    recipient = message["To"]
    code, reply = smtp.rcpt(recipient)
    if code >= 500:
        raise RecipientRefused(f"{code} {reply.decode(errors='replace')}")
    if code not in (250, 251):
        raise NotTaken(f"RCPT TO: {code} {reply.decode(errors='replace')}")
    code, reply = smtp.data(message.as_bytes())
    if code >= 500:
        raise RecipientRefused(f"{code} {reply.decode(errors='replace')}")
    if code != 250:
        raise NotTaken(f"DATA: {code} {reply.decode(errors='replace')}")
    return f"{code} {reply.decode(errors='replace')}"


def without_address(said: str, address: str) -> str:
    """The server's words with the recipient's address (any case) replaced by `<recipient>`."""
    return re.sub(re.escape(address), "recipient", said, flags=re.IGNORECASE) if address else said
