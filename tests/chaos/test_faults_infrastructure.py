"""The broker and the database broken under a steady load, and the consumers' groups disturbed, then a count:
every accepted case complete, nothing applied twice (the scenario is in tests/chaos/faults.py)."""

from __future__ import annotations

import pytest

from tests.chaos.faults import INFRASTRUCTURE, Chaos, every_accepted_case_complete_exactly_once


@pytest.mark.parametrize("chaos", list(INFRASTRUCTURE), indirect=True)
def test_every_accepted_case_is_complete_exactly_once_after(chaos: Chaos, request, inbox) -> None:
    every_accepted_case_complete_exactly_once(chaos, request.node.callspec.params["chaos"], inbox)
