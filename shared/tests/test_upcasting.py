"""Audit history is never edited: when an event's schema changes, old stored events are upcast on load."""

from contextlib import closing

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import _topic_cache, get_topic, register_topic

from complaints.settings import Settings
from complaints.adapters.store import Complaints


class Memo(Aggregate):
    """Version 1: a note with only a text."""

    @event("Written")
    def __init__(self, text: str) -> None:
        self.text = text


class MemoWithLanguage(Aggregate):
    """Version 2 of the same aggregate: the event now also says which language it is in."""

    class Written(Aggregate.Created):
        class_version = 2
        text: str
        language: str

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["language"] = "nl"  # every note before the change was Dutch

    @event(Written)
    def __init__(self, text: str, language: str) -> None:
        self.text = text
        self.language = language


def test_events_stored_under_the_old_schema_still_load_through_an_upcaster(settings: Settings, store: Complaints):
    old = Memo(text="Klacht over sirenes")
    store.save(old)
    stored = list(store.recorder.select_events(old.id))
    assert b"language" not in stored[0].state  # the stored bytes stay as they were

    # Deploy version 2: the stored topics now resolve to the new classes.
    for topic, new in ((get_topic(Memo), MemoWithLanguage), (get_topic(Memo.Written), MemoWithLanguage.Written)):
        _topic_cache.pop(topic, None)
        register_topic(topic, new)
    try:
        with closing(Complaints(settings)) as deployed:  # a process started after the change
            loaded = deployed.repository.get(old.id)
        assert isinstance(loaded, MemoWithLanguage)
        assert (loaded.text, loaded.language) == ("Klacht over sirenes", "nl")
        assert list(store.recorder.select_events(old.id))[0].state == stored[0].state
    finally:
        for topic, original in ((get_topic(Memo), Memo), (get_topic(Memo.Written), Memo.Written)):
            _topic_cache[topic] = original
