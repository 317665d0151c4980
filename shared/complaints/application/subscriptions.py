"""Webhook subscriptions as their owners see them: made, listed, read, deleted, their secret rotated, and a
failing one re-driven. Who may do what is the permission policy's (`manage-subscriptions`; a calling system
only its own, and only for the cases it sent)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from uuid import UUID

from eventsourcing.utils import get_topic

from complaints.adapters.store import COMPLAINT_EVENT_TOPICS, Complaints
from complaints.application import permissions
from complaints.application.callers import Caller
from complaints.application.clock import Clock
from complaints.application.errors import InvalidFields
from complaints.model.subscriptions import Subscription, event_type_problems, secret_for, url_problem
from complaints.model.tenants import Tenant

# The case events a subscription may ask for, by name (`Answered`); the body's CloudEvents type is
# `complaints.<name>`.
EVENT_TYPES = sorted(topic.rsplit(".", 1)[-1] for topic in COMPLAINT_EVENT_TOPICS)
CREATED_TOPICS = [get_topic(Subscription.Created)]
CheckAddress = Callable[[str], Awaitable[str | None]]


class SubscriptionNotFound(LookupError):
    """No such subscription of this tenant (another tenant's, or a deleted one, is as absent as none)."""


def every_subscription(store: Complaints) -> list[Subscription]:
    """Every subscription ever made, deleted ones too (each is small)."""
    return [store.repository.get(subscription_id) for subscription_id in subscriptions_made(store)[0]]


def subscriptions_made(store: Complaints, after: int = 0) -> tuple[list[UUID], int]:
    """The ids of the subscriptions made after notification `after`, and the notification read up to: the
    dispatcher, which looks every few seconds, reads only what is new rather than the whole store each time."""
    head = store.recorder.max_notification_id() or 0
    found, start = [], after + 1
    while start <= head and (batch := store.recorder.select_notifications(start=start, limit=1000, stop=head,
                                                                          topics=CREATED_TOPICS)):
        found += [n.originator_id for n in batch]
        start = batch[-1].id + 1
    return found, head


class Subscriptions:
    def __init__(self, store: Complaints, clock: Clock, secret_key: bytes, *, https_only: bool,
                 check_address: CheckAddress | None) -> None:
        self.store, self.clock, self.secret_key = store, clock, secret_key
        self.https_only = https_only
        # Outside development: the URL's host must resolve to addresses a delivery may connect to.
        self.check_address = check_address

    async def create(self, caller: Caller, tenant: Tenant, *, url: str, event_types: list[str], teams: list[str],
                     signal_types: list[str], own_cases: bool | None) -> tuple[Subscription, str]:
        """A new subscription from now on, and its signing secret (shown this once)."""
        permissions.ensure(caller, "manage-subscriptions")
        system = caller.kind == "system"
        errors = []
        if (problem := url_problem(url, https_only=self.https_only)) is not None:
            errors.append({"field": "url", "message": problem})
        if unknown := event_type_problems(event_types, EVENT_TYPES):
            errors.append({"field": "event_types", "message": f"unknown event types {unknown}",
                           "allowed": EVENT_TYPES})
        if unknown := sorted(set(teams) - set(tenant.codes("teams"))):
            errors.append({"field": "teams", "message": f"unknown teams {unknown}", "allowed": tenant.codes("teams")})
        if unknown := sorted(set(signal_types) - set(tenant.codes("signal_types"))):
            errors.append({"field": "signal_types", "message": f"unknown signal types {unknown}",
                           "allowed": tenant.codes("signal_types")})
        if system and own_cases is False:
            errors.append({"field": "own_cases", "message": "a calling system reads only the cases it sent: its "
                           "subscriptions are for those", "allowed": [True]})
        if not system and own_cases:
            errors.append({"field": "own_cases", "message": "a person sends no cases: leave it out",
                           "allowed": [False]})
        if not errors and self.check_address is not None and (refused := await self.check_address(url)):
            errors.append({"field": "url", "message": refused})
        if errors:
            raise InvalidFields(errors)
        head = await asyncio.to_thread(self.store.recorder.max_notification_id) or 0
        subscription = Subscription(tenant=tenant.id, owner=caller.actor, owner_kind=caller.kind,
                                    owner_roles=sorted(caller.roles), url=url, event_types=sorted(set(event_types)),
                                    teams=sorted(set(teams)), signal_types=sorted(set(signal_types)),
                                    own_cases=system, starts_after=head, occurred_at=self.clock.now())
        await asyncio.to_thread(self.store.save, subscription)
        return subscription, self.secret(subscription)

    async def list(self, caller: Caller, tenant: Tenant) -> list[Subscription]:
        """The tenant's subscriptions this caller may see (a calling system: its own)."""
        permissions.ensure(caller, "manage-subscriptions")
        every = await asyncio.to_thread(every_subscription, self.store)
        return [s for s in every if s.tenant == tenant.id and not s.deleted
                and permissions.subscription_refusal(caller, s.owner) is None]

    async def get(self, caller: Caller, tenant: Tenant, subscription_id: UUID) -> Subscription:
        permissions.ensure(caller, "manage-subscriptions")
        subscription = await asyncio.to_thread(self.store.find, subscription_id)
        if not isinstance(subscription, Subscription) or subscription.tenant != tenant.id or subscription.deleted:
            raise SubscriptionNotFound(f"no subscription {subscription_id} of tenant {tenant.id!r}")
        permissions.ensure_may_manage_subscription(caller, subscription.owner)
        return subscription

    async def delete(self, caller: Caller, tenant: Tenant, subscription_id: UUID) -> Subscription:
        subscription = await self.get(caller, tenant, subscription_id)
        subscription.delete(actor=caller.actor, at=self.clock.now())
        await asyncio.to_thread(self.store.save, subscription)
        return subscription

    async def rotate_secret(self, caller: Caller, tenant: Tenant, subscription_id: UUID) -> tuple[Subscription, str]:
        """A new signing secret (shown this once); the previous one also signs for the grace period."""
        subscription = await self.get(caller, tenant, subscription_id)
        subscription.rotate_secret(actor=caller.actor, at=self.clock.now())
        await asyncio.to_thread(self.store.save, subscription)
        return subscription, self.secret(subscription)

    async def redrive(self, caller: Caller, tenant: Tenant, subscription_id: UUID) -> Subscription:
        """Once the receiver is back: the dispatcher tries the waiting delivery again, and goes on in order."""
        subscription = await self.get(caller, tenant, subscription_id)
        if subscription.ask_redrive(actor=caller.actor, at=self.clock.now()):
            await asyncio.to_thread(self.store.save, subscription)
        return subscription

    def secret(self, subscription: Subscription, generation: int | None = None) -> str:
        return secret_for(self.secret_key, subscription.id, generation or subscription.secret_generation)
