"""One process's LAPOR! rate limit, shared fairly between who calls: callbacks, the
mirror's writes and the poller (issue 18 item 6, issue 20 item 12).

Every call of a :class:`~services.sync.lapor.client.LaporClient` takes a token from its
:class:`FairTokenBucket`; *which lane* it waits in is the caller's context
(:func:`use_lane`), so the client's methods need no extra argument and tasks started
inside a lane stay in it (``contextvars`` are copied into new tasks):

    with use_lane(Lane.POLL):
        await lapor.get_complaint(complaint_id)

The rules, when more calls wait than the rate allows:

* **callbacks first** (:attr:`Lane.CALLBACK`): a national change someone told us about is
  read before any backlog — a callback jumps the queue;
* **writes and polling share the rest** by weight: with ``poll_share`` 0.5 (the default)
  each gets half while both wait; a lane with nothing waiting leaves its share to the
  others, so a poller alone uses the whole rate and so does a mirror alone.

It is stride scheduling over the waiting lanes: a lane's ``pass`` grows by
``1 / weight`` per token it gets, the waiting lane with the lowest pass goes next, and a
lane that was idle joins at the current lowest pass (it cannot bank credit while idle).
The bucket itself is :class:`~services.sync.lapor.resilience.TokenBucket`'s (a subclass):
``rate_per_s`` tokens a second, a burst of a tenth of a second's worth, 0 = off.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
from collections import deque
from collections.abc import Iterator
from contextvars import ContextVar

from services.sync.lapor.resilience import Clock, Sleep, TokenBucket


class Lane(enum.StrEnum):
    CALLBACK = "callback"
    WRITE = "write"
    POLL = "poll"


#: The lane of the calls made in this context; the mirror's writes unless said otherwise.
current_lane: ContextVar[Lane] = ContextVar("lapor_lane", default=Lane.WRITE)

#: Half the rate for the poller while the mirror's writes also wait.
DEFAULT_POLL_SHARE = 0.5
#: Lanes served before any other, in this order.
PRIORITY_LANES = (Lane.CALLBACK,)
#: A token balance this close to 1 counts as a whole token (float residue of the refill).
_EPSILON = 1e-9


@contextlib.contextmanager
def use_lane(lane: Lane) -> Iterator[None]:
    token = current_lane.set(lane)
    try:
        yield
    finally:
        current_lane.reset(token)


def lane_weights(poll_share: float) -> dict[Lane, float]:
    """Weights of the shared lanes for a poller's share in (0, 1)."""
    share = min(max(float(poll_share), 0.05), 0.95)
    return {Lane.WRITE: 1.0 - share, Lane.POLL: share}


class FairTokenBucket(TokenBucket):
    """A token bucket whose waiters are served by lane (see the module docstring).
    ``granted`` counts the tokens each lane got (for metrics and tests). The refill and
    the rate are :class:`TokenBucket`'s; the order of waiters is this class's."""

    def __init__(
        self,
        rate_per_s: float,
        *,
        poll_share: float = DEFAULT_POLL_SHARE,
        burst: float | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(rate_per_s, burst=burst, clock=clock, sleep=sleep)
        self.weights = lane_weights(poll_share)
        self._waiters: dict[Lane, deque[asyncio.Future[None]]] = {lane: deque() for lane in Lane}
        self._pass: dict[Lane, float] = dict.fromkeys(self.weights, 0.0)
        self._dispatcher: asyncio.Task[None] | None = None
        self.granted: dict[Lane, int] = dict.fromkeys(Lane, 0)

    def waiting(self, lane: Lane) -> int:
        return sum(1 for f in self._waiters[lane] if not f.done())

    async def acquire(self) -> None:
        """Wait for a token in the caller's lane (:data:`current_lane`)."""
        if not self.enabled:
            return
        lane = current_lane.get()
        self._refill()
        if self._tokens >= 1.0 - _EPSILON and not self._anyone_waiting():
            self._grant(lane)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if lane in self._pass and not self.waiting(lane):
            self._join(lane)
        self._waiters[lane].append(future)
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._serve(), name="lapor-rate-limit")
        await future

    # -- the scheduler -------------------------------------------------------------------
    def _anyone_waiting(self) -> bool:
        return any(self.waiting(lane) for lane in Lane)

    def _join(self, lane: Lane) -> None:
        """An idle lane starts at the lowest pass among the waiting ones."""
        active = [self._pass[other] for other in self._pass if self.waiting(other)]
        if active:
            self._pass[lane] = max(self._pass[lane], min(active))

    def _grant(self, lane: Lane) -> None:
        self._tokens -= 1.0
        self.granted[lane] += 1
        if lane in self._pass:
            self._pass[lane] += 1.0 / self.weights[lane]

    def next_lane(self) -> Lane | None:
        """The lane the next token goes to (None: nobody waits)."""
        for lane in PRIORITY_LANES:
            if self.waiting(lane):
                return lane
        candidates = [lane for lane in self._pass if self.waiting(lane)]
        if not candidates:
            return None
        return min(candidates, key=lambda lane: (self._pass[lane], -self.weights[lane]))

    async def _serve(self) -> None:
        """Hand out tokens to the waiters, lane by lane, while anyone waits; sleep the
        deficit in between (the injected ``sleep``, so tests run on a fake clock)."""
        while True:
            self._refill()
            while self._tokens >= 1.0 - _EPSILON:
                lane = self.next_lane()
                if lane is None:
                    return
                queue = self._waiters[lane]
                while queue[0].done():  # cancelled while waiting
                    queue.popleft()
                self._grant(lane)
                queue.popleft().set_result(None)
            if not self._anyone_waiting():
                return
            await self._sleep(max((1.0 - self._tokens) / self.rate_per_s, 0.0))
