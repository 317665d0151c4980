"""The system's own words, in each language a tenant's labels come in: a case's states, the actions on it, and
the words the reports print. (The tenant's vocabulary is labelled in its own file.)"""

from __future__ import annotations

STATUSES: dict[str, dict[str, str]] = {
    "received": {"en": "Received", "nl": "Ontvangen"},
    "routed": {"en": "Routed to a team", "nl": "Toegewezen aan een team"},
    "investigating": {"en": "Under investigation", "nl": "In onderzoek"},
    "awaiting-information": {"en": "Awaiting information from the complainant", "nl": "Wacht op info van de klager"},
    "qualified": {"en": "Qualified", "nl": "Gekwalificeerd"},
    "drafted": {"en": "Answer drafted", "nl": "Antwoord opgesteld"},
    "answered": {"en": "Answered", "nl": "Beantwoord"},
    "closed": {"en": "Closed", "nl": "Afgesloten"},
}

ACTIONS: dict[str, dict[str, str]] = {
    "investigation": {"en": "Start the investigation", "nl": "Onderzoek starten"},
    "notes": {"en": "Add a note", "nl": "Notitie toevoegen"},
    "information-requests": {"en": "Ask the complainant for information", "nl": "Info vragen aan de klager"},
    "information-received": {"en": "Record the information received", "nl": "Ontvangen info registreren"},
    "staff-hearings": {"en": "Record a hearing of staff", "nl": "Verhoor van medewerkers registreren"},
    "mediation": {"en": "Propose mediation", "nl": "Bemiddeling voorstellen"},
    "category": {"en": "Set the category", "nl": "Categorie instellen"},
    "extension": {"en": "Extend the window", "nl": "Termijn verlengen"},
    "qualification": {"en": "Qualify", "nl": "Kwalificeren"},
    "answer-draft": {"en": "Draft the answer", "nl": "Antwoord opstellen"},
    "approvals": {"en": "Approve the answer", "nl": "Antwoord goedkeuren"},
    "answer": {"en": "Send the answer", "nl": "Antwoord versturen"},
    "close": {"en": "Close", "nl": "Afsluiten"},
    "reopen": {"en": "Reopen", "nl": "Heropenen"},
    "reroute": {"en": "Hand to another team", "nl": "Doorsturen naar een ander team"},
    "close-inadmissible": {"en": "Close as inadmissible", "nl": "Afsluiten als onontvankelijk"},
    "transfer": {"en": "Transfer to another organisation", "nl": "Overdragen aan een andere organisatie"},
    "actions": {"en": "Add a follow-up or improvement action", "nl": "Opvolg- of verbeteractie toevoegen"},
    "parts": {"en": "Split over several teams", "nl": "Opsplitsen over meerdere teams"},
    "assign": {"en": "Assign to a person", "nl": "Toewijzen aan een persoon"},
    "unassign": {"en": "Give back to the team", "nl": "Teruggeven aan het team"},
    "revoke-tracking": {"en": "Revoke the complainant's tracking link", "nl": "Opvolglink van de klager intrekken"},
}

TOTAL = {"en": "Total", "nl": "Totaal"}

MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
}


def word(words: dict[str, dict[str, str]], key: str, language: str) -> str:
    """`key`'s label in `language` (English where there is none; the key itself for a word not listed)."""
    labels = words.get(key, {})
    return labels.get(language) or labels.get("en") or key
