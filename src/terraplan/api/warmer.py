"""Keeps the monitoring cache warm for the active plans, so KPIs and alerts answer fast.

Loading a plan's monitoring data takes seconds on the demo; a request should not pay it.
A daemon thread loads the active plans' data and the default KPI table and alerts at start-up,
then checks every ``interval`` seconds whether the data behind them changed (the cache's
fingerprint) and reloads them when it did. The cache stays the one source of truth: a request
that arrives before the thread has finished computes and fills it the same way.

The same thread keeps the API's cache of response bodies honest about writes made outside
terraplan: the bodies are keyed by a cheap change marker that every write through terraplan
moves (:func:`terraplan.storage.fingerprint.change_marker`); each round, the full fingerprint
of every plan with cached bodies is compared with the one last noted, and when it changed the
plan's bodies are invalidated
(:meth:`terraplan.api.response_cache.ResponseCache.note_fingerprint`).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from terraplan.api.response_cache import ResponseCache
from terraplan.domain.plan import PlanStatus
from terraplan.errors import TerraplanError
from terraplan.planning.fiscal import FiscalCalendar
from terraplan.services.monitoring import plan_alerts, plan_kpis
from terraplan.services.monitoring_data import MonitoringCache
from terraplan.storage.database import Database
from terraplan.storage.fingerprint import monitoring_fingerprint
from terraplan.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

#: What the API's KPI endpoint computes when asked with no parameters.
DEFAULT_PERIOD = "YTD"
DEFAULT_DIMENSION = "territory"


class MonitoringWarmer:
    """Warm ``cache`` for the active plans now and whenever their data changes."""

    def __init__(
        self,
        db: Database,
        cache: MonitoringCache,
        *,
        interval: float = 10.0,
        responses: ResponseCache | None = None,
        fiscal: FiscalCalendar | None = None,
    ) -> None:
        self.db = db
        #: The fiscal calendar the routes ask with (the cache keys hold it).
        self.fiscal = fiscal
        self.cache = cache
        self.interval = interval
        self.responses = responses
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: The full fingerprint each active plan was last warmed at.
        self._warmed: dict[str, tuple[Any, ...]] = {}
        #: Fingerprints read in the current round of the loop (None outside a round).
        self._round: dict[str, tuple[Any, ...]] | None = None

    def warm_once(self) -> list[str]:
        """Fill the cache for every active plan whose data changed since the last round (all of
        them the first time); returns the active plans' ids."""
        with UnitOfWork(self.db) as uow:
            plan_ids = [row.id for row in uow.plans.list(status=PlanStatus.ACTIVE)]
        for plan_id in plan_ids[: self.cache.max_plans]:
            if self._stop.is_set():
                break
            # One full fingerprint per plan and round: unchanged data is not asked again
            # (each ask sums the record tables), and check_responses reuses it.
            fingerprint = self._fingerprint(plan_id)
            if self._warmed.get(plan_id) == fingerprint:
                continue
            try:
                plan_kpis(
                    self.db,
                    plan_id,
                    periods=[DEFAULT_PERIOD],
                    dimensions=[DEFAULT_DIMENSION],
                    cache=self.cache,
                    fiscal=self.fiscal,
                )
                plan_alerts(self.db, plan_id, cache=self.cache, fiscal=self.fiscal)
                self._warmed[plan_id] = fingerprint
            except TerraplanError as exc:  # e.g. a plan with no data yet: nothing to warm
                log.info("monitoring cache: %s not warmed: %s", plan_id, exc.message)
        return plan_ids

    def check_responses(self) -> list[str]:
        """Invalidate the cached bodies of every plan whose full fingerprint changed since it
        was last noted; returns those plans' ids."""
        if self.responses is None:
            return []
        changed = []
        for plan_id in self.responses.plan_ids():
            known = self._round.get(plan_id) if self._round is not None else None
            fingerprint = known or self._fingerprint(plan_id)
            if self.responses.note_fingerprint(plan_id, fingerprint):
                changed.append(plan_id)
        return changed

    def _fingerprint(self, plan_id: str) -> tuple[Any, ...]:
        with self.db.connect() as connection:
            fingerprint = monitoring_fingerprint(connection, plan_id)
        if self._round is not None:
            self._round[plan_id] = fingerprint
        return fingerprint

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._round = {}
            try:
                self.warm_once()
                self.check_responses()
            except Exception:  # the API keeps serving; requests compute what they need
                log.exception("monitoring cache refresh failed")
            finally:
                self._round = None
            self._stop.wait(self.interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="monitoring-warmer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
