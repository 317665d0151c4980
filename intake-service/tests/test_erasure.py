"""Personal data is sealed per complainant; erasing a complainant leaves history, counts and chains intact, and
afterwards their pseudonym links nothing: the read models drop it, their next case gets a new one."""

import shutil
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from complaints.adapters.follower import Follower
from complaints.adapters.personal import contacts as personal_contacts
from complaints.adapters.readmodel import create_engine
from complaints.adapters.store import PUBLISHED_TOPICS
from complaints.application.clock import FixedClock
from complaints.model.erasures import Erasures
from complaints.model.tenants import load_tenants
from complaints.settings import Settings
from intake.app import build
from intake.cli import verify_store

URL = "/v1/tenants/brandweer/complaints"
ERASURES = "/v1/tenants/brandweer/erasures"


@pytest.fixture
def client(settings: Settings):
    with TestClient(build(settings)) as client:
        yield client


def post(client, auth, **complainant) -> str:
    response = client.post(URL, headers=auth["intake"], json={
        "channel": "e-mail", "signal_type": "klacht", "subject": "Sirenes", "text": "Te luid",
        "complainant": complainant})
    assert response.status_code == 201, response.text
    return response.json()["case_id"]


def complainant(client, auth, case_id: str) -> dict:
    return client.get(f"{URL}/{case_id}", headers=auth["manager"]).json()["complainant"]


def subject(store, case_id: str) -> str:
    return store.get(case_id).complainant["subject"]


def test_erasing_a_complainant_makes_their_data_unreadable_everywhere_and_keeps_the_record(client, store, auth):
    first = post(client, auth, name="Anna Peeters", email="anna.peeters@example.be", phone="03 123 45 67")
    second = post(client, auth, name="Anna Peeters", email="Anna.Peeters@Example.be")  # the same person
    other = post(client, auth, name="Bart Janssens", email="bart@example.be", phone="03 765 43 21")
    stored = b"".join(bytes(n.state) for n in store.recorder.select_notifications(start=1, limit=1000))
    assert b"anna.peeters" not in stored.lower() and b"Anna Peeters" not in stored  # sealed in the events

    handler = auth["manager"]
    assert complainant(client, auth, first)["name"] == "Anna Peeters"
    assert subject(store, first) == subject(store, second)

    assert client.post(ERASURES, headers=auth["handler"],
                       json={"email": "anna.peeters@example.be", "reason": "AVG-2024-12"}).status_code == 403
    erased = client.post(ERASURES, headers=handler,
                         json={"email": " ANNA.PEETERS@example.be", "reason": "AVG-2024-12"}).json()
    assert erased["erased"] is True and erased["subjects"] == [subject(store, first)]

    for case_id in (first, second):
        assert complainant(client, auth, case_id) == {"erased": True}
        history = client.get(f"{URL}/{case_id}/history", headers=auth["auditor"]).json()["events"]
        assert history[0]["data"]["complainant"] == {"erased": True}
    assert complainant(client, auth, other)["name"] == "Bart Janssens"
    assert verify_store(store)["valid"] is True  # nothing in the record was edited
    record = store.find(Erasures.id_for("brandweer"))
    assert record is not None and record.version == 2  # started, and the one erasure


def test_erasing_by_phone_erases_the_complainant_who_also_gave_an_e_mail(client, store, auth):
    both = post(client, auth, name="Chris Maes", email="chris@example.be", phone="0470 12 34 56")
    by_phone = post(client, auth, name="Chris Maes", phone="+32 470 12 34 56")
    assert subject(store, both) == subject(store, by_phone)  # one person, whichever contact they give

    erased = client.post(ERASURES, headers=auth["manager"], json={"phone": "0470/12.34.56", "reason": "AVG-7"})
    assert erased.status_code == 200 and erased.json()["erased"] is True
    assert complainant(client, auth, both) == complainant(client, auth, by_phone) == {"erased": True}


def test_a_case_id_erases_its_complainant_with_every_contact_they_gave(client, store, auth):
    case_id = post(client, auth, name="Dirk Wouters", email="dirk@example.be", phone="03 555 12 12")
    earlier = post(client, auth, name="Dirk Wouters", phone="03 555 12 12")
    erased = client.post(ERASURES, headers=auth["manager"], json={"case_id": case_id, "reason": "AVG-8"}).json()
    assert erased["erased"] is True and erased["case_ids"] == [case_id]
    assert complainant(client, auth, case_id) == complainant(client, auth, earlier) == {"erased": True}

    # Neither contact leads to the old pseudonym any more: each comes back as someone new.
    again_by_mail = post(client, auth, name="Dirk Wouters", email="dirk@example.be")
    again_by_phone = post(client, auth, name="Dirk Wouters", phone="03 555 12 12")
    old = subject(store, case_id)
    assert old not in (subject(store, again_by_mail), subject(store, again_by_phone))
    assert complainant(client, auth, again_by_mail)["email"] == "dirk@example.be"


def test_a_complainant_known_only_by_name_and_address_is_erased_by_case_id(client, store, auth):
    mine = post(client, auth, name="Els Claes", address="Kerkstraat 1, 2000 Antwerpen")
    namesake = post(client, auth, name="Els Claes", address="Kerkstraat 1, 2000 Antwerpen")
    assert subject(store, mine) != subject(store, namesake)  # nothing says they are one person

    erased = client.post(ERASURES, headers=auth["manager"], json={"case_id": mine, "reason": "AVG-9"}).json()
    assert erased["erased"] is True
    assert complainant(client, auth, mine) == {"erased": True}
    assert complainant(client, auth, namesake)["address"] == "Kerkstraat 1, 2000 Antwerpen"


def test_a_bad_erasure_request_names_each_bad_field(client, auth):
    def problem(body: dict) -> set[str]:
        response = client.post(ERASURES, headers=auth["manager"], json=body)
        assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
        return {error["field"] for error in response.json()["errors"]}

    assert problem({"reason": "AVG-1"}) == {"case_id", "email", "phone"}
    assert problem({"case_id": "6f1c1d9e-7d39-4c55-9a8e-3b7d2c1e0f00", "reason": "AVG-1"}) == {"case_id"}
    assert problem({"phone": "geen", "email": "  ", "reason": " "}) == {"phone", "email", "reason"}
    assert "case_id" in str(problem({"case_id": "not-a-uuid", "reason": "AVG-1"}))


async def test_after_an_erasure_the_repeated_complaints_no_longer_link_the_old_case_to_the_next(
        client, store, auth, settings):
    from reporting.projection import CaseProjection, case_summaries
    from reporting.reports import repeated

    first = post(client, auth, name="Fien Jacobs", email="fien@example.be")
    second = post(client, auth, name="Fien Jacobs", email="fien@example.be")
    tenant = load_tenants(settings.tenants_dir)["brandweer"]
    engine = create_engine(settings)
    projection = CaseProjection(engine, {"brandweer": tenant})
    await projection.create_tables(settings)
    follower = Follower(name=projection.name, settings=settings, store=store, topics=PUBLISHED_TOPICS,
                        apply=projection.apply, skip=projection.skip, load_position=projection.position,
                        apply_batch=projection.apply_batch, listen=False)

    async def report() -> list[dict]:
        await follower.catch_up()
        async with engine.connect() as conn:
            rows = [dict(r) for r in (await conn.execute(select(case_summaries))).mappings()]
        return repeated(rows, tenant, date.today(), None, None).rows

    try:
        assert [r["cases"] for r in await report()] == [2]
        client.post(ERASURES, headers=auth["manager"], json={"email": "fien@example.be", "reason": "AVG-10"})
        client.post(ERASURES, headers=auth["manager"], json={"email": "niemand@example.be", "reason": "AVG-11"})
        assert await report() == []  # two erasure records in one batch, no case event beside them
        after = post(client, auth, name="Fien Jacobs", email="fien@example.be")
        assert subject(store, after) != subject(store, first)
        assert await report() == []  # the erased cases carry no pseudonym, the new case one of its own
        async with engine.connect() as conn:
            keys = dict((await conn.execute(select(case_summaries.c.case_id, case_summaries.c.complainant_key)))
                        .all())
        assert keys[first] is None and keys[second] is None and keys[after] == subject(store, after)
    finally:
        await follower.close()
        await engine.dispose()


def test_retention_erases_personal_data_of_cases_closed_longer_than_the_tenant_keeps_it(settings, store, auth,
                                                                                       tmp_path: Path):
    tenants = tmp_path / "tenants"
    shutil.copytree(settings.tenants_dir, tenants)
    brandweer = tenants / "brandweer.yaml"
    brandweer.write_text(brandweer.read_text().replace("personal_data_days_after_close: 1825",
                                                       "personal_data_days_after_close: 30"))
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    changed = settings.model_copy(update={"tenants_dir": tenants, "retention_check_seconds": 1_000_000})

    def item(reference: str, email: str, closed: str | None) -> dict:
        steps = {"qualification": "gegrond", "qualified_at": closed, "answered_at": closed, "closed_at": closed} \
            if closed else {}
        return {"reference": reference, "received_at": "2026-01-05T10:00:00+01:00", "channel": "e-mail",
                "signal_type": "klacht", "category": "overlast", "subject": "Sirenes", "text": "Te luid",
                "complainant": {"name": reference, "email": email}, **steps}

    with TestClient(build(changed, clock=clock)) as client:
        report = client.post("/v1/tenants/brandweer/imports", headers=auth["import"], json={"items": [
            item("R-1", "oud@example.be", "2026-01-15T10:00:00+01:00"),    # closed 46 days ago: past
            item("R-2", "recent@example.be", "2026-02-20T10:00:00+01:00"),  # closed 10 days ago
            item("R-3", "open@example.be", None),                           # still open
            item("R-4", "beide@example.be", "2026-01-15T10:00:00+01:00"),  # past, but the same person...
            item("R-5", "beide@example.be", None),                          # ...has a case still open
        ]}).json()
        assert report["created"] == 5, [r["errors"] for r in report["items"]]
        cases = {r["reference"]: r["case_id"] for r in report["items"]}
        retention = client.app.state.wiring.resources["retention"]
        client.portal.call(retention.follower.catch_up)
        client.portal.call(retention.check)

        def erased() -> set[str]:
            return {ref for ref, case_id in cases.items() if complainant(client, auth, case_id) == {"erased": True}}

        assert erased() == {"R-1"}
        client.portal.call(retention.follower.catch_up)
        assert client.portal.call(retention.check) == 0  # once only
        clock.advance(days=30)
        client.portal.call(retention.follower.catch_up)
        assert client.portal.call(retention.check) == 1
        assert erased() == {"R-1", "R-2"}
        for case_id in cases.values():
            verified = client.get(f"{URL}/{case_id}/verify", headers=auth["auditor"]).json()
            assert verified["valid"] is True
    records = [e for e in store.events.get(Erasures.id_for("brandweer")) if type(e).__name__ == "ComplainantErased"]
    assert [(e.reason, e.actor, e.case_ids) for e in records] == [
        ("retention", "system:retention", [cases["R-1"]]), ("retention", "system:retention", [cases["R-2"]])]


def test_cases_sealed_before_pseudonyms_were_random_stay_readable_and_are_erased_by_any_contact_they_gave(
        client, store, auth):
    import json

    from cryptography.fernet import Fernet
    from sqlalchemy import insert

    from complaints.adapters.personal import keys

    app_store = client.app.state.wiring.store
    personal = app_store.personal

    def sealed_the_old_way(tenant: str, who: dict) -> dict:  # a keyed hash of the e-mail, else the phone
        old = personal.legacy_subject(tenant, "email:" + who["email"] if "email" in who else "phone:32470998877")
        with personal.engine.begin() as conn:
            if not personal._key_in(conn, old):
                conn.execute(insert(keys).values(subject=old, key=Fernet.generate_key().decode()))
            key = personal._key_in(conn, old)
        return {"subject": old, "sealed": Fernet(key).encrypt(json.dumps(who).encode()).decode()}

    new_way, personal.seal = personal.seal, sealed_the_old_way
    both = post(client, auth, name="Gert Smet", email="gert@example.be", phone="0470 99 88 77")
    by_phone = post(client, auth, name="Gert Smet", phone="0470 99 88 77")
    personal.seal = new_way
    assert complainant(client, auth, both)["email"] == "gert@example.be"  # still readable
    later = post(client, auth, name="Gert Smet", email="gert@example.be")
    assert subject(store, later) == subject(store, both)  # still the same person while the key exists

    retention = client.app.state.wiring.resources["retention"]
    client.portal.call(retention.follower.catch_up)  # links the old cases' contacts to their pseudonyms
    erased = client.post(ERASURES, headers=auth["manager"], json={"phone": "0470 99 88 77", "reason": "AVG-11"})
    assert erased.json()["erased"] is True
    assert {tuple(complainant(client, auth, c).items()) for c in (both, by_phone, later)} == {(("erased", True),)}


def test_an_erasure_recorded_before_the_data_rights_change_still_loads(store):
    from complaints.model.erasures import RETENTION

    record = Erasures(tenant="brandweer")
    record.erased(tenant="brandweer", subjects=["s-1"], case_ids=[], reason=RETENTION, actor="x",
                  occurred_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    stored = store.mapper.to_stored_event(record.collect_events()[-1])
    state = store.mapper.transcoder.decode(stored.state)
    for name in ("class_version", "tenant", "case_ids"):
        state.pop(name)
    state["subject"] = state.pop("subjects")[0]  # version 1: one pseudonym
    old = store.mapper.to_domain_event(replace(stored, state=store.mapper.transcoder.encode(state)))
    assert (old.subjects, old.case_ids, old.tenant, old.reason) == (["s-1"], [], "", RETENTION)


def test_what_the_mail_server_says_is_recorded_without_the_recipients_address():
    from complaints.adapters.mail import without_address

    said = "550 5.1.1 <Anna.Peeters@example.be>: Recipient address rejected: User unknown"
    assert without_address(said, "anna.peeters@example.be") == \
        "550 5.1.1 <recipient>: Recipient address rejected: User unknown"


def test_a_contact_link_left_to_an_erased_pseudonym_never_brings_it_back(store):
    personal = store.personal
    first = personal.seal("brandweer", {"name": "Hilde", "email": "hilde@example.be"})
    personal.erase([first["subject"]])
    personal.index("brandweer", first)  # an index that opened the case just before the erasure: nothing linked
    with personal.engine.begin() as conn:  # and a link left behind all the same
        conn.execute(personal_contacts.insert().values(
            contact=personal._contact_hash("brandweer", "email:hilde@example.be"), subject=first["subject"]))
    again = personal.seal("brandweer", {"name": "Hilde", "email": "hilde@example.be"})
    assert again["subject"] != first["subject"] and personal.open(again)["name"] == "Hilde"
    assert personal.open(first) == {"erased": True}


def test_two_retention_rounds_that_meet_erase_each_pseudonym_once(settings, store):
    """Two intakes (or a round begun by hand beside the loop) find the same pseudonyms due: the second records
    only those the first left, and nothing when it left none."""
    from datetime import timedelta

    from complaints.application.audit import Audit

    tenant = load_tenants(settings.tenants_dir)["brandweer"]
    audit = Audit(store, FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)), timedelta(minutes=5))
    first = audit.erase_expired(tenant, {"p-1": ["c-1"], "p-2": ["c-2", "c-3"]})
    again = audit.erase_expired(tenant, {"p-1": ["c-1"], "p-2": ["c-2", "c-3"]})
    later = audit.erase_expired(tenant, {"p-2": ["c-2", "c-3"], "p-3": ["c-4"]})
    assert first["subjects"] == ["p-1", "p-2"] and again["subjects"] == [] and later["subjects"] == ["p-3"]
    records = [e for e in store.events.get(Erasures.id_for("brandweer")) if type(e).__name__ == "ComplainantErased"]
    assert [(e.subjects, e.case_ids) for e in records] == [(["p-1", "p-2"], ["c-1", "c-2", "c-3"]), (["p-3"], ["c-4"])]
