"""``app.image.*``, ``app.pull_images`` and ``app.outdated_docker_images``."""

from __future__ import annotations

from modelkit import custom, nas


async def test_image_query_shape_and_parse_tags() -> None:
    n = nas()
    await n.call("app.create", custom("whoami"))
    images = await n.call("app.image.query", [], {"extra": {"parse_tags": True}})
    assert len(images) == 1
    image = images[0]
    assert image["repo_tags"] == ["traefik/whoami:v1.10"]
    assert image["repo_digests"][0].startswith("traefik/whoami@sha256:")
    assert image["id"].startswith("sha256:") and image["size"] > 0
    assert image["dangling"] is False and image["update_available"] is False
    assert image["parsed_repo_tags"][0]["tag"] == "v1.10"
    assert image["parsed_repo_tags"][0]["registry"] == "registry-1.docker.io"


async def test_image_pull_job_and_unknown_tag_failure() -> None:
    n = nas()
    assert await n.call("app.image.pull", {"image": "redis"}) is None
    assert n.last_job is not None
    assert n.last_job.progress[-1] == (100, "'redis' image pulled successfully")
    tags = [t for i in await n.call("app.image.query") for t in i["repo_tags"]]
    assert tags == ["redis:latest"]
    error = await n.fails("app.image.pull", {"image": "redis:doesnotexist"})
    assert "manifest unknown" in error.reason
    error = await n.fails("app.image.pull", {"img": "redis"})
    # pydantic: declared fields first, then each unexpected key
    assert error.reason == (
        "[EINVAL] image_pull.image: Field required\n"
        "[EINVAL] image_pull.img: Extra inputs are not permitted"
    )


async def test_image_delete_refuses_images_in_use_unless_forced() -> None:
    n = nas()
    await n.call("app.create", custom("whoami"))
    image_id = (await n.call("app.image.query"))[0]["id"]
    error = await n.fails("app.image.delete", image_id)
    assert error.reason.startswith(f"Failed to delete '{image_id}' image")
    assert await n.call("app.image.delete", image_id, {"force": True}) is True
    error = await n.fails("app.image.delete", image_id)
    assert error.reason == f"'{image_id}' image not found"


async def test_pull_images_without_redeploy_keeps_containers() -> None:
    n = nas()
    await n.call("app.create", custom("whoami"))
    before = (await n.app("whoami"))["active_workloads"]["container_details"][0]["id"]
    n.model.publish_image("traefik/whoami:v1.10")
    await n.call("app.pull_images", "whoami", {"redeploy": False})
    entry = await n.app("whoami")
    assert entry["active_workloads"]["container_details"][0]["id"] == before
    assert entry["image_updates_available"] is False
    assert await n.call("app.outdated_docker_images", "whoami") == []


async def test_a_digest_pinned_pull_tags_nothing_and_round_trips_the_digest() -> None:
    n = nas()
    await n.call("app.image.pull", {"image": "redis:7.4.2"})
    (tagged,) = await n.call("app.image.query")
    digest = tagged["repo_digests"][0].partition("@")[2]
    pinned = f"redis:7.4.2@{digest}"
    await n.call("app.image.pull", {"image": pinned})
    (image,) = await n.call("app.image.query")  # the same image: Docker found the digest
    assert image["repo_tags"] == ["redis:7.4.2"]
    assert image["repo_digests"] == [f"redis@{digest}"]
    other = "sha256:" + "ab" * 32
    await n.call("app.image.pull", {"image": f"docker.io/library/redis:7.4.1@{other}"})
    fresh = [i for i in await n.call("app.image.query") if i["id"] != image["id"]]
    assert [i["repo_tags"] for i in fresh] == [["<none>:<none>"]]
    assert fresh[0]["repo_digests"] == [f"docker.io/library/redis@{other}"]
    assert all("@sha256@" not in d for i in fresh for d in i["repo_digests"])
