"""Tenant rules as data: one YAML file per tenant, validated at start-up.

A tenant is added by adding a file to `tenants/` (or to the folder named by
the `TENANTS_DIR` setting), never by code. A bad file stops the process with
an error that names the file, the tenant and the field.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (BaseModel, ConfigDict, Field, NonNegativeInt, StringConstraints, ValidationError,
                      field_validator, model_validator)

from complaints.model.roles import PERSON_ROLES

BUNDLED = Path(__file__).parents[1] / "tenants"  # the data beside the code


# The languages labels come in: English (`label`) and, beside it, Dutch (`nl`), the organisations' own.
LANGUAGES = ("en", "nl")


class Code(BaseModel):
    """A term of the tenant's vocabulary: a stable code (the users' own word) and its labels."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str
    label: str = Field(description="In English")
    nl: str | None = Field(default=None, description="In Dutch")

    def in_language(self, language: str) -> str:
        return getattr(self, language, None) or self.label


class Channel(Code):
    oversight: bool = Field(default=False, description="An ombudsman or oversight body: the answer goes back there")


class ApprovalStep(Code):
    """One approval an answer needs before it is sent, and the people role that gives it."""

    role: str = Field(description="The people role that gives this step, e.g. manager or director")

    @field_validator("role")
    @classmethod
    def _a_person_role(cls, value: str) -> str:
        if value not in PERSON_ROLES:
            raise ValueError(f"unknown role {value!r}; roles are {sorted(PERSON_ROLES)}")
        return value


class Category(Code):
    """A keyword cases are counted by. A published table may group keywords under a heading (the police's
    trefwoord over its subtrefwoorden) and count only the keywords of some signal types."""

    group: str | None = Field(default=None, description="The heading this keyword is printed under, if any")
    signal_types: tuple[str, ...] = Field(default=(), description="The signal types it is used for (none: all)")


class PublishedTable(BaseModel):
    """One of the tables the tenant publishes yearly: which report computes it, over which cases."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9-]+$", description="Its name in the API: /reports/{id}")
    title: str = Field(description="Its caption as the tenant prints it")
    report: Literal["channels", "kinds", "qualifications", "keywords", "timeliness", "within-days", "monthly",
                    "quarters", "entity-months", "admissibility", "repeated",
                    "relative-to-contacts", "satisfaction"]
    signal_types: tuple[str, ...] = Field(default=(), description="Only cases of these signal types (none: all)")
    admissible_only: bool = Field(default=False, description="Leave out the cases closed as inadmissible")
    rows: tuple[str, ...] = Field(default=(), description="The rows it prints, by code (none: every row)")
    totals: bool = Field(default=True, description="Whether it prints a total row and column")
    share_decimals: int = Field(default=1, ge=0, le=3, description="Decimals of its percentages (whole per "
                                                                   "cent: 0); shares of a whole add up to 100")
    channel_group: str | None = Field(default=None, description="relative-to-contacts: the channel group whose "
                                                                "cases and contact volumes it counts")


class ChannelGroup(Code):
    """Channels the tenant counts its contacts over together (the city: Click, its digital contacts; Call,
    the calls its contact centre answers), so that complaints can be set against the contacts."""

    channels: tuple[str, ...] = Field(min_length=1)


HalfYear = Annotated[str, StringConstraints(pattern=r"^\d{4}-H[12]$")]  # 2023-H1: January to June


class ContactVolume(BaseModel):
    """How many contacts one team handled over one channel group, per half-year: the tenant's own figures
    (from its CRM or call centre), not counted by this system. A half-year a group has no figure for at all
    is not recorded; once it has one, a team without a figure there had none."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    group: str
    team: str
    contacts: dict[HalfYear, NonNegativeInt] = Field(min_length=1)


class Qualification(Code):
    closes_early: bool = Field(default=False, description="Inadmissible: a handler may close the case with it at once")


Condition = tuple[str, ...] | None
CONDITIONS = {"channel": "channels", "signal_type": "signal_types", "category": "categories",
              "district": "districts", "entity": "entities"}
# Every field whose value is a code of the tenant, and the vocabulary it comes from.
VOCABULARIES = {**CONDITIONS, "team": "teams", "qualification": "qualifications"}


class RoutingRule(BaseModel):
    """One routing rule: every condition given must match (one code, or any of a list); first match wins."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    team: str
    channel: Condition = None
    signal_type: Condition = None
    category: Condition = None
    district: Condition = None
    entity: Condition = None

    @field_validator(*CONDITIONS, mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value


class Routing(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    default_team: str
    rules: list[RoutingRule] = []


class Calendar(BaseModel):
    """The days that do not count, from the `holidays` package plus the tenant's own closing days."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    country: str = "BE"
    subdivision: str | None = Field(default=None, description="e.g. Flemish, for the Flemish school calendar")
    categories: tuple[Literal["public", "school", "bank"], ...] = Field(
        default=(), description="public: public holidays; school: school holidays and school-free days")
    closing_days: tuple[date, ...] = ()

    @property
    def label(self) -> str:
        parts = [self.country + (f"/{self.subdivision}" if self.subdivision else "")]
        parts += list(self.categories) + ([f"{len(self.closing_days)} closing days"] if self.closing_days else [])
        return " ".join(parts)


class Window(BaseModel):
    """How long the tenant has to answer one signal type.

    `calendar` days count every day but the calendar's; `working` days also leave out weekends.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    signal_type: str
    days: int = Field(gt=0)
    day_kind: Literal["calendar", "working"] = "calendar"
    extendable_to: int | None = Field(default=None, description="Days it may be extended to, once, with a reason")
    pausable: bool = Field(default=False, description="The clock stops while waiting on the complainant")


class Term(BaseModel):
    """A term that runs from a case's receipt, the same for every signal type it runs for: days of a kind over
    the tenant's calendar (0: on the day of receipt itself)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    days: int = Field(ge=0, le=45)
    day_kind: Literal["calendar", "working"] = "calendar"
    signal_types: tuple[str, ...] = Field(default=(), description="The signal types it runs for (none: all)")

    def runs_for(self, signal_type: str) -> bool:
        return not self.signal_types or signal_type in self.signal_types


# The Flemish administrative decree's terms for a complaint: acknowledged, and told with reasons that it will
# not be handled, within 10 days of its receipt. A tenant's file says its own.
DECREE_TERM_DAYS = 10


class Retention(BaseModel):
    """How long the tenant keeps a complainant's personal data: erased once every case of theirs has been
    closed this long (none: until erased by hand)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    personal_data_days_after_close: int | None = Field(default=None, gt=0, description=(
        "Days after a complainant's last case closed that their name, e-mail, phone and address are erased"))

    def closed_before(self, now: datetime) -> datetime | None:
        """Cases closed before this moment are past the period (None: the tenant keeps no period)."""
        days = self.personal_data_days_after_close
        return None if days is None else now - timedelta(days=days)


class MessageRules(BaseModel):
    """What the complainant is sent, and in which languages (the first is the default)."""

    model_config = ConfigDict(extra="forbid")
    acknowledgement: Literal["at-once", "none"] = Field(
        default="at-once", description="An acknowledgement of receipt by e-mail as soon as a complaint comes in")
    closing_confirmation: bool = Field(default=False, description="A confirmation when an answered case is closed")
    languages: tuple[Literal["nl", "fr", "en"], ...] = Field(default=("nl",), min_length=1, description=(
        "The languages the tenant writes in: the complainant's preferred language if listed, else the first"))
    not_after_days: int = Field(default=7, gt=0, description="An event older than this (an imported register's "
                                                             "history) sends nothing")


class FeedbackRules(BaseModel):
    """What the complainant may say of the handling, through their tracking link, once the case is closed."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    period_days: int = Field(default=30, gt=0, description="Feedback is given within this many days of the close")
    low_rating: int = Field(default=2, ge=1, le=5, description="A rating this low or lower, with \"not resolved\", "
                                                                "calls for `when_not_resolved`")
    when_not_resolved: Literal["flag", "reopen"] = Field(
        default="flag", description="flag: the case is marked for a manager; reopen: it is reopened at once")


class Tenant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str
    version: str
    case_prefix: str
    channels: list[Channel]
    channel_groups: list[ChannelGroup] = Field(default=[], description="Channels counted together against "
                                                                       "contact volumes")
    signal_types: list[Code]
    categories: list[Category] = []
    districts: list[Code] = Field(default=[], description="Districts (the city) a case can be about")
    entities: list[Code] = Field(default=[], description="Legal entities sharing the tenant's system")
    teams: list[Code]
    contact_volumes: list[ContactVolume] = Field(default=[], description="Contacts per team, channel group and "
                                                                         "half-year, in the order the tenant "
                                                                         "prints them")
    qualifications: list[Qualification] = Field(min_length=1, description="The final qualification scheme")
    routing: Routing
    windows: list[Window]
    calendar: Calendar = Calendar()
    ceiling_days: int = Field(default=45, gt=0, le=45, description="The legal ceiling (Flemish complaints decree)")
    clock_starts: Literal["received", "routed"] = "received"
    approvals: list[ApprovalStep] = Field(default=[], description="Approval steps of an answer, in order, each "
                                                                  "given by a different person of its role")
    within_days: list[int] = Field(default=[], description="The lead times the within-days report counts "
                                                           "against (the care company: 14 and 20); by default "
                                                           "the windows' own lengths")
    deadline_warning_days: int = Field(default=3, ge=0, description="DeadlineApproaching this many days before")
    intake_max_age_days: int = Field(default=365, gt=0, description="Intake refuses a complaint received longer ago "
                                                                    "than this; older cases come in through the import")
    import_floor: date = Field(default=date(2000, 1, 1), description="The import refuses cases received before this "
                                                                     "day (the oldest register the tenant keeps)")
    qualified_signal_types: tuple[str, ...] | None = Field(
        default=None, description="The signal types a handler qualifies before answering (none given: all); "
                                  "the others are answered without a qualification")
    tables: list[PublishedTable] = Field(default=[], description="The tables the tenant publishes yearly")
    language: Literal["en", "nl"] = Field(default="en", description="The language of every `label` here "
                                                                     "(Accept-Language chooses)")
    transfer_window_from: Literal["first-receipt", "transfer"] = Field(
        default="transfer", description="A case transferred here from another organisation: whether its window "
                                        "runs from the first receipt there or from the transfer")
    answer_footer: str | None = Field(default=None, description="Text every final answer carries (the city: "
                                                                "the ombudsman's contact details)")
    messages: MessageRules = MessageRules()
    feedback: FeedbackRules = FeedbackRules()
    acknowledgement_window: Term = Field(default=Term(days=DECREE_TERM_DAYS), description=(
        "Within how long of its receipt the platform's acknowledgement must be sent (the clock runs for each case "
        "an acknowledgement is decided for, and stops when it is sent)"))
    admissibility_window: Term = Field(default=Term(days=DECREE_TERM_DAYS), description=(
        "Within how long of its receipt admissibility must be decided: the investigation started (admissible) or "
        "the case closed as inadmissible with the reasoned notice"))
    retention: Retention = Retention()

    @model_validator(mode="after")
    def _references_exist(self) -> "Tenant":
        teams = {t.code for t in self.teams}
        bad = [r.team for r in self.routing.rules if r.team not in teams]
        if self.routing.default_team not in teams:
            bad.append(self.routing.default_team)
        if bad:
            raise ValueError(f"routing names unknown team(s) {bad}; teams are {sorted(teams)}")
        for i, rule in enumerate(self.routing.rules):
            for condition, vocabulary in CONDITIONS.items():
                unknown = set(getattr(rule, condition) or ()) - set(self.codes(vocabulary))
                if unknown:
                    raise ValueError(f"routing.rules.{i} ({rule.id}): unknown {condition} {sorted(unknown)}")
        kinds = set(self.codes("signal_types"))
        for where, used in [*((f"categories.{c.code}", c.signal_types) for c in self.categories),
                            *((f"tables.{t.id}", t.signal_types) for t in self.tables),
                            ("qualified_signal_types", self.qualified_signal_types or ()),
                            ("acknowledgement_window", self.acknowledgement_window.signal_types),
                            ("admissibility_window", self.admissibility_window.signal_types)]:
            if unknown := set(used) - kinds:
                raise ValueError(f"{where}: unknown signal types {sorted(unknown)}")
        if len({t.id for t in self.tables}) != len(self.tables):
            raise ValueError("tables: table ids must be unique")
        if len({r.id for r in self.routing.rules}) != len(self.routing.rules):
            raise ValueError("routing.rules: rule ids must be unique")
        for i, window in enumerate(self.windows):
            longest = max(window.days, window.extendable_to or 0)
            if longest > self.ceiling_days:
                raise ValueError(f"windows.{i}: {longest} days is beyond the ceiling of {self.ceiling_days} days")
            if window.extendable_to is not None and window.extendable_to <= window.days:
                raise ValueError(f"windows.{i}.extendable_to must be more than its {window.days} days")
        return self

    @model_validator(mode="after")
    def _volumes_refer_to_codes(self) -> "Tenant":
        grouped = [ch for g in self.channel_groups for ch in g.channels]
        if unknown := set(grouped) - set(self.codes("channels")):
            raise ValueError(f"channel_groups: unknown channels {sorted(unknown)}")
        if len(grouped) != len(set(grouped)):  # a case must count against one group's contacts only
            raise ValueError("channel_groups: a channel belongs to one group at most")
        groups, teams = self.codes("channel_groups"), self.codes("teams")
        seen: set[tuple[str, str, str]] = set()
        for i, volume in enumerate(self.contact_volumes):
            if volume.group not in groups:
                raise ValueError(f"contact_volumes.{i}: unknown channel group {volume.group!r}; groups are {groups}")
            if volume.team not in teams:
                raise ValueError(f"contact_volumes.{i}: unknown team {volume.team!r}")
            for period in volume.contacts:
                if (key := (volume.group, volume.team, period)) in seen:
                    raise ValueError(f"contact_volumes.{i}: {volume.team} has a second figure for {period}")
                seen.add(key)
        for table in self.tables:
            if table.channel_group is not None and (table.channel_group not in groups
                                                    or table.report != "relative-to-contacts"):
                raise ValueError(f"tables.{table.id}: channel group {table.channel_group!r} is not one of {groups}, "
                                 "or its report does not count contacts")
        return self

    def codes(self, vocabulary: str) -> list[str]:
        return [c.code for c in getattr(self, vocabulary)]

    def unknown_codes(self, values: dict[str, object], prefix: str = "") -> list[dict[str, object]]:
        """The given values that are not codes of this tenant, each named with the codes allowed
        (the one vocabulary check: intake, the import, routing and the handler's commands)."""
        errors = []
        for field, vocabulary in VOCABULARIES.items():
            value = values.get(field)
            if value is not None and value not in (allowed := self.codes(vocabulary)):
                errors.append({"field": prefix + field, "message": f"unknown {field} {value!r}", "allowed": allowed})
        category, kind = values.get("category"), values.get("signal_type")
        if category in self.codes("categories") and kind in self.codes("signal_types") and \
                category not in (fitting := [c.code for c in self.categories_for((kind,))]):
            errors.append({"field": prefix + "category", "message": f"{category!r} is not a keyword of {kind!r}",
                           "allowed": fitting})
        return errors

    def qualifies(self, signal_type: str) -> bool:
        """Whether cases of this signal type are qualified before they are answered."""
        return self.qualified_signal_types is None or signal_type in self.qualified_signal_types

    def categories_for(self, signal_types: tuple[str, ...]) -> list[Category]:
        """The keywords used for any of these signal types (all keywords when none are named), in file order."""
        return [c for c in self.categories
                if not signal_types or not c.signal_types or set(c.signal_types) & set(signal_types)]

    def table(self, table_id: str) -> PublishedTable | None:
        return next((t for t in self.tables if t.id == table_id), None)

    def within_days_thresholds(self) -> list[int]:
        return self.within_days or sorted({d for w in self.windows for d in (w.days, w.extendable_to) if d})

    def is_oversight(self, channel: str) -> bool:
        return any(c.code == channel and c.oversight for c in self.channels)

    def closes_early(self, qualification: str) -> bool:
        return any(q.code == qualification and q.closes_early for q in self.qualifications)

    def window_for(self, signal_type: str) -> Window | None:
        return next((w for w in self.windows if w.signal_type == signal_type), None)


class TenantFileError(Exception):
    """A tenant file that cannot be used; the message names file, tenant and field."""


def in_language(tenant: Tenant, language: str) -> Tenant:
    """The tenant with every label in `language` (where its file gives one; else the English), for showing it to
    people: the codes, and so every rule, are the same."""
    if language == tenant.language:
        return tenant
    key = (id(tenant), language)
    if key not in _LOCALISED:  # kept with the tenant itself, so its id is not reused meanwhile
        _LOCALISED[key] = (tenant, _labelled(tenant, language).model_copy(update={"language": language}))
    return _LOCALISED[key][1]


_LOCALISED: dict[tuple[int, str], tuple[Tenant, Tenant]] = {}


def _labelled(value: Any, language: str) -> Any:
    if isinstance(value, BaseModel):
        update = {name: _labelled(getattr(value, name), language) for name in type(value).model_fields}
        if isinstance(value, Code):
            update["label"] = value.in_language(language)
        return value.model_copy(update=update)
    if isinstance(value, (list, tuple)):
        return type(value)(_labelled(item, language) for item in value)
    return value


def load_file(path: Path) -> Tenant:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    tenant_id = raw.get("id", path.stem) if isinstance(raw, dict) else path.stem
    try:
        return Tenant.model_validate(raw)
    except ValidationError as exc:
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in exc.errors()
        )
        raise TenantFileError(f"{path}: tenant {tenant_id!r}: {fields}") from exc


@cache
def load_tenants(folder: Path = BUNDLED) -> dict[str, Tenant]:
    tenants = {}
    for path in sorted(folder.glob("*.yaml")):
        tenant = load_file(path)
        if tenant.id != path.stem:
            raise TenantFileError(f"{path}: tenant {tenant.id!r}: id: must equal the file name {path.stem!r}")
        tenants[tenant.id] = tenant
    return tenants
