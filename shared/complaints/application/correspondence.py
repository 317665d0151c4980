"""The handler's side of the messages to a complainant: the answer previewed as it will be sent, the letters
to print and post, and a bounced message sent again by post.

The text of a message is rendered from the tenant's templates (`complaints.adapters.mail`) when it is
previewed, printed or sent, always from the same context: what the preview shows of an approved draft is
what goes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from complaints.adapters import letters
from complaints.adapters.mail import Rendered, Templates, context
from complaints.application import permissions
from complaints.application.callers import Caller
from complaints.application.cases import CaseRecord, CaseWork
from complaints.model import tracking
from complaints.model.complaint import CommandRefused, Complaint, final_text
from complaints.model.messages import channel_for, language_for
from complaints.model.tenants import Tenant


@dataclass(frozen=True)
class Printed:
    media_type: str
    content: bytes
    filename: str


@dataclass(frozen=True)
class Preview:
    rendered: Rendered
    channel: str | None  # None: no address to write to (the handler calls, or the ombudsman sends it)
    language: str


class Correspondence:
    def __init__(self, cases: CaseWork, templates: Templates, tracking_secret: bytes, public_url: str) -> None:
        self.cases, self.templates = cases, templates
        self.tracking_secret, self.public_url = tracking_secret, public_url

    def _readable(self, caller: Caller, tenant: Tenant, case_id: UUID) -> tuple[Complaint, dict]:
        permissions.ensure(caller, "work-cases")
        case = self.cases.store.case(tenant.id, case_id)
        permissions.ensure_may_read(caller, team=case.team, received_by=case.received_by)
        return case, self.cases.store.personal.open(case.complainant)

    def _render(self, case: Complaint, tenant: Tenant, contact: dict, kind: str, language: str, *,
                question: str | None = None, answer: str | None = None) -> Rendered:
        link = tracking.link(self.public_url, self.tracking_secret, case)
        return self.templates.render(tenant, kind, language, context(case, tenant, contact, language,
                                                                     tracking_url=link, question=question,
                                                                     answer=answer))

    def preview_answer(self, caller: Caller, tenant: Tenant, case_id: UUID) -> Preview:
        """The drafted answer as the complainant will get it: the tenant's template, their language, the text
        every answer carries (the city's ombudsman)."""
        case, contact = self._readable(caller, tenant, case_id)
        if case.draft is None:
            raise CommandRefused("preview the answer of", case.status, "the case has no drafted answer")
        language = language_for(tenant, contact)
        text = final_text(case.draft["text"], tenant.answer_footer)
        channel = None if case.via_oversight else channel_for(contact, case.draft["channel"])
        return Preview(self._render(case, tenant, contact, "answer", language, answer=text), channel, language)

    def print_letter(self, caller: Caller, tenant: Tenant, case_id: UUID, message_id: str,
                     form: str = "html") -> Printed:
        """A letter of the case, to print: its message rendered with the complainant's postal address, as an
        HTML page (`form` html) or a PDF (pdf)."""
        case, contact = self._readable(caller, tenant, case_id)
        message = case.messages.get(message_id)
        if message is None or message["channel"] != "post":
            raise CommandRefused("print", case.status, f"the case has no letter {message_id}")
        if contact.get("erased"):
            raise CommandRefused("print", case.status, "the complainant's personal data was erased")
        rendered = self._render(case, tenant, contact, message["kind"], message["language"],
                                question=message.get("question"))
        letter = letters.letter(rendered, sender=tenant.name, contact=contact, reference=case.case_number,
                                on=self.cases.clock.now().date())
        name = f"{case.case_number.replace('/', '-')}-{message['kind']}"
        if form == "pdf":
            return Printed("application/pdf", letters.pdf(letter), f"{name}.pdf")
        return Printed("text/html; charset=utf-8", letters.html(letter).encode(), f"{name}.html")

    def mark_posted(self, caller: Caller, tenant: Tenant, case_id: UUID, message_id: str,
                    expected_version: int | None = None) -> CaseRecord:
        return self._letters(caller, tenant, case_id, expected_version,
                             lambda c, at: c.record_posted(message_id=message_id, actor=caller.actor, at=at))

    def send_by_post(self, caller: Caller, tenant: Tenant, case_id: UUID, message_id: str,
                     expected_version: int | None = None) -> CaseRecord:
        """A message the mail server would not take goes again as a letter (to print and post)."""
        new_id = str(uuid5(NAMESPACE_URL, f"complaints:message:{message_id}:post"))

        def by_post(case: Complaint, at) -> None:  # noqa: ANN001 - the clock's datetime
            if not self.cases.store.personal.open(case.complainant).get("address"):
                raise CommandRefused("send by post", case.status, "the complainant gave no postal address")
            case.send_by_post(message_id=message_id, new_id=new_id, actor=caller.actor, at=at)
        return self._letters(caller, tenant, case_id, expected_version, by_post)

    def _letters(self, caller: Caller, tenant: Tenant, case_id: UUID, expected_version: int | None,
                 command) -> CaseRecord:  # noqa: ANN001
        at = self.cases.clock.now()

        def decided(case: Complaint) -> None:
            permissions.ensure_may_handle_letters(caller, case)
            command(case, at)
        return self.cases.record(caller, tenant, self.cases.store.change(tenant.id, case_id, decided,
                                                                         expected_version=expected_version))

