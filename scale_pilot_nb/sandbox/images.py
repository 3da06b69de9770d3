"""Docker images: ``app.image.*``, ``app.pull_images`` and ``app.outdated_docker_images``.

An image has an update when the simulated registry (``SandboxModel.publish_image``) holds a
different digest for its tag; pulling stores the new digest and leaves the old image dangling.
"""

from __future__ import annotations

import errno
from datetime import UTC, datetime
from typing import Any

from scale_pilot_nb.sandbox.args import Arg, require, require_name
from scale_pilot_nb.sandbox.common import Steps, get_app, require_docker
from scale_pilot_nb.sandbox.contract import CallContext, SandboxCallError
from scale_pilot_nb.sandbox.entries import app_state
from scale_pilot_nb.sandbox.lifecycle import compose_up
from scale_pilot_nb.sandbox.query import check_options, filter_list
from scale_pilot_nb.sandbox.state import App, Image, SandboxModel
from scale_pilot_nb.sandbox.workloads import BAD_TAG, ComposeUpError, image_tag, parse_services

PULL_ARGS = {"image": Arg(str), "auth_config": Arg(dict, None, nullable=True)}


def _parsed_tag(repo_tag: str) -> dict[str, Any]:
    repo, _, tag = repo_tag.rpartition(":")
    first = repo.split("/")[0]
    registry = first if "." in first or ":" in first else "registry-1.docker.io"
    image = repo if registry != "registry-1.docker.io" or "/" in repo else f"library/{repo}"
    return {
        "reference": repo_tag,
        "image": image,
        "tag": tag,
        "registry": registry,
        "complete_tag": f"{registry}/{image}:{tag}",
        "reference_is_digest": False,
    }


def image_entry(model: SandboxModel, image: Image, parse_tags: bool) -> dict[str, Any]:
    """An ``app.image.query`` item."""
    tags = [t for t in image.repo_tags if t != "<none>:<none>"]
    entry: dict[str, Any] = {
        "id": image.id,
        "repo_tags": list(image.repo_tags),
        "repo_digests": sorted(
            {f"{t.rpartition(':')[0]}@{image.digest}" for t in tags}
            | {f"{repo}@{image.digest}" for repo in image.pulled_by_digest}
        ),
        "size": image.size,
        "dangling": image.repo_tags == ["<none>:<none>"],
        "update_available": any(model.update_available(t) for t in tags),
        "created": datetime.fromtimestamp(image.created, UTC).isoformat(),
        "author": "",
        "comment": "",
    }
    if parse_tags:
        entry["parsed_repo_tags"] = [_parsed_tag(t) for t in tags]
    return entry


def image_query(
    model: SandboxModel, ctx: CallContext, filters: Any = None, options: Any = None
) -> Any:
    """``app.image.query`` (``[]`` when Docker is unconfigured)."""
    extra = check_options(options).get("extra") or {}
    images = model.images.values() if model.apps_pool else []
    parse = bool(extra.get("parse_tags"))
    return filter_list([image_entry(model, i, parse) for i in images], filters, options)


def _pull(model: SandboxModel, repo_tag: str) -> None:
    if image_tag(repo_tag) == BAD_TAG:
        raise SandboxCallError(
            errno.EFAULT,
            f"Failed to pull '{repo_tag}' image: manifest for {repo_tag} not found: "
            "manifest unknown: manifest unknown",
        )
    model.store_image(repo_tag)
    model.refresh_image_users(repo_tag)


async def image_pull(model: SandboxModel, ctx: CallContext, data: Any = None) -> None:
    """``app.image.pull`` (job)."""
    args = require(model.version, "image_pull", data, PULL_ARGS)
    steps = Steps(model, ctx)
    require_docker(model)
    image = args["image"] if ":" in args["image"].rsplit("/", 1)[-1] else f"{args['image']}:latest"
    await steps(50, "Pulling image")
    _pull(model, image)
    await steps(95, "Image downloaded, doing post processing")
    await steps(100, f"'{args['image']}' image pulled successfully")


def image_delete(model: SandboxModel, ctx: CallContext, image_id: Any, options: Any = None) -> bool:
    """``app.image.delete``: refuses images used by containers unless ``force``."""
    image_id = require_name(model.version, "image_delete.image_id", image_id)
    opts = require(model.version, "options", options, {"force": Arg(bool, False)})
    image = model.images.get(image_id) if model.apps_pool else None
    if image is None:
        raise SandboxCallError(errno.ENOENT, f"'{image_id}' image not found")
    in_use = {c.image for app in model.apps.values() for c in app.containers}
    if set(image.repo_tags) & in_use and not opts["force"]:
        raise SandboxCallError(
            errno.EFAULT,
            f"Failed to delete '{image_id}' image: conflict: unable to delete "
            f"{image_id.removeprefix('sha256:')[:12]} (cannot be forced) - image is being used "
            "by running container",
        )
    del model.images[image_id]
    return True


def app_images(app: App) -> list[str]:
    """Images the app's compose references (running or not)."""
    try:
        return list(dict.fromkeys(s.image for s in parse_services(app.name, app.compose)))
    except ComposeUpError:
        return list(dict.fromkeys(c.image for c in app.containers))


def outdated_docker_images(model: SandboxModel, ctx: CallContext, name: Any) -> list[str]:
    """``app.outdated_docker_images``: the app's images with an update."""
    name = require_name(model.version, "app_outdated_docker_images.app_name", name)
    return [i for i in app_images(get_app(model, name)) if model.update_available(i)]


async def pull_images(
    model: SandboxModel, ctx: CallContext, name: Any, options: Any = None
) -> None:
    """``app.pull_images`` (job): ``compose pull``, then redeploy unless told not to."""
    name = require_name(model.version, "app_pull_images.app_name", name)
    opts = require(model.version, "options", options, {"redeploy": Arg(bool, True)})
    steps = Steps(model, ctx)
    async with model.lock(name):
        app = get_app(model, name)
        await pull_and_redeploy(model, app, steps, redeploy=opts["redeploy"])


async def pull_and_redeploy(model: SandboxModel, app: App, steps: Steps, *, redeploy: bool) -> None:
    """Pull every image of ``app`` and recreate it when it is not STOPPED."""
    await steps(10, f"Pulling images for '{app.name}' app")
    for image in app_images(app):
        if image_tag(image) == BAD_TAG:
            raise SandboxCallError(
                errno.EFAULT,
                f"Failed 'pull' action for '{app.name}' app. "
                "Please check /var/log/app_lifecycle.log for more details",
            )
        model.store_image(image)
        model.refresh_image_users(image)
    if redeploy and app_state(app) != "STOPPED":
        await steps(60, f"Redeploying '{app.name}' app")
        try:
            compose_up(model, app)
        finally:
            model.changed(app)
    await steps(100, f"Images pulled for '{app.name}' app")
