"""Each process killed (-9) under a steady load, then a count: every accepted case complete, nothing applied
twice (tests/chaos/faults.py has the scenario; test_faults_infrastructure.py breaks what they stand on)."""

from __future__ import annotations

import pytest

from tests.chaos.faults import KILLS, Chaos, every_accepted_case_complete_exactly_once


@pytest.mark.parametrize("chaos", list(KILLS), indirect=True)
def test_every_accepted_case_is_complete_exactly_once_after(chaos: Chaos, request, inbox) -> None:
    every_accepted_case_complete_exactly_once(chaos, request.node.callspec.params["chaos"], inbox)
