"""A studio server over a workspace holding one small simulated A4C clip, running in a thread."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest


class Client:
    """Requests to a running studio: ``(status, body)`` with JSON bodies decoded."""

    def __init__(self, url: str) -> None:
        self.url = url

    def request(self, method: str, path: str, body: bytes | dict | None = None, headers: dict | None = None):
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        hdrs = {"Content-Type": "application/json"} if isinstance(body, dict) else {}
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={**hdrs, **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                status, raw, ctype = resp.status, resp.read(), resp.headers.get("content-type", "")
        except urllib.error.HTTPError as err:
            status, raw, ctype = err.code, err.read(), err.headers.get("content-type", "")
        return status, (json.loads(raw) if "json" in ctype else raw)

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, body: dict):
        return self.request("POST", path, body)


@pytest.fixture(scope="package")
def studio_clip(tmp_path_factory):
    """(workspace, clip path, SequenceData) of a 20-frame A4C simulation."""
    from echostrain.io.sequence import write_sequence
    from echostrain.sim.sequence import SequenceConfig, simulate_sequence

    ws = tmp_path_factory.mktemp("workspace")
    data = simulate_sequence(SequenceConfig(view="a4c", n_frames=20, per_cell=2.0, pathology="normal"), seed=5)
    write_sequence(ws / "a4c.h5", data)
    return ws, ws / "a4c.h5", data


@pytest.fixture(scope="package")
def studio_server(studio_clip):
    """(Client, app, settings) of a studio over the clip's workspace; stopped after the tests."""
    import uvicorn

    from echostrain.studio.app import create_app, listening_socket
    from echostrain.studio.settings import StudioSettings

    ws, _, _ = studio_clip
    settings = StudioSettings(workspace=ws, port=0, max_upload_mb=1.0)
    sock = listening_socket("127.0.0.1", 0)
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    host, port = sock.getsockname()[:2]
    yield Client(f"http://{host}:{port}"), app, settings
    server.should_exit = True
    thread.join(10)
    sock.close()
