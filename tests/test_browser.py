"""Browser smoke test: chapter 01 in real JupyterLab, run in headless chromium, its widget moved.

It starts JupyterLab from this environment on a copy of the notebook (JupyterLab autosaves, and
the repository's notebooks must never get outputs), clicks Run > Run All Cells, checks that every
code cell ran without an error, then presses ArrowRight on the neuron explorer's `w` slider and
waits for the kernel to print the new value. Debian's chromium is used, never a downloaded one.
"""
from __future__ import annotations

import json
import math
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright python package is not installed")

CHROMIUM = shutil.which("chromium")
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "01_neurons.ipynb"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SERVER_START_S = 45   # JupyterLab answers /api/status within this
PAGE_TIMEOUT_MS = 30_000   # any single browser action or wait
RUN_ALL_TIMEOUT_MS = 60_000   # the whole notebook, kernel start included
STEPS = 5   # ArrowRight presses on the w slider (step 0.1)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(240),  # a backstop; every step below has its own, shorter timeout
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def _lab_env(base: Path) -> dict[str, str]:
    """Private HOME and Jupyter dirs; the venv's share/jupyter (lab extensions) stays on the path."""
    dirs = {"HOME": "home", "JUPYTER_CONFIG_DIR": "config", "JUPYTER_DATA_DIR": "data",
            "JUPYTER_RUNTIME_DIR": "runtime"}
    env = dict(os.environ)
    env.pop("JUPYTER_PATH", None)
    env.pop("MPLBACKEND", None)  # the test run's "agg" would hide the figures; a student's lab shows them inline
    for name, sub in dirs.items():
        (base / sub).mkdir()
        env[name] = str(base / sub)
    env["JUPYTERLAB_SETTINGS_DIR"] = str(base / "config" / "lab" / "user-settings")
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(base / "config" / "lab" / "workspaces")
    # No news or update checks: they would try to leave the machine.
    settings = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab"
    _write_json(settings / "apputils-extension" / "notification.jupyterlab-settings",
                {"fetchNews": "false", "checkForUpdates": False})
    return env


def _status_ok(url: str, token: str) -> bool:
    request = urllib.request.Request(f"{url}/api/status", headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except OSError:  # URLError is an OSError
        return False


def _log_tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture
def lab(tmp_path):
    """A running JupyterLab serving a copy of chapter 01; yields (base url, token). Always stopped."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    env = _lab_env(tmp_path)
    token, port = secrets.token_hex(16), _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "jupyterlab.log"
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
               f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    with open(log, "wb") as out:
        server = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while not _status_ok(url, token):
            if server.poll() is not None or time.monotonic() > deadline:
                state = f"exited with {server.returncode}" if server.poll() is not None else \
                    f"did not answer within {SERVER_START_S} s"
                pytest.fail(f"JupyterLab {state}; log tail ({log}):\n{_log_tail(log)}")
            time.sleep(0.3)
        yield url, token
    finally:
        _stop(server, url, token)


def _stop(server: subprocess.Popen, url: str, token: str) -> None:
    """Ask the server to shut down (it stops its kernels too); terminate, then kill, if it lingers."""
    if server.poll() is None:
        request = urllib.request.Request(f"{url}/api/shutdown", method="POST",
                                         headers={"Authorization": f"token {token}"})
        try:
            urllib.request.urlopen(request, timeout=5).close()
        except OSError:  # URLError is an OSError
            pass
    for escalate in (lambda: None, server.terminate, server.kill):
        escalate()
        try:
            server.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def _screenshot_on_failure(page, path: Path):
    """Re-raise any failure with a screenshot of the page saved at `path`."""
    try:
        yield
    except Exception as error:
        try:
            page.screenshot(path=str(path), full_page=True, timeout=10_000)
            where = f"screenshot: {path}"
        except Exception as shot_error:  # the page itself may be gone
            where = f"no screenshot ({shot_error})"
        raise AssertionError(f"{error}\n{where}") from error


# Runs in the page: the notebook's state from its model (window.jupyterapp is exposed by the server).
NOTEBOOK_STATE_JS = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const cells = panel.content.model.toJSON().cells.filter(c => c.cell_type === 'code');
    const errors = cells.flatMap(c => c.outputs.filter(o => o.output_type === 'error'))
                        .map(o => `${o.ename}: ${o.evalue}`);
    return {cells: cells.length, done: cells.filter(c => Number.isInteger(c.execution_count)).length,
            errors, kernel: panel.sessionContext.session?.kernel?.status ?? 'none'};
}"""


def _expected_readout(w: float, b: float) -> str:
    """What the explorer prints for the sigmoid neuron (its default activation) at x = 1."""
    s = 1 / (1 + math.exp(-(w + b)))
    return f"at x = 1: y = {s:.3f}, ∂y/∂w = {s * (1 - s):.3f}"


def test_chapter_01_runs_and_its_widget_responds(lab, tmp_path):
    url, token = lab
    expect = sync_api.expect
    expect.set_options(timeout=PAGE_TIMEOUT_MS)  # its default, 5 s, is short for a busy CI kernel
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                                             timeout=PAGE_TIMEOUT_MS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            with _screenshot_on_failure(page, tmp_path / "jupyterlab.png"):
                page.goto(f"{url}/lab/tree/{NOTEBOOK.name}?token={token}", wait_until="domcontentloaded")
                page.wait_for_function("() => window.jupyterapp?.shell.currentWidget?.sessionContext"
                                       "?.session?.kernel?.status === 'idle'")

                page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
                page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
                page.wait_for_function(f"() => {{ const s = ({NOTEBOOK_STATE_JS})();"
                                       " return s.errors.length > 0 || (s.done === s.cells && s.kernel === 'idle'); }",
                                       timeout=RUN_ALL_TIMEOUT_MS)
                state = page.evaluate(NOTEBOOK_STATE_JS)
                # JupyterLab renders an error output as stderr text; warnings are stderr too, tracebacks are not
                tracebacks = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                                          has_text="Traceback (most recent call last)")
                assert not state["errors"] and tracebacks.count() == 0, \
                    f"cells raised {state['errors']}; {tracebacks.count()} traceback(s) shown"
                assert state["done"] == state["cells"] > 0, f"not every code cell ran: {state}"

                # The widget really rendered: a noUiSlider labelled w, and the explorer's printout.
                w_slider = page.locator(".widget-hslider").filter(
                    has=page.locator(".widget-label", has_text=re.compile(r"^w$")))
                expect(w_slider).to_have_count(1)
                handle = w_slider.locator(".noUi-handle")
                readout = page.locator(".widget-output .jp-RenderedText", has_text="at x = 1:")
                expect(readout).to_have_text(_expected_readout(1.0, 0.0))

                handle.scroll_into_view_if_needed()
                handle.focus()
                for _ in range(STEPS):
                    page.keyboard.press("ArrowRight")
                expect(w_slider.locator(".widget-readout")).to_have_text(f"{1.0 + 0.1 * STEPS:.2f}")
                expect(readout).to_have_text(_expected_readout(1.0 + 0.1 * STEPS, 0.0))
                # the redraw replaced the figure rather than adding one
                expect(page.locator(".widget-output [data-mime-type='image/png'] img")).to_have_count(1)
        finally:
            browser.close()
