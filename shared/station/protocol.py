"""A station's side of the hub protocol, without I/O (the sans-I/O style of h11 and wsproto).

`StationProtocol` is a state machine. Whatever owns the socket — the Qt `HubLink`, the asyncio
`HubClient`, a web station next — tells it what happened (`start`, `connected`,
`frame_received`, `closed` with the close code, `timer_fired`, the app's `request`) and carries
out the actions it returns, in order:

    Connect      open a WebSocket to the hub (then call `connected`, or `closed` if it failed)
    Send         send this text frame
    Apply        put these events into the replica, then tell the app (`events_not_applied`
                 if the replica cannot take them)
    Reply        hand this result to the app
    WentOnline   the hub welcomed the station (with the `Welcome`)
    WentOffline  the station has no usable connection any more
    RetryIn      call `timer_fired` after this many seconds
    Disconnect   close this connection (its events cannot be used); `closed` follows
    GiveUp       the hub refused this station for good: stop, and say why
    CaughtUp     the replica holds everything the hub had when it said welcome

Everything the protocol decides is here, once: the hello, reconnect backoff with jitter,
resending in-flight commands with their ids after a reconnect, refusing (or queueing) commands
asked for while offline, the catch-up state, what each error and close code means, and which
officer is signed in on the station (`OfficerSession`). Wire formats are shared.hub.protocol's.
"""

from __future__ import annotations

import enum
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass

import shared
from shared import indonesian as ID
from shared.clock import Clock, SystemClock, to_ms
from shared.hub import protocol as p
from shared.ledger.model import OFFICER_SIGNED_OUT, Event, Refusal, Result

log = logging.getLogger(__name__)

CLOCK_SKEW_WARN_MS = 30_000  # logged beyond this; `antrean doctor` says the same

# After these error codes the hub closes the connection for good and a station stops retrying
# (a refused station must not hammer the hub). English for the log, Indonesian for the staff
# who see it on the station's screen.
REFUSALS: dict[str, tuple[str, str]] = {
    p.UNKNOWN_TOKEN: ("the hub refused this station's token (not enrolled, or enrolled again "
                      "since)", "Token perangkat ini ditolak server antrean. Hubungi petugas TI."),
    p.TOKEN_REVOKED: ("the hub refused this station's token: it was revoked or replaced",
                      "Perangkat ini dicabut dari server antrean. Hubungi petugas TI."),
    p.PROTOCOL: ("the hub speaks another protocol version",
                 "Versi aplikasi tidak cocok dengan server antrean. Hubungi petugas TI."),
    p.REPLICA_AHEAD: ("the hub holds less history than this station's replica",
                      "Perangkat ini ditolak server antrean. Hubungi petugas TI."),
    p.HISTORY_DIFFERS: ("the hub's history differs from this station's replica (the hub was "
                        "restored from another copy); the replica is kept unchanged as "
                        "evidence: compare it with 'antrean ledger diff'",
                        "Riwayat antrean di perangkat ini berbeda dengan server antrean. "
                        "Hubungi petugas TI."),
}
# The close code alone says the same, should the error frame before it be lost.
_FINAL_CLOSES = {code: error for error, code in p.FINAL_ERRORS.items()}
# Any other close code (1000 too far behind, 1001 the hub is stopping, 1006 cut off, 1008
# flood, 4000 a bad hello) or a connection that never opened: reconnect after a backoff.

OFFLINE_REFUSAL = Refusal(p.OFFLINE, "not connected to the hub",
                          "Tidak terhubung ke server antrean. Mohon tunggu sebentar.")
FRAME_REFUSED = ID.COMMAND_REFUSED  # an `error` frame answering a request


class Backoff:
    """Reconnect delays: a ceiling doubling from `first` up to `cap`, each delay drawn at random
    from the ceiling's upper half ("equal jitter"). After a hub restart every station lost it
    at the same instant; with jitter they come back spread over the window instead of in
    lockstep, and none retries faster than half the schedule."""

    def __init__(self, first: float = 0.25, cap: float = 5.0,
                 rng: random.Random | None = None) -> None:
        if not 0 < first <= cap:
            raise ValueError("backoff needs 0 < first <= cap")
        self.first, self.cap = first, cap
        self._rng = rng or random.Random()
        self._ceiling = first

    def next(self) -> float:
        ceiling = self._ceiling
        self._ceiling = min(self.cap, ceiling * 2)
        return ceiling / 2 + self._rng.random() * ceiling / 2

    def reset(self) -> None:
        self._ceiling = self.first


class OfficerSession:
    """The officer signed in on this station, as the hub sees it: set by an OK reply to the
    station's sign-in, cleared by an OK sign-out, by an `officer.signed_out` event for that
    officer (the hub signed them out: IT disabled them) and when the station is refused.
    Apps read it (`StationLink.officer`); only the link changes it."""

    def __init__(self) -> None:
        self.officer: str | None = None
        self.counter: int | None = None

    def signed_in(self, officer: str, counter: int) -> None:
        self.officer, self.counter = officer, counter

    def signed_out(self) -> None:
        self.officer = self.counter = None

    def saw(self, events: Iterable[Event]) -> None:
        if self.officer is None:
            return
        for e in events:
            if e.kind == OFFICER_SIGNED_OUT and e.data.get("officer") == self.officer:
                self.signed_out()
                return


# --- actions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Connect:
    pass


@dataclass(frozen=True)
class Send:
    text: str


@dataclass(frozen=True)
class Apply:
    events: tuple[Event, ...]


@dataclass(frozen=True)
class Reply:
    result: Result


@dataclass(frozen=True)
class WentOnline:
    welcome: p.Welcome


@dataclass(frozen=True)
class WentOffline:
    pass


@dataclass(frozen=True)
class RetryIn:
    seconds: float


@dataclass(frozen=True)
class Disconnect:
    reason: str


@dataclass(frozen=True)
class GiveUp:
    code: str  # one of REFUSALS
    message: str  # the hub's words, English


@dataclass(frozen=True)
class CaughtUp:
    last_seq: int


Action = (Connect | Send | Apply | Reply | WentOnline | WentOffline | RetryIn | Disconnect
          | GiveUp | CaughtUp)


class State(enum.Enum):
    IDLE = "idle"  # no connection; waiting for the retry timer (or for start)
    CONNECTING = "connecting"  # the transport is being opened
    HELLO_SENT = "hello sent"  # waiting for the welcome
    ONLINE = "online"  # welcomed: commands go out, events come in
    DISCONNECTING = "disconnecting"  # dropping this connection; waiting for `closed`
    REFUSED = "refused"  # the hub refused this station for good
    CLOSED = "closed"  # the app closed the link


class StationProtocol:
    """One station's conversation with the hub, across every connection it makes.

    `last_seq` is the last event the station holds (its replica's); `queue_offline` says what
    becomes of a request made without a connection: refused at once with `offline` (an app
    must never promise what it cannot guarantee: the Qt apps), or kept and sent after the next
    welcome (programs that simply wait: the simulator, benchmarks)."""

    def __init__(self, token: str, last_seq: int = 0, *, backoff: Backoff | None = None,
                 queue_offline: bool = False, session: OfficerSession | None = None,
                 clock: Clock | None = None, last_hash: str | None = None) -> None:
        self.token = token
        # The hub's clock minus this station's (ms), measured at each welcome: a board judges
        # a call's freshness on the hub's time (`hub_offset_ms`), whatever its own clock says.
        self.clock: Clock = clock or SystemClock()
        self.hub_offset_ms = 0
        self.hub_time_known = False  # a welcome carried the hub's time
        self.last_seq = last_seq
        self.last_hash = last_hash  # the chain's hash at last_seq, when known
        self.backoff = backoff or Backoff()
        self.queue_offline = queue_offline
        self.session = session or OfficerSession()
        self.state = State.IDLE
        self.welcome: p.Welcome | None = None
        self.refusal: GiveUp | None = None
        self._pending: dict[str, p.Request] = {}  # sent (or queued), no result yet; in order
        self._said_online = False
        self._catching_up = False

    # --- what the owner asks -----------------------------------------------------------------

    @property
    def online(self) -> bool:
        return self.state is State.ONLINE

    @property
    def catching_up(self) -> bool:
        """Online, and the replica does not yet hold what the hub had at the welcome."""
        return self.online and self._catching_up

    @property
    def pending(self) -> tuple[str, ...]:
        """Ids of the requests waiting for their result, oldest first."""
        return tuple(self._pending)

    # --- what happened -------------------------------------------------------------------------

    def start(self) -> list[Action]:
        if self.state is not State.IDLE:
            return []
        self.state = State.CONNECTING
        return [Connect()]

    def timer_fired(self) -> list[Action]:
        return self.start()

    def connected(self, last_seq: int | None = None, last_hash: str | None = None
                  ) -> list[Action]:
        """The transport is open. `last_seq`, `last_hash`: what the replica holds now (None:
        the events this object handed out are all there is, a station without a replica)."""
        if self.state is not State.CONNECTING:
            return []
        if last_seq is not None:
            self.last_seq = last_seq
            self.last_hash = last_hash
        self.state = State.HELLO_SENT
        return [Send(p.encode(self._hello()))]

    def _hello(self) -> p.Hello:
        # The one place the hello is made: with the hash of event `last_seq`, for the hub to
        # check the replica's history, not only its length.
        return p.Hello(self.token, self.last_seq,
                       hash=self.last_hash if self.last_seq else None,
                       clock_ms=to_ms(self.clock.now()), version=shared.__version__)

    def closed(self, code: int | None = None) -> list[Action]:
        """The connection closed (with the peer's close code, when one came) or never
        opened."""
        if self.state in (State.REFUSED, State.CLOSED, State.IDLE):
            return self._offline()
        actions = self._offline()
        final = _FINAL_CLOSES.get(code) if code is not None else None
        if final is not None:
            return actions + self._give_up(final, f"the hub closed the connection with {code}")
        if code == p.CLOSE_BAD_HELLO:
            log.error("the hub did not take this station's hello (closed with %d)", code)
        self.state = State.IDLE
        return [*actions, RetryIn(self.backoff.next())]

    def frame_received(self, text: str | bytes) -> list[Action]:
        if self.state not in (State.HELLO_SENT, State.ONLINE):
            return []  # a connection being dropped, or a refused station: nothing counts
        try:
            msg = p.parse_from_hub(text)
        except p.ProtocolError as e:
            if e.code == p.UNKNOWN_TYPE:
                log.debug("ignoring a frame of a newer protocol: %s", e.message)
            else:
                log.error("unreadable message from the hub: %s", e.message)
            return []
        match msg:
            case p.Welcome():
                return self._welcomed(msg)
            case p.Events(events):
                return self._events(events)
            case p.ResultMsg(msg_id, result):
                request = self._pending.pop(msg_id, None)
                if request is not None and result.ok:
                    if isinstance(request, p.SignIn):
                        self.session.signed_in(request.officer, request.counter)
                    elif request.kind == "sign_out":
                        self.session.signed_out()
                return [Reply(result)]
            case p.Error(code, message, msg_id):
                return self._error(code, message, msg_id)
            case p.Pong():
                return []
        return []

    def request(self, msg: p.Request) -> list[Action]:
        """The app asks for a command or a sign-in. Its id is kept until the result comes,
        and the same id is sent again after every reconnect until then."""
        if self.state is State.ONLINE:
            self._pending[msg.id] = msg
            return [Send(p.encode(msg))]
        if self.refusal is not None:
            return [Reply(self._refused_result(msg.id, self.refusal))]
        if self.queue_offline and self.state is not State.CLOSED:
            self._pending[msg.id] = msg
            return []
        return [Reply(Result(msg.id, False, refusal=OFFLINE_REFUSAL))]

    def forget(self, msg_id: str) -> None:
        """The app stopped waiting for this request: do not send it again."""
        self._pending.pop(msg_id, None)

    def events_not_applied(self, why: str) -> list[Action]:
        """The replica could not take the events of an `Apply` (a gap it saw, a disk error):
        drop this connection and ask again from what the replica holds."""
        if self.state is not State.ONLINE:
            return []
        log.warning("%s; reconnecting to catch up", why)
        self.state = State.DISCONNECTING
        return [Disconnect(why)]

    def history_differs(self, why: str) -> list[Action]:
        """The replica refused events whose hashes do not continue its chain: the hub holds
        another history. Stop for good (the replica stays as it is, as evidence) and say so."""
        if self.state not in (State.HELLO_SENT, State.ONLINE):
            return []
        log.error("%s; not reconnecting", why)
        return [*self._give_up(p.HISTORY_DIFFERS, why), Disconnect(why)]

    def close(self) -> list[Action]:
        """The app is done with the link: no retry, nothing more to send."""
        actions = self._offline()
        self.state = State.CLOSED
        self._pending.clear()
        return actions

    # --- the hub's frames ----------------------------------------------------------------------

    def _welcomed(self, w: p.Welcome) -> list[Action]:
        if self.state is not State.HELLO_SENT:
            log.error("a second welcome from the hub; ignored")
            return []
        self.state = State.ONLINE
        self.welcome = w
        if w.hub_time_ms is not None:
            self.hub_offset_ms = w.hub_time_ms - to_ms(self.clock.now())
            self.hub_time_known = True
            if abs(self.hub_offset_ms) > CLOCK_SKEW_WARN_MS:
                log.warning("this station's clock differs from the hub's by %.0f s; judging "
                            "events on the hub's time", self.hub_offset_ms / 1000)
        self.backoff.reset()
        self._said_online = True
        actions: list[Action] = [WentOnline(w)]
        # Everything sent before the connection dropped (or queued meanwhile) goes again with
        # the same id: the hub answers an id it executed already with the first result.
        actions += [Send(p.encode(m)) for m in self._pending.values()]
        self._catching_up = w.last_seq > self.last_seq
        if not self._catching_up:
            actions.append(CaughtUp(self.last_seq))
        return actions

    def _events(self, events: tuple[Event, ...]) -> list[Action]:
        if self.state is not State.ONLINE:
            return []
        fresh = tuple(e for e in events if e.seq > self.last_seq)
        if not fresh:
            return []
        expected = self.last_seq + 1
        for e in fresh:
            if e.seq != expected:
                return self.events_not_applied(
                    f"the station at seq {expected - 1} got seq {e.seq}")
            expected += 1
        self.last_seq = fresh[-1].seq
        self.last_hash = fresh[-1].hash
        self.session.saw(fresh)
        actions: list[Action] = [Apply(fresh)]
        if self._catching_up and self.welcome is not None and (
                self.last_seq >= self.welcome.last_seq):
            self._catching_up = False
            actions.append(CaughtUp(self.last_seq))
        return actions

    def _error(self, code: str, message: str, msg_id: str | None) -> list[Action]:
        if code in REFUSALS:
            return self._give_up(code, message or code)
        request = self._pending.pop(msg_id, None) if msg_id else None
        if request is None:
            log.warning("hub error %s: %s", code, message)
            return []
        # The hub could not take this request (a malformed frame): answer the app now instead
        # of leaving it to time out. Nothing was executed.
        return [Reply(Result(request.id, False, refusal=Refusal(code, message, FRAME_REFUSED)))]

    # --- helpers --------------------------------------------------------------------------------

    def _offline(self) -> list[Action]:
        if not self._said_online:
            return []
        self._said_online = False
        return [WentOffline()]

    def _give_up(self, code: str, message: str) -> list[Action]:
        self.state = State.REFUSED
        self.refusal = GiveUp(code, message)
        self.session.signed_out()
        # Said before going offline, so that an app reacting to "offline" can already say why.
        actions: list[Action] = [self.refusal, *self._offline()]
        actions += [Reply(self._refused_result(i, self.refusal)) for i in self._pending]
        self._pending.clear()
        return actions

    @staticmethod
    def _refused_result(msg_id: str, refusal: GiveUp) -> Result:
        return Result(msg_id, False, refusal=Refusal(refusal.code, refusal.message,
                                                     REFUSALS[refusal.code][1]))
