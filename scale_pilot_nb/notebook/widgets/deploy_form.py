"""``pilot.deploy_form()``: write or pick a compose file, validate it, plan it, deploy it.

The form is a thin shell over ``TrueNASDockerManager.validate`` / ``plan`` / ``deploy``: each
button runs one of them on the Pilot's loop and puts the result (the record's own HTML repr)
into the results area. Deploy also drives a progress bar from the job's progress events and
ends with the app's card, or with a clear error and its hint.

When the file has errors, the lines around the first one that names a line appear under the
editor, numbered, with that line marked (:mod:`~scale_pilot_nb.notebook.widgets.error_excerpt`).
Reports are titled with the file the editor was loaded from (an example, or the path given)
or else the app name, not with the loader's ``<string>`` for text without a file.

Calling :meth:`DeployForm.validate` and friends from a cell does the same as the buttons and
waits for the result, which is how notebooks and tests drive the form without a browser.
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from scale_pilot_nb import examples as packaged_examples
from scale_pilot_nb.compose.rules_base import Mode
from scale_pilot_nb.errors import CallTimeoutError, ComposeInvalidError
from scale_pilot_nb.manager.waiting import DEFAULT_TIMEOUT
from scale_pilot_nb.notebook.widgets._base import (
    Bundle,
    PilotWidget,
    error_html,
    rich_bundle,
    stylesheet_widget,
)
from scale_pilot_nb.notebook.widgets.error_excerpt import excerpt_html, first_located_error
from scale_pilot_nb.notebook.widgets.progress import ProgressBar

if TYPE_CHECKING:
    import ipywidgets  # type: ignore[import-untyped]

    from scale_pilot_nb.compose.plan import Plan
    from scale_pilot_nb.compose.report import ValidationReport
    from scale_pilot_nb.pilot.pilot import Pilot
    from scale_pilot_nb.records.outcome import OperationResult

__all__ = ["CUSTOM_CHOICE", "DeployForm"]

T = TypeVar("T")

#: The example dropdown's entry for "whatever is in the editor".
CUSTOM_CHOICE = "(edit below)"

#: Seconds a blocking call from a cell waits for the form's action: more than the deploy's
#: own time budget, so the deploy's error (naming the job and services) is the one seen.
WAIT_TIMEOUT = 2 * DEFAULT_TIMEOUT


class DeployForm(PilotWidget):
    """Name, YAML editor, example picker, mode and split; Validate / Plan / Deploy buttons.

    Args:
        pilot: the connection to deploy through.
        compose: initial YAML text, or a path to a compose file to load into the editor.
        name: initial app name.
        examples: a folder of ``*.yml`` files offered in the picker (default: the examples
            shipped with the package, :func:`scale_pilot_nb.examples.path`).
    """

    def __init__(
        self,
        pilot: Pilot,
        compose: str | os.PathLike[str] | None = None,
        name: str | None = None,
        *,
        examples: str | Path | None = None,
    ) -> None:
        super().__init__(pilot)
        folder = Path(examples) if examples is not None else packaged_examples.path()
        self.examples: dict[str, Path] = {p.name: p for p in sorted(folder.glob("*.yml"))}
        self._initial_text = _load_text(compose)
        #: The file the editor's text came from (a path given or an example picked), if any.
        self.file_name: str | None = _file_name(compose)
        self._initial_name = name or ""
        self.last_result: object = None
        self.widget  # noqa: B018 - build the fields now: actions and tests read them

    # -- the ipywidget tree ----------------------------------------------------------------

    def _build(self) -> ipywidgets.Widget:
        import ipywidgets as widgets

        self.name_field = widgets.Text(
            value=self._initial_name, description="App name", placeholder="my-app"
        )
        self.example_picker = widgets.Dropdown(
            options=[CUSTOM_CHOICE, *self.examples], value=CUSTOM_CHOICE, description="Example"
        )
        self.editor = widgets.Textarea(
            value=self._initial_text,
            placeholder="services:\n  web:\n    image: nginx:1.27",
            layout=widgets.Layout(width="100%", height="16em"),
        )
        self.error_excerpt = widgets.HTML(layout=widgets.Layout(display="none", width="100%"))
        self.mode_picker = widgets.ToggleButtons(
            options=["compose", "ix-app"], value="compose", description="Mode"
        )
        self.split_box = widgets.Checkbox(value=False, description="one app per service")
        self.validate_button = widgets.Button(description="Validate", icon="check")
        self.plan_button = widgets.Button(description="Plan", icon="list")
        self.deploy_button = widgets.Button(
            description="Deploy", icon="rocket", button_style="primary"
        )
        self.progress = ProgressBar("")
        self.progress.widget.layout.display = "none"
        self.results = widgets.Output(layout=widgets.Layout(width="100%"))

        self.example_picker.observe(self._on_example, names="value")
        self.validate_button.on_click(lambda _: self._start(self._validate))
        self.plan_button.on_click(lambda _: self._start(self._plan))
        self.deploy_button.on_click(lambda _: self._start(self._deploy))

        buttons = widgets.HBox([self.validate_button, self.plan_button, self.deploy_button])
        box = widgets.VBox(
            [
                stylesheet_widget(),
                widgets.HBox([self.name_field, self.example_picker]),
                self.editor,
                self.error_excerpt,
                widgets.HBox([self.mode_picker, self.split_box]),
                buttons,
                self.progress.widget,
                self.results,
            ]
        )
        box.add_class("sp-deploy-form")
        box.add_class("sp-widget")
        return box

    def __repr__(self) -> str:
        lines = len(self.editor.value.splitlines())
        return (
            f"DeployForm(name={self.name_field.value!r}, mode={self.mode_picker.value}, "
            f"split={self.split_box.value}, yaml={lines} lines)"
        )

    # -- actions (blocking, for cells and tests) -------------------------------------------

    def validate(self) -> ValidationReport:
        """Validate the editor's YAML as the Validate button does; return the report."""
        return self._wait(self._start(self._validate))

    def plan(self) -> Plan:
        """Plan the deployment as the Plan button does; return the plan (one part per app)."""
        return self._wait(self._start(self._plan))

    def deploy(self) -> OperationResult:
        """Deploy as the Deploy button does; return the result once the apps are up."""
        return self._wait(self._start(self._deploy))

    # -- what the buttons run (on the loop thread) -----------------------------------------

    @property
    def source_name(self) -> str:
        """What reports call the editor's text: its file's name, else the app name."""
        return self.file_name or self._name() or "the editor"

    async def _validate(self) -> ValidationReport:
        text = self.editor.value
        report = await self.pilot.manager.validate(
            text, self._name() or None, mode=self._mode(), split=self.split_box.value
        )
        self._point_at(report, text)
        self._show(report)
        return report

    async def _plan(self) -> Plan:
        plan = await self.pilot.manager.plan(
            self.editor.value, self._name(), mode=self._mode(), split=self.split_box.value
        )
        self._show(plan)
        return plan

    async def _deploy(self) -> OperationResult:
        name = self._name()
        self.progress.bar.bar_style = ""
        self.progress.bar.value = 0
        self.progress.bar.description = name
        self.progress.label.value = "starting"
        self.progress.widget.layout.display = ""
        result = await self.pilot.manager.deploy(
            self.editor.value,
            name,
            mode=self._mode(),
            split=self.split_box.value,
            progress=self.progress,
        )
        if not result.ok:
            self.progress.finish(False, "failed")
            self._show(result)
            for outcome in result.failed:
                message = (outcome.error or {}).get("message", "failed")
                self.results.append_display_data(
                    Bundle(error_html(_Failed(outcome.app_name, message)), str(message))
                )
            return result
        apps = [o.app for o in result.outcomes if o.app is not None]
        summary = ", ".join(f"{app.name} is {app.state.value}" for app in apps)
        self.progress.finish(True, summary or "done")
        for app in apps:
            self._show(app, clear=app is apps[0])
        return result

    # -- helpers ---------------------------------------------------------------------------

    def _start(self, action: Callable[[], Awaitable[T]]) -> concurrent.futures.Future[T]:
        self.results.outputs = ()
        self.error_excerpt.value = ""
        self.error_excerpt.layout.display = "none"
        text = self.editor.value
        return self._submit(action, lambda exc: self._fail(exc, text))

    def _wait(self, future: concurrent.futures.Future[T]) -> T:
        # not future.result(timeout): the action's own CallTimeoutError is a TimeoutError too,
        # and must reach the caller as it is
        done, _ = concurrent.futures.wait([future], timeout=WAIT_TIMEOUT)
        if not done:
            raise CallTimeoutError(
                f"The form's action did not finish within {WAIT_TIMEOUT:g} s; it goes on.",
                hint="Its result will appear in the form; look there or at pilot.apps().",
            )
        return future.result()

    def _fail(self, exc: BaseException, text: str) -> None:
        if isinstance(exc, ComposeInvalidError):  # plan or deploy of a file with errors
            self._point_at(exc.report, text)
        if self.progress.widget.layout.display != "none":
            self.progress.finish(False, "failed")
        self.last_result = exc
        self.results.append_display_data(Bundle(error_html(exc), f"{type(exc).__name__}: {exc}"))

    def _point_at(self, report: ValidationReport, text: str) -> None:
        """Title ``report`` with :attr:`source_name`; show the lines around its first error."""
        report.source = self.source_name
        finding = first_located_error(report)
        if finding is not None:
            self.error_excerpt.value = excerpt_html(text, finding)
            self.error_excerpt.layout.display = ""

    def _show(self, obj: object, *, clear: bool = True) -> None:
        if clear:
            self.results.outputs = ()
        self.last_result = obj
        self.results.append_display_data(rich_bundle(obj))

    def _on_example(self, change: dict[str, Any]) -> None:
        path = self.examples.get(change["new"])
        if path is None:
            return
        self.editor.value = path.read_text(encoding="utf-8")
        self.file_name = path.name
        if not self.name_field.value:
            self.name_field.value = path.stem

    def _name(self) -> str:
        return str(self.name_field.value).strip()

    def _mode(self) -> Mode:
        return "ix-app" if self.mode_picker.value == "ix-app" else "compose"


class _Failed(Exception):
    """One app's failure inside a deploy result, shaped for :func:`error_html`."""

    def __init__(self, app_name: str, message: str) -> None:
        super().__init__(f"{app_name}: {message}")
        self.message = f"{app_name}: {message}"


def _load_text(compose: str | os.PathLike[str] | None) -> str:
    path = _path(compose)
    if path is not None:
        return path.read_text(encoding="utf-8")
    return compose if isinstance(compose, str) else ""


def _file_name(compose: str | os.PathLike[str] | None) -> str | None:
    path = _path(compose)
    return path.name if path is not None else None


def _path(compose: str | os.PathLike[str] | None) -> Path | None:
    """``compose`` as a path when it is one (a path object, or one line ending in .yml/.yaml)."""
    if compose is None:
        return None
    if not isinstance(compose, str) or (
        "\n" not in compose and compose.endswith((".yml", ".yaml"))
    ):
        return Path(compose)
    return None
