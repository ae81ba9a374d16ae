"""Per-process cache of hot reads' serialised JSON bodies, with ETags and ``304 Not Modified``.

A hot read (a plan, its KPI table, its alerts) takes tens of milliseconds of Python to build and
serialise, but changes only when the data behind it changes. Each body is stored under a key of
three parts:

- the question: the route and its parameters (e.g. ``("kpis", "P001", "territory", "YTD")``);
- who asks, as what they may see: ``"all"`` for planners and admins, else the exact visibility
  scope (the territories, reps and region a manager or rep sees), so bodies are never shared
  between callers who see different things;
- the data version: the plan's change marker
  (:func:`terraplan.storage.fingerprint.change_marker`: the plan's version and time of change,
  its rule sets, rule runs, stored results and targets, and the latest import run), read on
  every request (one statement, well under a millisecond), so a body of an older version is
  never served after a change made through terraplan; and the plan's generation, which the
  monitoring warmer (:mod:`terraplan.api.warmer`) bumps when the full fingerprint (which also
  sums the record tables) changes while the marker did not: records written outside terraplan
  (SQL by hand) show within ``TERRAPLAN_MONITORING_REFRESH_SECONDS``. The full fingerprint is
  first read when a plan's first body is cached, before that body's data. Bodies of older versions
  are never asked for again and age out (least recently used first).

The ETag is a hash of the body, so it is the same in every server process; a request whose
``If-None-Match`` names it gets ``304`` and no body.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from fastapi import Request, Response
from pydantic import BaseModel

from terraplan.services.access import Principal
from terraplan.storage.database import Database
from terraplan.storage.fingerprint import change_marker, monitoring_fingerprint

#: Bodies kept per process (least recently used dropped first), and their total size at most.
MAX_ENTRIES = 256
MAX_BYTES = 64 * 1024 * 1024
#: Small derived values kept per process (see :meth:`ResponseCache.remember`).
MAX_VALUES = 4096

_T = TypeVar("_T")

#: Sent with every cached read: the body depends on who asks (private) and may change at any
#: moment, so a client must revalidate (``If-None-Match``) before reusing it (no-cache).
CACHE_CONTROL = "private, no-cache"


@dataclass(frozen=True)
class CachedBody:
    """A serialised JSON body and its strong ETag (quoted, as sent in the header)."""

    body: bytes
    etag: str


def make_body(body: bytes) -> CachedBody:
    digest = hashlib.blake2b(body, digest_size=16).hexdigest()
    return CachedBody(body, f'"{digest}"')


class ResponseCache:
    """Key -> :class:`CachedBody`, least recently used first out. Thread-safe (the routes run in
    the thread pool)."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, CachedBody] = OrderedDict()
        self._bytes = 0
        self._generations: dict[str, int] = {}
        self._values: OrderedDict[Hashable, object] = OrderedDict()
        self._fingerprints: dict[str, tuple[Any, ...]] = {}
        #: Lookups answered from the cache and lookups that had to build the body.
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> CachedBody | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self.hits += 1
            self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, body: bytes) -> CachedBody:
        cached = make_body(body)
        if len(body) > self.max_bytes:
            return cached
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._entries[key] = cached
            self._bytes += len(body)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)
        return cached

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._values.clear()
            self._bytes = 0

    def remember(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """``compute()``'s value for ``key``, computed once while the key stays the same (keys
        carry a data version, like the bodies' keys); an exception is not remembered. For small
        derived values, e.g. which territories of a plan a manager may see."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return cast(_T, self._values[key])
        value = compute()
        with self._lock:
            self._values[key] = value
            while len(self._values) > MAX_VALUES:
                self._values.popitem(last=False)
        return value

    def generation(self, plan_id: str) -> int:
        """The plan's generation: part of its keys; :meth:`note_fingerprint` moves it on."""
        with self._lock:
            return self._generations.get(plan_id, 0)

    def knows(self, plan_id: str) -> bool:
        """Whether the plan's full fingerprint has been noted (see :meth:`note_fingerprint`)."""
        with self._lock:
            return plan_id in self._fingerprints

    def note_fingerprint(self, plan_id: str, fingerprint: tuple[Any, ...]) -> bool:
        """Note the plan's full fingerprint, read before any data of a body built from now on;
        when it differs from the one noted before, invalidate the plan's bodies (True)."""
        with self._lock:
            old = self._fingerprints.get(plan_id)
            self._fingerprints[plan_id] = fingerprint
            if old is None or old == fingerprint:
                return False
            self._generations[plan_id] = self._generations.get(plan_id, 0) + 1
            return True

    def plan_ids(self) -> list[str]:
        """The plans whose fingerprint has been noted (every plan a body was cached for)."""
        with self._lock:
            return sorted(self._fingerprints)

    def fetch(self, key: Hashable, build: Callable[[], BaseModel]) -> CachedBody:
        """The cached body of ``key``, else ``build()``'s model serialised and stored."""
        found = self.get(key)
        if found is not None:
            return found
        return self.put(key, build().model_dump_json().encode())


def etag_matches(header: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (or is ``*``); weak tags compare equal."""
    if not header:
        return False
    for candidate in header.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def cached_response(request: Request, cached: CachedBody) -> Response:
    """``200`` with the body, or ``304`` when the request's ``If-None-Match`` names its ETag."""
    headers = {"ETag": cached.etag, "Cache-Control": CACHE_CONTROL}
    if etag_matches(request.headers.get("if-none-match"), cached.etag):
        return Response(status_code=304, headers=headers)
    return Response(cached.body, media_type="application/json", headers=headers)


def plan_data_version(request: Request, db: Database, plan_id: str) -> tuple[object, ...] | None:
    """The data version part of a plan's keys: its generation and change marker (read in this
    order, before the body's data, so a body is never older than its key); None when there is
    no such plan (then nothing is cached)."""
    cache = response_cache(request)
    if not cache.knows(plan_id):
        # First body of this plan in this process: note the full fingerprint the warmer
        # compares with (see the module's docstring), read before the body's data.
        with db.connect() as connection:
            fingerprint = monitoring_fingerprint(connection, plan_id)
        if fingerprint[0] is None:
            return None
        cache.note_fingerprint(plan_id, fingerprint)
    generation = cache.generation(plan_id)
    with db.single_statement() as connection:
        marker = change_marker(connection, plan_id)
    return (generation, *marker) if marker[0] is not None else None


def serve_cached(
    request: Request, key: Hashable | None, build: Callable[[], BaseModel]
) -> Response:
    """The body of ``key`` from the app's cache (built and stored on a miss), as a response;
    ``key`` None: built and sent without caching (e.g. a plan that does not exist, whose
    ``build`` raises the 404)."""
    if key is None:
        cached = make_body(build().model_dump_json().encode())
    else:
        cached = response_cache(request).fetch(key, build)
    return cached_response(request, cached)


def response_cache(request: Request) -> ResponseCache:
    """The app's cache (created with the app's state at start-up)."""
    cache: ResponseCache = request.app.state.response_cache
    return cache


def caller_key(principal: Principal) -> Hashable:
    """Who asks, as far as what they may see goes: the user (with their current role, region
    and rep, read from the database on this request) and the token's scopes."""
    user = principal.user
    scopes = None if principal.scopes is None else frozenset(principal.scopes)
    return (user.id, user.role.value, user.region, user.rep_id, scopes)
