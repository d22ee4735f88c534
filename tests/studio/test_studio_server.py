"""The studio's server: the page, clip facts and frames, uploads, contours, analyses and their refusals."""

from __future__ import annotations

import http.client
import io
import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from echostrain.io.contours import read_myocardium_contours


def wall_contour(data, step: int = 3) -> dict:
    endo = data.tracks[0, data.track_layer == 0][::step]
    epi = data.tracks[0, data.track_layer == 2][::step]
    return {"endo": endo.tolist(), "epi": epi.tolist(), "view": "a4c", "frame": 0}


def uploads(ws: Path) -> list[str]:
    folder = ws / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_page_and_its_files_come_from_the_package(studio_server):
    client, _, _ = studio_server
    status, html = client.get("/")
    assert status == 200 and b'id="canvas"' in html and b"/static/studio.js" in html
    for name in ("studio.js", "studio.css"):
        status, body = client.get(f"/static/{name}")
        assert status == 200 and len(body) > 500
        assert not re.search(rb"https?://", body), name  # no request leaves the machine
    assert not re.search(rb"(src|href)=\"https?://", html)
    assert client.get("/static/secret.py")[0] == 404


def test_clip_facts_suggested_phases_and_frames(studio_server, studio_clip):
    client, _, _ = studio_server
    _, _, data = studio_clip
    status, state = client.get("/api/state")
    assert status == 200 and state["clips"] == ["a4c.h5"] and "tasnet" in state["methods"]
    status, info = client.get("/api/clip?path=a4c.h5")
    assert status == 200
    assert (info["frames"], info["height"], info["width"]) == data.frames.shape
    assert info["view"] == "a4c" and info["ed_frame"] == 0 and info["es_frame"] == data.es_index
    assert info["phase_source"] == "file" and info["spacing_mm"] == pytest.approx(list(data.spacing_mm))
    status, png = client.get("/api/frame?path=a4c.h5&t=7")
    frame = np.asarray(Image.open(io.BytesIO(png)))
    expected = np.round(data.frames[7].astype(float) / (255.0 if data.frames.dtype == np.uint8 else 1.0) * 255)
    assert status == 200 and np.abs(frame.astype(float) - expected).max() <= 1
    status, body = client.get("/api/frame?path=a4c.h5&t=20")
    assert status == 400 and "not a frame of the clip" in body["error"]


@pytest.mark.parametrize("path", ["../outside.h5", "%2e%2e/%2e%2e/etc/passwd", "/etc/passwd", "sub/../../x.h5",
                                  "link_out.h5"])
def test_paths_outside_the_workspace_are_refused(studio_server, studio_clip, path):
    client, _, _ = studio_server
    ws, clip, _ = studio_clip
    outside = ws.parent / "outside.h5"
    outside.write_bytes(clip.read_bytes())  # a real clip just outside the workspace
    link = ws / "link_out.h5"
    link.unlink(missing_ok=True)
    link.symlink_to(outside)
    try:
        status, body = client.get(f"/api/clip?path={path}")
        assert status == 400 and ("outside the workspace" in body["error"] or "relative to the workspace" in body["error"])
        status, body = client.get(f"/files/{path}")
        assert status in (400, 404)
        status, state = client.get("/api/state")
        assert status == 200 and state["clips"] == ["a4c.h5"]  # the link out is not listed
    finally:
        link.unlink()
        outside.unlink()


def test_files_serves_report_files_only_and_hosts_are_checked(studio_server, studio_clip):
    client, _, _ = studio_server
    ws, _, _ = studio_clip
    (ws / "notes.txt").write_text("private")
    try:
        status, body = client.get("/files/notes.txt")
        assert status == 400 and "only reports are served" in body["error"]
        status, body = client.get("/files/a4c.h5")
        assert status == 400
    finally:
        (ws / "notes.txt").unlink()
    status, _ = client.request("GET", "/api/state", headers={"Host": "evil.example:80"})
    assert status == 400


def test_uploads_too_large_corrupt_or_truncated_leave_nothing(studio_server, studio_clip):
    client, _, settings = studio_server
    ws, clip, _ = studio_clip
    # declared too large: refused before the body is read
    host, port = client.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"PUT /api/upload?name=big.mp4 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
                     f"{settings.max_upload_bytes + 10}\r\n\r\n".encode())
        reply = ""
        while "}" not in reply:
            part = sock.recv(4096).decode()
            if not part:
                break
            reply += part
    assert reply.startswith("HTTP/1.1 413") and "larger than the limit" in reply
    # too large without a declared size (chunked): refused once the limit is passed
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    chunks = (b"\0" * 65536 for _ in range(settings.max_upload_bytes // 65536 + 2))
    conn.request("PUT", "/api/upload?name=big.mp4", body=chunks, encode_chunked=True)
    reply = conn.getresponse()
    assert reply.status == 413 and "larger than the limit" in reply.read().decode()
    conn.close()
    status, body = client.request("PUT", "/api/upload?name=noise.mp4", np.random.default_rng(0).bytes(5000))
    assert status == 400 and "error" in body
    half = clip.read_bytes()[:200_000]
    status, body = client.request("PUT", "/api/upload?name=cut.h5", half)
    assert status == 400 and "error" in body
    status, body = client.request("PUT", "/api/upload?name=notes.txt", b"hello")
    assert status == 400 and "file name must end in" in body["error"]
    assert uploads(ws) == []
    # a valid clip is kept and listed
    arr = (np.random.default_rng(1).random((6, 40, 50)) * 0.8 + 0.1).astype(np.float32)
    buf = io.BytesIO()
    np.save(buf, arr)
    status, body = client.request("PUT", "/api/upload?name=..%2F..%2Fmy%20clip.npy", buf.getvalue())
    assert status == 200 and body["path"] == "uploads/my_clip.npy"
    assert "uploads/my_clip.npy" in client.get("/api/state")[1]["clips"]
    (ws / "uploads" / "my_clip.npy").unlink()


def test_contours_too_short_or_outside_the_image_are_refused(studio_server, studio_clip):
    client, _, _ = studio_server
    ws, clip, data = studio_clip
    (ws / "a4c.h5_ed.json").unlink(missing_ok=True)
    good = wall_contour(data)
    cases = [
        ({**good, "endo": good["endo"][:2]}, "at least 3"),
        ({**good, "endo": []}, "no points"),
        ({**good, "epi": [[p[0] + 5000, p[1]] for p in good["epi"]]}, "outside the image"),
        ({**good, "frame": 99}, "ED frame must be a frame of the clip"),
        ({**good, "view": "psax"}, "not one of"),
        ({**good, "endo": "abc"}, "list of [x, y] points"),
    ]
    for contour, text in cases:
        status, body = client.post("/api/contour", {"path": "a4c.h5", **contour})
        assert status == 400 and text in body["error"], (text, body)
        assert not (ws / "a4c.h5_ed.json").exists()
        assert not list(ws.glob(".contour-*"))
    status, body = client.post("/api/contour", {"path": "a4c.h5", **good, "fps": "inf"})
    assert status == 400 and "positive number" in body["error"] and not (ws / "a4c.h5_ed.json").exists()
    # only JSON bodies: a form or text/plain post of another site is refused
    status, body = client.request("POST", "/api/contour", json.dumps({"path": "a4c.h5", **good}).encode(),
                                  headers={"Content-Type": "text/plain"})
    assert status == 400 and "application/json" in body["error"] and not (ws / "a4c.h5_ed.json").exists()
    status, body = client.post("/api/contour", {"path": "a4c.h5", **good})
    assert status == 200 and body["saved"] == "a4c.h5_ed.json"
    assert 0 < body["es_suggestion"] < data.frames.shape[0]
    saved = read_myocardium_contours(ws / "a4c.h5_ed.json", data.frames.shape[1:])
    assert saved["view"] == "a4c" and saved["frame"] == 0
    np.testing.assert_allclose(saved["endo"], good["endo"], atol=1e-3)
    (ws / "a4c.h5_ed.json").unlink()


def test_one_analysis_at_a_time_and_its_result_is_the_report(studio_server, studio_clip, tmp_path):
    from echostrain.workflows.analyze import analyze

    client, app, _ = studio_server
    ws, clip, data = studio_clip
    (ws / "a4c.h5_ed.json").unlink(missing_ok=True)
    assert client.post("/api/analyze", {"path": "a4c.h5"})[1]["error"].startswith("no saved contour")
    assert client.post("/api/contour", {"path": "a4c.h5", **wall_contour(data)})[0] == 200
    # while a job runs (held in the running state here), a second one is refused
    session = app.state.session
    from echostrain.studio.session import Job

    session.job = Job(clip="a4c.h5", state="running")
    status, body = client.post("/api/analyze", {"path": "a4c.h5", "method": "blockmatch", "ed_frame": 0})
    assert status == 409 and "is running" in body["error"]
    session.job = Job()
    status, _ = client.post("/api/analyze", {"path": "a4c.h5", "method": "blockmatch", "ed_frame": 0})
    assert status == 202
    session.wait(300)
    status, job = client.get("/api/job")
    assert job["state"] == "done", job
    status, result = client.get("/api/result?path=a4c.h5")
    reference = analyze([clip], [ws / "a4c.h5_ed.json"], tmp_path / "ref", method="blockmatch")
    assert result["gls_pct"] == pytest.approx(reference["gls_pct"]["a4c"], abs=1e-9)
    assert len(result["tracks"]) == data.frames.shape[0] and len(result["layer"]) == len(result["tracks"][0])
    status, html = client.get(f"/files/{result['report']}")
    assert status == 200 and b"Global longitudinal strain" in html
    assert client.get("/api/clip?path=a4c.h5")[1]["analysed"] is True
    # a report made before tracked walls were regularised (no wall_smoothing_points in its stamp) is stale
    stamp_file = session.workspace.report_dir(clip) / "studio.json"
    kept = stamp_file.read_text()
    stamp_file.write_text(json.dumps({k: v for k, v in json.loads(kept).items() if k != "wall_smoothing_points"}))
    assert client.get("/api/clip?path=a4c.h5")[1]["analysed"] is False
    stamp_file.write_text(kept)
    assert client.get("/api/clip?path=a4c.h5")[1]["analysed"] is True
    # a contour saved again (another one) makes the report stale: no result until it is run again
    moved = wall_contour(data)
    moved["endo"] = [[x + 1.0, y] for x, y in moved["endo"]]
    assert client.post("/api/contour", {"path": "a4c.h5", **moved})[0] == 200
    assert client.get("/api/clip?path=a4c.h5")[1]["analysed"] is False
    status, body = client.get("/api/result?path=a4c.h5")
    assert status == 400 and "run the analysis" in body["error"]
    for bad, text in [({"method": "raft"}, "unknown tracking method"), ({"fps": "nan"}, "positive number"),
                      ({"fps": -5}, "positive number"), ({"spacing_mm": [0.3, float("inf")]}, "two positive numbers"),
                      ({"es_frame": 0}, "after the ED frame")]:
        status, body = client.post("/api/analyze", {"path": "a4c.h5", "method": "blockmatch", "ed_frame": 0, **bad})
        assert status == 400 and text in body["error"], (bad, body)
    assert session.job_state()["state"] == "idle" or session.job_state()["state"] == "done"


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp) of sockets listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_cli_listens_on_localhost_by_default_and_refuses_bad_options(studio_clip, tmp_path):
    ws, clip, _ = studio_clip
    proc = subprocess.Popen([sys.executable, "-m", "echostrain", "studio", str(clip), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        match = re.search(r"http://([\d.]+):(\d+)/", line)
        assert match and match.group(1) == "127.0.0.1", line + proc.stderr.read() if proc.poll() else line
        port = int(match.group(2))
        for _ in range(50):
            if _listening_addresses(port):
                break
            time.sleep(0.1)
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only
    finally:
        proc.terminate()
        proc.wait(10)
    other = tmp_path / "elsewhere.h5"
    other.write_bytes(b"x")
    cases = [
        (["studio", str(other), "--workspace", str(ws)], "outside the workspace"),
        (["studio", "--workspace", str(tmp_path / "missing")], "is not a folder"),
        (["studio", "--workspace", str(ws), "--max-upload-mb", "0"], "--max-upload-mb"),
        (["studio", "--workspace", str(ws), "--port", "70000"], "--port"),
    ]
    for args, text in cases:
        done = subprocess.run([sys.executable, "-m", "echostrain", *args], capture_output=True, text=True, timeout=60)
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
        assert done.returncode == 2 and len(lines) == 1 and text in lines[0], done.stderr
