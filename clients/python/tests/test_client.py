"""cairn_client against a real `cairn serve` (CAIRN_BINARY, else the debug build) on a loopback port, over a throw-away
git repository holding the example registry."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, List, Optional

import pytest

HERE = Path(__file__).resolve().parent
TOP = HERE.parents[2]
sys.path.insert(0, str(HERE.parent))

from cairn_client import Client, NotFound, RenderError, Unavailable  # noqa: E402

BINARY = os.environ.get("CAIRN_BINARY", str(TOP / ".build" / "debug" / "cairn"))
IDENTITY = {"GIT_AUTHOR_NAME": "client", "GIT_AUTHOR_EMAIL": "client@example.invalid",
            "GIT_COMMITTER_NAME": "client", "GIT_COMMITTER_EMAIL": "client@example.invalid"}


def cairn(repo: Path, *arguments: str) -> str:
    result = subprocess.run([BINARY, *arguments, "--path", "registry", "--actor", "client"], cwd=repo,
                            env={**os.environ, **IDENTITY}, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


class Server:
    def __init__(self, repo: Path, *arguments: str) -> None:
        self.log = repo / f"serve-{time.monotonic_ns()}.log"
        self.handle = open(self.log, "w")
        self.process = subprocess.Popen([BINARY, "serve", "--path", "registry", "--listen", "127.0.0.1:0", "--interval", "1h", *arguments],
                                        cwd=repo, stdout=self.handle, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        self.address = ""
        while time.monotonic() < deadline and not self.address:
            match = re.search(r"^listening on (\S+)$", self.log.read_text(), re.M)
            if match:
                self.address = match.group(1)
            elif self.process.poll() is not None:
                break
            else:
                time.sleep(0.05)
        assert self.address, self.log.read_text()
        self.url = f"http://{self.address}"

    def requests(self, route: str, status: int) -> int:
        """How many requests the server counted for `route` with `status` (its /metrics). cairn counts a request when
        its response is made, before it is written, so the count is there when the answer arrives."""
        text = Client(self.url)._request("GET", "/metrics")[2].decode()
        pattern = r'^cairn_http_requests_total\{route="%s",method="GET",status="%d"\} (\d+)$' % (re.escape(route), status)
        match = re.search(pattern, text, re.M)
        return int(match.group(1)) if match else 0

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.handle.close()
        return code


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    shutil.copytree(TOP / "registry-example", repo / "registry")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "registry"], cwd=repo, check=True, env={**os.environ, **IDENTITY})
    cairn(repo, "register", "--all")
    cairn(repo, "promote", "deployment/support-bot@1.4.0", "--to", "dev")
    cairn(repo, "apply", "--env", "dev", "--auto-approve")
    return repo


@pytest.fixture
def server(repo: Path) -> Iterator[Server]:
    running = Server(repo)
    yield running
    if running.process.poll() is None:
        assert running.stop() == 0


class Clock:
    """A clock the test moves, so that TTLs pass without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


ROUTE = "/v1/environments/{env}/artifacts/{kind}/{name}"


def test_get_caches_for_the_ttl_then_revalidates_with_the_etag(repo: Path, server: Server) -> None:
    clock = Clock()
    client = Client(server.url, ttl=60, clock=clock)
    first = client.get("prompt", "support-triage", "dev")
    assert first.version == "1.3.0" and first.source == "server" and not first.is_stale and not first.is_fallback
    assert first.content["metadata"]["name"] == "support-triage" and first.digest and first.digest.startswith("sha256:")
    assert server.requests(ROUTE, 200) == 1

    clock.now += 30
    assert client.get("prompt", "support-triage", "dev").source == "memory"
    assert server.requests(ROUTE, 200) == 1 and server.requests(ROUTE, 304) == 0

    clock.now += 31
    again = client.get("prompt", "support-triage", "dev")
    assert again.version == "1.3.0" and server.requests(ROUTE, 304) == 1 and server.requests(ROUTE, 200) == 1


def test_a_new_version_is_seen_after_the_ttl(repo: Path, server: Server) -> None:
    clock = Clock()
    client = Client(server.url, ttl=5, clock=clock)
    assert client.get("prompt", "support-triage", "dev").version == "1.3.0"
    # The prompt, and the chain and deployment that pin it.
    subprocess.run([BINARY, "bump", "prompt/support-triage", "patch", "--path", "registry"], cwd=repo, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-qam", "support-triage 1.3.1"], cwd=repo, check=True, env={**os.environ, **IDENTITY})
    cairn(repo, "register", "--all")
    cairn(repo, "promote", "deployment/support-bot@1.4.1", "--to", "dev")
    cairn(repo, "apply", "--env", "dev", "--auto-approve")
    clock.now += 6
    assert client.get("prompt", "support-triage", "dev").version == "1.3.1"


def test_server_gone_serves_the_copy_then_the_snapshot_then_the_fallback(repo: Path, server: Server, tmp_path: Path) -> None:
    snapshot = tmp_path / "cache" / "prompts.json"
    clock = Clock()
    client = Client(server.url, ttl=1, clock=clock, snapshot_path=str(snapshot))
    assert client.prefetch("dev") == 8 and snapshot.exists()
    assert client.get("prompt", "support-triage", "dev").source == "memory"  # prefetched
    assert server.stop() == 0

    clock.now += 2
    stale = client.get("prompt", "support-triage", "dev")
    assert stale.is_stale and stale.source == "memory" and stale.version == "1.3.0"

    # A new process, the server still away: the snapshot on disk answers.
    later = Client(server.url, snapshot_path=str(snapshot))
    from_disk = later.get("chain", "support-router", "dev")
    assert from_disk.is_stale and from_disk.source == "snapshot" and from_disk.version == "1.4.0"
    assert from_disk.content["kind"] == "Chain"

    fallback = later.get("prompt", "not-there", "dev", fallback={"spec": {"template": "Hello"}})
    assert fallback.is_fallback and fallback.content == {"spec": {"template": "Hello"}}
    with pytest.raises(Unavailable):
        later.get("prompt", "not-there", "dev")
    assert later.render("support-triage", "dev", {}, fallback="Triage this ticket.").is_fallback


def test_not_deployed_is_not_found_unless_there_is_a_fallback(server: Server) -> None:
    client = Client(server.url)
    with pytest.raises(NotFound) as raised:
        client.get("prompt", "support-triag", "dev")
    assert "did you mean prompt/support-triage?" in raised.value.message
    assert client.get("prompt", "refund-policy-answer", "dev", fallback={"x": 1}).is_fallback


def test_render_returns_messages_and_the_deployments_fallback(server: Server) -> None:
    client = Client(server.url)
    rendered = client.render("support-triage", "dev", {"subject": "Late order", "body": "Where is it?"})
    assert rendered.type == "chat" and rendered.messages is not None and not rendered.is_fallback
    assert rendered.messages[-1] == {"role": "user", "content": "Ticket subject: Late order\n\nWhere is it?"}
    assert rendered.fallback is not None and rendered.fallback["deployment"] == "deployment/support-bot"
    with pytest.raises(RenderError) as raised:
        client.render("support-triage", "dev", {"subject": "Late order"})
    assert "missing required variable 'body'" in raised.value.message


def test_snapshot_has_every_artifact_and_one_digest(server: Server) -> None:
    document = Client(server.url).snapshot("dev")
    assert len(document["artifacts"]) == 8 and document["digest"].startswith("sha256:")


def test_the_token(repo: Path, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("t0ken\n")
    guarded = Server(repo, "--token-file", str(token))
    try:
        from cairn_client import CairnError
        with pytest.raises(CairnError) as raised:
            Client(guarded.url).get("prompt", "support-triage", "dev")
        assert raised.value.status == 401
        assert Client(guarded.url, token="t0ken").get("prompt", "support-triage", "dev").version == "1.3.0"
    finally:
        assert guarded.stop() == 0
