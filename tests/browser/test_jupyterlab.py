"""JupyterLab in headless Chromium: the quickstart notebook's widgets render and work.

Starts a sandbox in this process and a JupyterLab server on 127.0.0.1 whose kernels get the
sandbox's address in ``TRUENAS_URL``/``TRUENAS_API_KEY``/``TRUENAS_USERNAME`` and, to ask for
it explicitly, ``SCALE_PILOT_TARGET=nas`` (so the notebook's target is that NAS). Opens a copy
of ``01-quickstart.ipynb`` with Playwright driving Debian's Chromium, runs all cells, checks
the dashboard (buttons enabled by state with their reasons, header, cpu/memory from a stats
sample, the filter box), the log viewer (the newest line inside the visible box, lines that
wrap between words, the search box) and the deploy form: validates a flawed file (the first
error's line marked in view under the editor) and then the real one, deploys it with the
Deploy button, and checks through our own connection that the app exists on the sandbox.
Screenshots of the dashboard, the form with a validation report and the log viewer go to
``docs/screenshots/``.

Run by ``make browser`` (``.ci/run`` installs Chromium and the ``browser`` extra first).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.records import AppState
from scale_pilot_nb.sandbox import Sandbox

if TYPE_CHECKING:
    from playwright.sync_api import Locator

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Lab settings: render every cell (no windowing) and never ask about news or updates.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}
SERVER_START_TIMEOUT = 90.0
CELLS_TIMEOUT_MS = 60_000
ACTION_TIMEOUT_MS = 60_000
FLAWED_NAME = "my-redis"
#: True once the open notebook's kernel is connected and idle (cells sent earlier are lost).
KERNEL_READY = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
        && panel.sessionContext.session.kernel;
    return Boolean(kernel && kernel.connectionStatus === "connected" && kernel.status === "idle");
}"""
#: How far the newest log line's bottom is below its scroll box's visible bottom (px; <= 0 is
#: fully in view), and the wrapping style of the lines.
LAST_LOG_LINE = """(view) => {
    const lines = view.querySelectorAll(".sp-log-line");
    const last = lines[lines.length - 1];
    const style = getComputedStyle(last);
    return {
        below: last.getBoundingClientRect().bottom - view.getBoundingClientRect().bottom,
        above: view.getBoundingClientRect().top - last.getBoundingClientRect().top,
        wordBreak: style.wordBreak,
        overflowWrap: style.overflowWrap,
        whiteSpace: style.whiteSpace,
    };
}"""
#: True when a button's label is shown whole (not cut or ellipsised).
BUTTON_LABEL_FITS = "(button) => button.scrollWidth <= button.clientWidth"
#: Seconds the dashboard may take to show its first app.stats sample (one every 2 s).
STATS_TIMEOUT_MS = 15_000


def _requirements() -> None:
    """Skip (or, on CI, fail) when the browser tools are not installed."""
    missing = []
    for module in ("jupyterlab", "playwright"):
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(f"{module} (pip install -e '.[browser]')")
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if missing:
        message = f"browser test needs: {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed="demo") as sb:
        yield sb


@pytest.fixture
def pilot(sandbox: Sandbox) -> Iterator[Pilot]:
    manager = TrueNASDockerManager(sandbox.url, sandbox.api_key, username=sandbox.username)
    with Pilot(manager) as pilot:
        yield pilot


@pytest.fixture
def lab(sandbox: Sandbox, tmp_path: Path) -> Iterator[str]:
    """A JupyterLab server serving a copy of the notebooks; yields its base URL with token."""
    _requirements()
    root = tmp_path / "root"
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    settings = tmp_path / "settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "TRUENAS_URL": sandbox.url,
        "TRUENAS_API_KEY": sandbox.api_key,
        "TRUENAS_USERNAME": sandbox.username,
        "SCALE_PILOT_TARGET": "nas",  # TRUENAS_* alone would leave the notebook on its own
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.open_browser=False",
        "--LabApp.expose_app_in_browser=True",
    ]
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(server, f"{base}/api/status?token={token}", tmp_path / "lab.log")
        yield f"{base}/lab/tree/notebooks/01-quickstart.ipynb?token={token}"
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)
        log.close()


def _wait_until_ready(server: subprocess.Popen[bytes], status_url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(status_url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"JupyterLab did not start within {SERVER_START_TIMEOUT} s")


def test_quickstart_widgets_render_and_deploy_from_the_form(
    lab: str, pilot: Pilot, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(ACTION_TIMEOUT_MS)
            page.goto(lab)
            page.wait_for_selector(".jp-Notebook")
            page.wait_for_function(KERNEL_READY)
            # Start the run without waiting for the command's promise (it spans every cell).
            page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")

            # Every cell ran: the last one shows the deploy form.
            form = page.locator(".sp-deploy-form")
            form.wait_for(timeout=CELLS_TIMEOUT_MS)
            dashboard = page.locator(".sp-dashboard")
            expect(dashboard.locator(".sp-state")).to_have_count(10)  # 9 demo apps + my-nginx
            expect(dashboard.get_by_role("button", name="Stop")).to_have_count(10)
            _check_dashboard(dashboard)
            viewer = page.locator(".sp-log-viewer")
            _check_log_viewer(viewer)
            viewer.scroll_into_view_if_needed()
            viewer.screenshot(path=str(SCREENSHOTS / "log-viewer.png"))

            # Validate a flawed file in the form: the report lists the errors.
            editor = form.locator("textarea")
            original = editor.input_value()
            flawed = original.replace("redis:7.4.2-alpine", "redis").replace("36379:", "80:")
            editor.fill(flawed)
            form.get_by_role("button", name="Validate").click()
            results = form.locator(".widget-output")
            expect(results).to_contain_text("truenas.reserved-port")
            expect(results).to_contain_text("redis.yml")  # the report names the file
            expect(results).not_to_contain_text("<string>")
            marked = form.locator(".sp-excerpt-hit")
            expect(marked).to_be_visible()
            expect(marked).to_contain_text("80:6379")  # the port line, by its own text
            marked.scroll_into_view_if_needed()
            expect(marked).to_be_in_viewport()
            form.scroll_into_view_if_needed()
            form.screenshot(path=str(SCREENSHOTS / "deploy-form-validation.png"))

            # Put the example back, validate it, deploy it with the button.
            editor.fill(original)
            form.get_by_role("button", name="Validate").click()
            expect(results).not_to_contain_text("truenas.reserved-port")
            expect(marked).to_have_count(0)
            form.get_by_role("button", name="Deploy").click()
            expect(form.locator(".sp-progress-text")).to_contain_text(
                f"{FLAWED_NAME} is RUNNING", timeout=ACTION_TIMEOUT_MS
            )
            assert pilot.app(FLAWED_NAME).state is AppState.RUNNING

            # The dashboard learnt about the new app from events, without a refresh.
            expect(dashboard.locator(".sp-state")).to_have_count(11)
            expect(dashboard).to_contain_text(FLAWED_NAME)
            dashboard.scroll_into_view_if_needed()
            dashboard.screenshot(path=str(SCREENSHOTS / "dashboard.png"))
        except BaseException:
            failure = tmp_path / "failure.png"
            page.screenshot(path=str(failure), full_page=True)
            print(f"page at the failure: {failure}; Lab log: {tmp_path / 'lab.log'}")
            raise
        finally:
            browser.close()


def _check_dashboard(dashboard: Locator) -> None:
    """Header, buttons by state with their reasons, a stats sample, and the filter box."""
    from playwright.sync_api import expect

    expect(dashboard.locator(".sp-dashboard-header")).to_contain_text("Dashboard of truenas")
    expect(dashboard.locator(".sp-dashboard-header")).to_contain_text("updated ")
    stop, start = dashboard.locator(".sp-stop-syncthing"), dashboard.locator(".sp-start-syncthing")
    expect(stop).to_be_disabled()
    expect(stop).to_have_attribute("title", "syncthing is STOPPED: nothing to stop (use Start)")
    expect(start).to_be_enabled()
    expect(dashboard.locator(".sp-start-whoami")).to_be_disabled()
    expect(dashboard.locator(".sp-stop-whoami")).to_be_enabled()
    # Ten columns fit the notebook: the last button ends inside the dashboard, label whole.
    restart = dashboard.locator(".sp-restart-whoami")
    box, button = dashboard.bounding_box(), restart.bounding_box()
    assert box is not None and button is not None
    assert button["x"] + button["width"] <= box["x"] + box["width"], (button, box)
    assert restart.evaluate(BUTTON_LABEL_FITS), "the Restart label is cut"
    expect(dashboard.get_by_text(re.compile(r"^\d+\.\d %$")).first).to_be_visible(
        timeout=STATS_TIMEOUT_MS
    )
    expect(dashboard.get_by_text(re.compile(r"^\d+\.\d (KiB|MiB|GiB)$")).first).to_be_visible()
    search = dashboard.get_by_placeholder("name or state")
    search.fill("stopped")
    expect(dashboard.locator(".sp-state")).to_have_count(3)  # syncthing, backup-sync, my-nginx
    search.fill("")
    expect(dashboard.locator(".sp-state")).to_have_count(10)


def _check_log_viewer(viewer: Locator) -> None:
    """The newest line sits inside the visible box; lines wrap between words; search works."""
    from playwright.sync_api import expect

    view = viewer.locator(".sp-log-view")
    expect(view).to_contain_text("nginx | ")
    expect(view.locator(".sp-log-service").first).to_have_class(re.compile(r"sp-svc-\d"))
    last = view.evaluate(LAST_LOG_LINE)
    assert last["below"] <= 0.5 and last["above"] <= 0, f"last line cut off: {last}"
    assert (last["wordBreak"], last["overflowWrap"], last["whiteSpace"]) == (
        "normal",
        "anywhere",
        "pre-wrap",
    )
    search = viewer.get_by_placeholder("search")
    search.fill("NGINX")
    expect(view.locator(".sp-log-match").first).to_be_visible()
    search.fill("")
    expect(view.locator(".sp-log-match")).to_have_count(0)
