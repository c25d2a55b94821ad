"""A client for `cairn serve`'s read API: the deployed prompt, rendered or as a document, for applications that fetch it
at run time. Standard library only.

    client = Client("http://127.0.0.1:8080", token=None, ttl=60.0, snapshot_path="/var/cache/app/prompts.json")
    client.prefetch("production")                 # start-up: every deployed artifact, kept on disk too
    prompt = client.get("prompt", "support-triage", "production")
    prompt.content["spec"]["messages"]             # the document
    text = client.render("support-triage", "production", {"subject": "Late", "body": "Where is it?"})

Caching: an answer is used for `ttl` seconds, then revalidated with its ETag (`If-None-Match`: a 304 costs one row read
on the server and no body). When the server cannot be reached or answers 5xx, the last copy is used (`is_stale`), else
the on-disk snapshot (`snapshot_path`, written by `prefetch`), else the caller's `fallback` (`is_fallback`); only when
there is none of these does the call raise `Unavailable`.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

__all__ = ["Client", "Artifact", "Rendered", "CairnError", "NotFound", "RenderError", "Unavailable"]


class CairnError(Exception):
    """An answer of the server's that is not a success: `status` and the server's `message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class NotFound(CairnError):
    """No such environment, or the artifact is not deployed there (404)."""


class RenderError(CairnError):
    """A missing, unknown or mistyped variable (422); the message names it."""


class Unavailable(Exception):
    """The server could not be reached (or failed), and there was no copy, snapshot or fallback to answer with."""


@dataclass(frozen=True)
class Artifact:
    """One deployed artifact: its document and where it came from."""

    kind: str
    name: str
    environment: str
    content: Dict[str, Any]
    version: Optional[str] = None
    digest: Optional[str] = None
    tag: Optional[str] = None
    commit: Optional[str] = None
    #: The caller's fallback, not anything the server said.
    is_fallback: bool = False
    #: A copy kept from before (memory or the on-disk snapshot), used because the server could not answer.
    is_stale: bool = False
    #: "server", "memory", "snapshot" or "fallback".
    source: str = "server"


@dataclass(frozen=True)
class Rendered:
    """A rendered prompt: `text`, or chat `messages` ({role, content}); and the deployment's fallback, rendered."""

    type: str
    text: Optional[str] = None
    messages: Optional[List[Dict[str, str]]] = None
    version: Optional[str] = None
    digest: Optional[str] = None
    fallback: Optional[Dict[str, Any]] = None
    is_fallback: bool = False


@dataclass
class _Entry:
    artifact: Artifact
    etag: Optional[str]
    fetched: float


@dataclass
class _Snapshot:
    artifacts: Dict[Tuple[str, str], Dict[str, Any]] = field(default_factory=dict)
    digest: Optional[str] = None


class Client:
    """Reads what `cairn serve` at `url` says is deployed; thread-safe."""

    def __init__(
        self,
        url: str,
        token: Optional[str] = None,
        ttl: float = 60.0,
        timeout: float = 5.0,
        snapshot_path: Optional[str] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.ttl = ttl
        self.timeout = timeout
        self.snapshot_path = snapshot_path
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: Dict[Tuple[str, str, str], _Entry] = {}
        self._snapshots: Dict[str, _Snapshot] = {}
        if snapshot_path and os.path.exists(snapshot_path):
            self._load_snapshots(snapshot_path)

    # -- reading one artifact

    def get(self, kind: str, name: str, env: str, fallback: Optional[Mapping[str, Any]] = None) -> Artifact:
        """The artifact `kind/name` deployed in `env` (see the module's caching rules). `fallback`, a document, is
        returned (`is_fallback`) when neither the server nor a copy can answer."""
        key = (env, kind, name)
        with self._lock:
            entry = self._cache.get(key)
        now = self._clock()
        if entry is not None and now - entry.fetched < self.ttl:
            return replace(entry.artifact, source="memory")
        path = f"/v1/environments/{_quote(env)}/artifacts/{_quote(kind)}/{_quote(name)}"
        headers = {"If-None-Match": entry.etag} if entry is not None and entry.etag else {}
        try:
            status, response_headers, body = self._request("GET", path, headers=headers)
        except Unavailable:
            return self._stale(key, entry, fallback)
        if status == 304 and entry is not None:
            with self._lock:
                self._cache[key] = _Entry(entry.artifact, entry.etag, now)
            return entry.artifact
        if status == 200:
            document = json.loads(body)
            artifact = _artifact(kind, name, env, document)
            with self._lock:
                self._cache[key] = _Entry(artifact, response_headers.get("etag"), now)
            return artifact
        if status >= 500:
            return self._stale(key, entry, fallback)
        error = _error(status, body)
        if isinstance(error, NotFound) and fallback is not None:
            return Artifact(kind, name, env, dict(fallback), is_fallback=True, source="fallback")
        raise error

    def _stale(self, key: Tuple[str, str, str], entry: Optional[_Entry], fallback: Optional[Mapping[str, Any]]) -> Artifact:
        env, kind, name = key
        if entry is not None:
            return replace(entry.artifact, is_stale=True, source="memory")
        with self._lock:
            snapshot = self._snapshots.get(env)
        if snapshot is not None and (kind, name) in snapshot.artifacts:
            return replace(_artifact(kind, name, env, snapshot.artifacts[(kind, name)]), is_stale=True, source="snapshot")
        if fallback is not None:
            return Artifact(kind, name, env, dict(fallback), is_fallback=True, source="fallback")
        raise Unavailable(f"{self.url} did not answer for {kind}/{name} in '{env}', and there is no copy or fallback")

    # -- rendering

    def render(
        self, name: str, env: str, variables: Optional[Mapping[str, Any]] = None, fallback: Optional[str] = None
    ) -> Rendered:
        """The prompt `name` deployed in `env`, rendered by the server with `variables`. A variable problem raises
        `RenderError`; when the server cannot answer, `fallback` (a text) is returned (`is_fallback`)."""
        path = f"/v1/environments/{_quote(env)}/artifacts/prompt/{_quote(name)}/render"
        body = json.dumps({"variables": dict(variables or {})}).encode()
        try:
            status, _, answer = self._request("POST", path, body=body, headers={"Content-Type": "application/json"})
        except Unavailable:
            if fallback is not None:
                return Rendered(type="text", text=fallback, is_fallback=True)
            raise
        if status == 200:
            document = json.loads(answer)
            return Rendered(
                type=document["type"], text=document.get("text"), messages=document.get("messages"),
                version=document.get("version"), digest=document.get("digest"), fallback=document.get("fallback"),
            )
        if status >= 500 and fallback is not None:
            return Rendered(type="text", text=fallback, is_fallback=True)
        raise _error(status, answer)

    # -- snapshots

    def prefetch(self, env: str) -> int:
        """Fetches every artifact deployed in `env` into the cache (and the on-disk snapshot, when the client has
        `snapshot_path`); returns how many. Call it at start-up."""
        status, headers, body = self._request("GET", f"/v1/environments/{_quote(env)}/snapshot")
        if status != 200:
            raise _error(status, body)
        document = json.loads(body)
        now = self._clock()
        snapshot = _Snapshot(digest=document.get("digest"))
        with self._lock:
            for item in document["artifacts"]:
                kind, name = item["kind"], item["name"]
                snapshot.artifacts[(kind, name)] = item
                self._cache[(env, kind, name)] = _Entry(_artifact(kind, name, env, item), f'"{item["digest"]}"', now)
            self._snapshots[env] = snapshot
        if self.snapshot_path:
            self._save_snapshots(self.snapshot_path)
        return len(document["artifacts"])

    def snapshot(self, env: str) -> Dict[str, Any]:
        """The server's snapshot of `env` as it sent it (every deployed artifact with its content, and one digest)."""
        status, _, body = self._request("GET", f"/v1/environments/{_quote(env)}/snapshot")
        if status != 200:
            raise _error(status, body)
        return json.loads(body)

    def _save_snapshots(self, path: str) -> None:
        with self._lock:
            document = {
                env: {"digest": snapshot.digest, "artifacts": list(snapshot.artifacts.values())}
                for env, snapshot in self._snapshots.items()
            }
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".cairn-snapshot-")
        try:
            with os.fdopen(descriptor, "w") as handle:
                json.dump(document, handle)
            os.replace(temporary, path)  # a reader, or a crash, sees the old file or the new one
        except BaseException:
            os.unlink(temporary)
            raise

    def _load_snapshots(self, path: str) -> None:
        try:
            with open(path) as handle:
                document = json.load(handle)
        except (OSError, ValueError):
            return  # an unreadable snapshot is no snapshot
        for env, saved in document.items():
            snapshot = _Snapshot(digest=saved.get("digest"))
            for item in saved.get("artifacts", []):
                snapshot.artifacts[(item["kind"], item["name"])] = item
            self._snapshots[env] = snapshot

    # -- HTTP

    def _request(
        self, method: str, path: str, body: Optional[bytes] = None, headers: Optional[Mapping[str, str]] = None
    ) -> Tuple[int, Dict[str, str], bytes]:
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=dict(headers or {}))
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
        except (urllib.error.URLError, OSError) as error:
            raise Unavailable(f"{self.url}: {error}") from error


def _quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


def _artifact(kind: str, name: str, env: str, document: Mapping[str, Any]) -> Artifact:
    return Artifact(
        kind=kind, name=name, environment=env, content=document["content"], version=document.get("version"),
        digest=document.get("digest"), tag=document.get("tag"), commit=document.get("commit"),
    )


def _error(status: int, body: bytes) -> CairnError:
    try:
        message = json.loads(body).get("message", "")
    except ValueError:
        message = body.decode(errors="replace")
    if status == 404:
        return NotFound(status, message)
    if status == 422:
        return RenderError(status, message)
    return CairnError(status, message)
