"""The kiosk's screens, one per step of `kiosk.core.Step`."""

from __future__ import annotations

from kiosk.core import Step
from kiosk.screens.admin import AdminScreen, PinScreen
from kiosk.screens.base import Screen
from kiosk.screens.flow import AgencyScreen, PriorityScreen, ServiceScreen, WelcomeScreen
from kiosk.screens.outcome import (
    IssuingScreen,
    MessageScreen,
    OfflineScreen,
    SlowScreen,
    TicketScreen,
)

SCREENS: dict[Step, type[Screen]] = {
    Step.WELCOME: WelcomeScreen,
    Step.AGENCY: AgencyScreen,
    Step.SERVICE: ServiceScreen,
    Step.PRIORITY: PriorityScreen,
    Step.ISSUING: IssuingScreen,
    Step.SLOW: SlowScreen,
    Step.TICKET: TicketScreen,
    Step.CLOSED: MessageScreen,
    Step.OFFLINE: OfflineScreen,
    Step.PIN: PinScreen,
    Step.ADMIN: AdminScreen,
}

__all__ = ["SCREENS", "Screen"]
