"""The studio in a real headless Chromium: open a clip, click a contour, save it, analyse, read the GLS.

Screenshots of each step go to ``$ECHOSTRAIN_STUDIO_SHOTS`` when it is set
(``docs/studio/`` holds the committed ones), else to the test's folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM and DRIVER, "headless Chromium is missing: `make test` installs it (Makefile target chromium)"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1400",
                "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def wait_for(driver, condition, timeout_s: float = 60.0, what: str = "") -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.1)
    message = driver.find_element("id", "message").text
    raise AssertionError(f"timed out waiting for {what} (page says: {message!r})")


def screenshot(driver, folder: Path, name: str) -> np.ndarray:
    path = folder / name
    driver.save_screenshot(str(path))
    return np.asarray(Image.open(path).convert("RGB"))


def test_draw_save_analyse_in_the_page(browser, studio_server, studio_clip, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains

    client, app, _ = studio_server
    ws, clip, data = studio_clip
    shots = Path(os.environ.get("ECHOSTRAIN_STUDIO_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    for stale in ("a4c.h5_ed.json",):
        (ws / stale).unlink(missing_ok=True)
    shutil.rmtree(ws / "a4c.h5_analysis", ignore_errors=True)
    d = browser
    d.get(client.url + "/")
    message = lambda: d.find_element("id", "message").text  # noqa: E731
    wait_for(d, lambda: message().startswith("opened"), what="the clip to open")
    screenshot(d, shots, "studio_1_open.png")

    # saving before any point is drawn: the page says why, nothing is written
    d.find_element("id", "save-contour").click()
    wait_for(d, lambda: "no points" in message(), what="the refusal of an empty contour")
    assert "error" in d.find_element("id", "message").get_attribute("class")
    assert not (ws / "a4c.h5_ed.json").exists()

    # click the endocardium (every 4th true ED point: hinge → apex → hinge) on the canvas
    canvas = d.find_element("id", "canvas")
    scale = d.execute_script("return studio.scale")
    width, height = canvas.size["width"], canvas.size["height"]
    endo = data.tracks[0, data.track_layer == 0][::4]
    for x, y in endo:
        ActionChains(d).move_to_element_with_offset(canvas, int(round(x * scale - width / 2)),
                                                    int(round(y * scale - height / 2))).click().perform()
    clicked = np.asarray(d.execute_script("return studio.endo"))
    assert clicked.shape == endo.shape and np.abs(clicked - endo).max() < 1.5 / scale + 0.5
    # undo takes the last point away, clicking it again puts it back
    d.find_element("id", "undo").click()
    assert len(d.execute_script("return studio.endo")) == len(endo) - 1
    x, y = endo[-1]
    ActionChains(d).move_to_element_with_offset(canvas, int(round(x * scale - width / 2)),
                                                int(round(y * scale - height / 2))).click().perform()
    assert len(d.execute_script("return studio.endo")) == len(endo)
    screenshot(d, shots, "studio_2_contour.png")

    d.find_element("id", "save-contour").click()
    wait_for(d, lambda: message().startswith("contour saved"), what="the contour to be saved")
    assert (ws / "a4c.h5_ed.json").is_file()

    d.find_element("id", "run").click()
    wait_for(d, lambda: message() == "analysis done", timeout_s=300, what="the analysis")
    shown = float(d.find_element("id", "gls-value").text)
    # the same contour through the command line (TAS-Net, the page's default; ES as the page sent it)
    es = int(d.find_element("id", "es-frame").get_attribute("value"))
    done = subprocess.run([sys.executable, "-m", "echostrain", "analyze", str(clip), "--contour", str(ws / "a4c.h5_ed.json"),
                           "--es-frame", str(es), "--out", str(tmp_path / "ref")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    reference = json.loads((tmp_path / "ref" / "summary.json").read_text())
    assert shown == pytest.approx(round(reference["gls_pct"]["a4c"], 2), abs=0.005)
    assert reference["clips"][0]["strain"]["es_frame"] == es == data.es_index
    rows = d.find_elements("css selector", "#segment-table tbody tr")
    assert len(rows) == 6

    # the tracked points at ES, over the wall: red endocardial dots lie on the true ES endocardium
    d.execute_script("studio_show(arguments[0])", es)
    img = screenshot(d, shots, "studio_3_tracked.png")
    d.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    screenshot(d, shots, "studio_4_results.png")
    left, top = canvas.location["x"], canvas.location["y"]
    part = img[top : top + height, left : left + width].astype(int)
    red = (np.abs(part - np.array([255, 48, 48])) <= 30).all(axis=-1)
    ys, xs = np.nonzero(red)
    assert xs.size > 100, "no tracked endocardial points drawn"
    true_es = data.tracks[es, data.track_layer == 0]
    dots = np.stack([xs, ys], -1) / scale  # image px
    dist_px = np.min(np.hypot(*(dots[:, None, :] - true_es[None]).transpose(2, 0, 1)), axis=1)
    mm = dist_px * float(data.spacing_mm[0])
    assert np.median(mm) < 1.0, np.median(mm)
    # and they moved with the wall: most of them lie closer to the ES wall than to the ED one
    true_ed = data.tracks[0, data.track_layer == 0]
    dist_ed = np.min(np.hypot(*(dots[:, None, :] - true_ed[None]).transpose(2, 0, 1)), axis=1)
    assert np.mean(dist_px < dist_ed) > 0.6
