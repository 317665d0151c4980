"""The subscriptions' routes: `/v1/tenants/{tenant}/subscriptions[/{id}[/secret|/redrive]]`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from complaints.application.callers import Caller
from complaints.application.subscriptions import EVENT_TYPES, Subscriptions
from complaints.model.subscriptions import Subscription
from complaints.web.auth import require
from complaints.web.deps import TenantDep
from complaints.web.problems import documented

router = APIRouter(prefix="/v1/tenants/{tenant}/subscriptions", tags=["webhooks"],
                   responses=documented(_401="No or bad credentials", _403="Not this tenant, role or subscription",
                                        _404="Unknown tenant or subscription", _422="Invalid fields"))
OwnerDep = Annotated[Caller, Depends(require("manage-subscriptions"))]


def _subscriptions(request: Request) -> Subscriptions:
    return request.app.state.wiring.resources["subscriptions"]


SubscriptionsDep = Annotated[Subscriptions, Depends(_subscriptions)]


class NewSubscription(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "url": "https://e-loket.example.org/hooks/complaints", "event_types": ["Answered", "Closed"]}]})
    url: str = Field(max_length=2000, description="Where the deliveries are POSTed (https outside development)")
    event_types: list[str] = Field(default=[], max_length=100, description=f"Case event names; none: every one. "
                                   f"Known: {', '.join(EVENT_TYPES)}")
    teams: list[str] = Field(default=[], max_length=100, description="Only cases of these teams (none: all)")
    signal_types: list[str] = Field(default=[], max_length=20, description="Only these signal types (none: all)")
    own_cases: bool | None = Field(default=None, description="Only the cases the subscriber sent: always so for a "
                                   "calling system, never for a person")


class Failing(BaseModel):
    since: datetime
    event_id: str = Field(description="The event waiting: its case id and version")
    notification_id: int
    reason: str


class SubscriptionView(BaseModel):
    id: UUID
    tenant: str
    owner: str
    url: str
    event_types: list[str]
    teams: list[str]
    signal_types: list[str]
    own_cases: bool
    status: str = Field(description="active, or failing: deliveries wait for a re-drive")
    failing: Failing | None = Field(description="Since when, on which event, why")
    redrive_asked: bool
    secret_generation: int
    created_at: datetime


class SubscriptionWithSecret(SubscriptionView):
    secret: str = Field(description="The signing secret (Standard Webhooks `whsec_...`): shown this once")


def _view(subscription: Subscription) -> dict[str, Any]:
    return {name: getattr(subscription, name) for name in SubscriptionView.model_fields}


@router.post("", response_model=SubscriptionWithSecret, status_code=201)
async def create_subscription(caller: OwnerDep, tenant: TenantDep, body: NewSubscription,
                              subscriptions: SubscriptionsDep, response: Response) -> SubscriptionWithSecret:
    """Case events from now on, POSTed to `url` as signed CloudEvents, in order per case, at least once
    (`webhook-id` is the event's id: deduplicate by it). The secret is in this answer only."""
    subscription, secret = await subscriptions.create(caller, tenant, **body.model_dump())
    response.headers["Location"] = f"/v1/tenants/{tenant.id}/subscriptions/{subscription.id}"
    return SubscriptionWithSecret(**_view(subscription), secret=secret)


@router.get("", response_model=list[SubscriptionView])
async def list_subscriptions(caller: OwnerDep, tenant: TenantDep, subscriptions: SubscriptionsDep,
                             ) -> list[SubscriptionView]:
    """The tenant's subscriptions (a calling system's: its own)."""
    return [SubscriptionView(**_view(s)) for s in await subscriptions.list(caller, tenant)]


@router.get("/{subscription_id}", response_model=SubscriptionView)
async def read_subscription(caller: OwnerDep, tenant: TenantDep, subscription_id: UUID,
                            subscriptions: SubscriptionsDep) -> SubscriptionView:
    return SubscriptionView(**_view(await subscriptions.get(caller, tenant, subscription_id)))


@router.delete("/{subscription_id}", response_model=SubscriptionView)
async def delete_subscription(caller: OwnerDep, tenant: TenantDep, subscription_id: UUID,
                              subscriptions: SubscriptionsDep) -> SubscriptionView:
    """Nothing more is sent (a delivery in hand may still arrive); the answer is the subscription as deleted."""
    return SubscriptionView(**_view(await subscriptions.delete(caller, tenant, subscription_id)))


@router.post("/{subscription_id}/secret", response_model=SubscriptionWithSecret)
async def rotate_secret(caller: OwnerDep, tenant: TenantDep, subscription_id: UUID,
                        subscriptions: SubscriptionsDep) -> SubscriptionWithSecret:
    """A new signing secret, in this answer only; the previous one also signs for `WEBHOOK_ROTATION_GRACE_SECONDS`
    (a second signature in `webhook-signature`)."""
    subscription, secret = await subscriptions.rotate_secret(caller, tenant, subscription_id)
    return SubscriptionWithSecret(**_view(subscription), secret=secret)


@router.post("/{subscription_id}/redrive", response_model=SubscriptionView, status_code=202)
async def redrive_subscription(caller: OwnerDep, tenant: TenantDep, subscription_id: UUID,
                               subscriptions: SubscriptionsDep) -> SubscriptionView:
    """Once the receiver is back: the waiting delivery is tried again (for a new retry period), then the rest
    in order."""
    return SubscriptionView(**_view(await subscriptions.redrive(caller, tenant, subscription_id)))
