"""Events stored before the package was split into layers still load: the store keeps their topics.

The case events have explicit topics (`complaints.domain:Complaint.*`) that never
change when code moves; the other aggregates' old module topics resolve to
where their classes live now.
"""

from datetime import datetime, timezone

import psycopg
from eventsourcing.utils import get_topic

from complaints.adapters.store import COMPLAINT_EVENT_TOPICS, Complaints
from complaints.model.complaint import Complaint
from complaints.model.deduplication import Submission
from complaints.model.tenants import load_tenants
from complaints.settings import Settings
from complaints.web.auth import Credentials


def test_case_events_keep_the_topics_they_were_stored_under():
    assert get_topic(Complaint.Received) == "complaints.domain:Complaint.Received"
    assert "complaints.domain:Complaint.DeadlineBreached" in COMPLAINT_EVENT_TOPICS


def test_a_key_and_a_case_number_stored_under_the_old_module_topics_still_load(settings: Settings):
    store = Complaints(settings)
    key = Credentials(store, settings).issue_key(name="e-loket", tenant="brandweer", role="intake")
    case = store.receive(load_tenants()["brandweer"], Submission("e-loket"), actor="system:e-loket",
                         received_at=datetime(2023, 5, 1, tzinfo=timezone.utc), channel="e-mail",
                         signal_type="klacht", subject="a", text="b")[0]
    store.close()
    with psycopg.connect(settings.database_url, autocommit=True) as conn:  # as a store of the old layout wrote them
        conn.execute("SET session_replication_role = replica")  # the record refuses changes: a superuser's way
        conn.execute("UPDATE complaints_events SET topic = replace(topic, 'complaints.model.systems:', "
                     "'complaints.auth:') WHERE topic LIKE 'complaints.model.systems:%'")
        conn.execute("UPDATE complaints_events SET topic = replace(topic, 'complaints.model.case_numbers:', "
                     "'complaints.case_numbers:') WHERE topic LIKE 'complaints.model.case_numbers:%'")
        moved = conn.execute("SELECT count(*) FROM complaints_events WHERE topic LIKE 'complaints.auth:%' "
                             "OR topic LIKE 'complaints.case_numbers:%'").fetchone()[0]
    assert moved >= 2
    reopened = Complaints(settings)
    assert Credentials(reopened, settings).system(key).name == "e-loket"
    again = reopened.receive(load_tenants()["brandweer"], Submission("e-loket"), actor="system:e-loket",
                             received_at=datetime(2023, 5, 2, tzinfo=timezone.utc), channel="e-mail",
                             signal_type="klacht", subject="c", text="d")[0]
    assert (case.case_number, again.case_number) == ("BZA-2023-0001", "BZA-2023-0002")
    reopened.close()
