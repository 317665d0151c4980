"""The roles a caller can hold: the vocabulary the permission policy and the tenant files share."""

# Calling systems (API keys): `intake` posts complaints, `import` loads an old register, `subscriber` has the
# events of the cases it sent POSTed to it (webhooks).
SYSTEM_ROLES = frozenset({"intake", "import", "subscriber"})
# People (tokens): handlers work their team's cases, managers the tenant's, auditors read;
# a director gives the approval step a tenant file assigns to directors (the care company's second step).
PERSON_ROLES = frozenset({"handler", "manager", "auditor", "director"})
