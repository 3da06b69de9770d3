"""Compose commands: ``validate`` (offline by default), ``plan``, ``deploy`` and ``config FILE``.

``validate`` needs no NAS: it runs the local validation engine, and asks the NAS only with
``--check-ports``. ``config FILE`` needs none either: it shows the conversion ``deploy`` sends.
``deploy`` is the library's idempotent deploy; its job progress goes to stderr. Before it
recreates the containers of a running app it shows the plan and asks, unless ``--yes``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.cli.exits import ExitStatus, UsageError
from scale_pilot_nb.cli.outcomes import print_outcomes
from scale_pilot_nb.cli.parsing import add_command, add_wait_options, add_yes_option
from scale_pilot_nb.cli.progress import ProgressPrinter
from scale_pilot_nb.cli.prompts import confirm_yes

if TYPE_CHECKING:
    from scale_pilot_nb.cli.output import Output
    from scale_pilot_nb.cli.session import Session
    from scale_pilot_nb.compose.plan import DeployPlan, Plan
    from scale_pilot_nb.compose.report import ValidationReport

__all__ = ["PLAN_CHANGES", "add_conversion_options", "print_file_config", "print_plan", "register"]

#: Exit status of ``plan --detailed-exitcode`` when deploying would change something.
PLAN_CHANGES = 2
#: How the summary line of each plan action is painted on a terminal.
_ACTION_STYLES = {"create": "good", "update": "warn", "replace": "bad", "noop": "dim"}
#: How unified-diff lines are painted on a terminal, by their first characters.
_DIFF_STYLES = (("+++", "bold"), ("---", "bold"), ("@@", "dim"), ("+", "good"), ("-", "bad"))

#: File names whose app is named after their folder, as ``docker compose`` names projects.
_FOLDER_NAMED_FILES = frozenset({"compose", "docker-compose"})


def register(commands: Any, connected: argparse.ArgumentParser) -> None:
    """Add ``validate``, ``plan`` and ``deploy`` to ``commands``."""
    validate = add_command(
        commands,
        "validate",
        validate_file,
        summary="check a compose file for what would fail or surprise on TrueNAS",
        description=(
            "Check a compose file locally (no NAS needed). With --check-ports, also ask the "
            "NAS which host ports other apps already use. Exit status 2 when there are errors."
        ),
        examples=[
            "scale-compose validate nginx.yml --name my-nginx",
            "scale-compose validate stack.yml --env-file prod.env --json",
        ],
        parents=[connected],
    )
    _add_compose_arguments(validate, name_required=False)
    validate.add_argument(
        "--check-ports",
        action="store_true",
        help="ask the NAS for host ports already in use (needs a connection)",
    )

    plan = add_command(
        commands,
        "plan",
        plan_deploy,
        summary="show what deploying a compose file would change on the NAS",
        examples=[
            "scale-compose plan nginx.yml my-nginx",
            "scale-compose plan nginx.yml my-nginx --detailed-exitcode || echo changes",
        ],
        parents=[connected],
    )
    _add_compose_arguments(plan, name_required=True)
    plan.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help=f"exit {PLAN_CHANGES} when deploying would change something, 0 when not, 1 on "
        "any error (Terraform's convention)",
    )

    deploy = add_command(
        commands,
        "deploy",
        deploy_file,
        summary="validate, plan and create or update an app from a compose file",
        description=(
            "Validate, plan and create or update an app from a compose file, then wait until "
            "it runs and is healthy (--no-wait: until its job ends). Idempotent: deploying an "
            "unchanged file changes nothing. Before recreating the containers of a running "
            "app it shows the plan and asks (--yes: does not ask)."
        ),
        examples=[
            "scale-compose deploy nginx.yml my-nginx",
            "scale-compose deploy stack.yml shop --split --dry-run",
            "scale-compose deploy big.yml media --timeout 900",
            "scale-compose deploy nginx.yml my-nginx --yes   (no question: for scripts)",
        ],
        parents=[connected],
    )
    _add_compose_arguments(deploy, name_required=True)
    deploy.add_argument("--dry-run", action="store_true", help="only plan; change nothing")
    add_yes_option(deploy)
    add_wait_options(deploy)


def _add_compose_arguments(parser: argparse.ArgumentParser, *, name_required: bool) -> None:
    parser.add_argument("file", metavar="FILE", help="the compose file")
    if name_required:
        parser.add_argument("name", metavar="NAME", help="the app name on TrueNAS")
    else:
        parser.add_argument("--name", help="also check this app name against TrueNAS rules")
    add_conversion_options(parser)


def add_conversion_options(parser: argparse.ArgumentParser) -> None:
    """``--mode``, ``--split`` and ``--env-file``: how a compose file becomes payloads."""
    parser.add_argument(
        "--mode",
        choices=["compose", "ix-app"],
        default="compose",
        help="custom compose app (default) or ix-app values",
    )
    parser.add_argument("--split", action="store_true", help="one app per service")
    parser.add_argument(
        "--env-file", metavar="FILE", help="values for ${VARIABLES} (KEY=VALUE lines)"
    )


def _variables(args: argparse.Namespace) -> dict[str, str] | None:
    """The ``--env-file`` values (keys without a value are left out)."""
    if args.env_file is None:
        return None
    path = Path(args.env_file)
    if not path.is_file():
        raise UsageError(f"--env-file {args.env_file}: no such file")
    from dotenv import dotenv_values

    try:
        values = dotenv_values(path, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc.strerror
        raise UsageError(
            f"--env-file {args.env_file}: cannot be read ({reason})",
            hint="Pass a readable UTF-8 file of KEY=VALUE lines.",
        ) from None
    return {k: v for k, v in values.items() if v is not None}


def _compose_file(args: argparse.Namespace) -> Path:
    """The FILE argument as a path (a str would be taken as YAML text by the library)."""
    return Path(args.file)


def print_file_config(session: Session) -> int:
    """``config FILE [NAME]``: the compose as ``deploy`` would store it, offline (like
    ``docker compose config``); ``--payload``: the ``app.create`` payload(s) as JSON.

    It is the conversion ``deploy`` sends (:func:`~scale_pilot_nb.compose.convert.convert`);
    secret values are redacted, as in every output, unless ``--with-secrets``.
    """
    from scale_pilot_nb.compose.convert import convert

    args, out = session.args, session.out
    path = Path(args.target)
    name = args.name or _default_app_name(path)
    conversion = convert(path, name, mode=args.mode, split=args.split, variables=_variables(args))
    _print_warnings(out, [finding.to_dict() for finding in conversion.findings])
    payloads = [_shown(app.payload, secrets=args.with_secrets) for app in conversion.apps]
    if args.payload:
        if out.json:
            out.document("config", file=str(path), payloads=payloads)
        else:
            out.line(json.dumps(payloads[0] if len(payloads) == 1 else payloads, indent=2))
        return ExitStatus.OK
    configs = {str(p["app_name"]): _stored_config(p) for p in payloads}
    if out.json:
        apps = [{"app_name": app_name, "config": config} for app_name, config in configs.items()]
        out.document("config", file=str(path), apps=apps)
        return ExitStatus.OK
    from scale_pilot_nb.compose.render import render

    for index, (app_name, config) in enumerate(configs.items()):
        if len(configs) > 1:  # one YAML document per app of a split
            out.line(("---\n" if index else "") + f"# app {app_name}")
        out.stdout.write(render(config))
    return ExitStatus.OK


def _print_warnings(out: Output, findings: Sequence[Mapping[str, Any]]) -> None:
    for finding in findings:
        if finding.get("severity") == "warning":
            out.note(f"warning: {finding.get('message')}", "warn")


def _default_app_name(path: Path) -> str:
    """The file's stem (``nginx.yml`` → ``nginx``), or its folder's name for ``compose.yml``."""
    named = path.resolve().parent.name if path.stem in _FOLDER_NAMED_FILES else path.stem
    return named.lower()


def _shown(payload: dict[str, Any], *, secrets: bool) -> dict[str, Any]:
    """``payload`` with its secret values redacted unless ``secrets`` (a compose text is
    parsed for that and rendered again, which gives back the same text)."""
    if secrets:
        return payload
    from scale_pilot_nb.compose.redaction import redact

    text = payload.get("custom_compose_config_string")
    if text is None:
        shown, _ = redact(payload)
        return dict(shown)
    from scale_pilot_nb.compose.render import render

    compose, _ = redact(_parsed(text))
    return {**payload, "custom_compose_config_string": render(compose)}


def _stored_config(payload: dict[str, Any]) -> dict[str, Any]:
    """What the NAS stores of a payload: the compose of a custom app, an ix-app's values."""
    text = payload.get("custom_compose_config_string")
    return _parsed(text) if text is not None else dict(payload["values"])


def _parsed(text: str) -> dict[str, Any]:
    from scale_pilot_nb.compose.load import load

    return dict(load(text).data)


def validate_file(session: Session) -> int:
    """``validate FILE``: exit 0 when valid, 2 when the file has errors."""
    args = session.args
    if args.check_ports:
        report = session.pilot.validate(
            _compose_file(args),
            args.name,
            mode=args.mode,
            split=args.split,
            variables=_variables(args),
        )
    else:
        from scale_pilot_nb.compose.validate import validate

        report = validate(
            _compose_file(args),
            name=args.name,
            mode=args.mode,
            split=args.split,
            variables=_variables(args),
        )
    _print_report(session.out, report)
    return ExitStatus.OK if report.valid else ExitStatus.USAGE


def _print_report(out: Output, report: ValidationReport) -> None:
    if out.json:
        out.document("validate", report=report.to_dict())
        return
    out.line(str(report))


def plan_deploy(session: Session) -> int:
    """``plan FILE NAME``: the plan, one part per app that deploying would touch."""
    args = session.args
    plan = session.pilot.plan(
        _compose_file(args), args.name, mode=args.mode, split=args.split, variables=_variables(args)
    )
    out = session.out
    if out.json:
        out.document("plan", **plan.to_dict())
    else:
        print_plan(out, plan)
    return PLAN_CHANGES if args.detailed_exitcode and plan.changes else ExitStatus.OK


def print_plan(out: Output, parts: Iterable[DeployPlan]) -> None:
    """Each part of a plan; on a terminal its summary and diff lines in colour."""
    for part in parts:
        summary, *details = str(part).splitlines()
        out.line(out.paint(summary, _ACTION_STYLES[part.action]))
        for line in details:
            style = next((style for start, style in _DIFF_STYLES if line.startswith(start)), None)
            out.line(out.paint(line, style) if style else line)


def deploy_file(session: Session) -> int:
    """``deploy FILE NAME``: exit 0 when every app was deployed, 1 when one failed."""
    args, out = session.args, session.out
    progress = ProgressPrinter(out.stderr)
    try:
        result = session.pilot.deploy(
            _compose_file(args),
            args.name,
            mode=args.mode,
            split=args.split,
            wait=args.wait,
            dry_run=args.dry_run,
            variables=_variables(args),
            progress=progress,
            timeout=args.timeout,
            confirm=None if args.yes else lambda plan: _confirm_recreations(session, plan),
        )
    finally:
        progress.finish()
    _print_warnings(out, result.findings)
    if args.dry_run and not out.json:
        print_plan(out, result.plans.values())
        out.note("dry run: nothing was changed")
        return ExitStatus.OK
    return print_outcomes(out, result)


def _confirm_recreations(session: Session, plan: Plan) -> bool:
    """The deploy's confirm hook: show the plan it is about to apply, and ask.

    The library calls it only when ``plan`` recreates the containers of a running app, with
    the plan it then applies: the user confirms exactly what happens, planned once.

    Raises:
        UsageError: not confirmed, or no terminal to ask on.
    """
    if not session.out.json:
        print_plan(session.out, plan)
    confirm_yes(
        session,
        session.args.name,
        doing="deploy",
        question=f"Recreate the running containers of {', '.join(map(repr, plan.recreated_apps))}?",
    )
    return True
