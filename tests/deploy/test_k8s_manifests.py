"""deploy/k8s: valid for Kubernetes, and consistent with each other, the image and the app."""

import importlib.util
import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from backend.settings import Settings
from tests.deploy.app_routes import serves
from tests.deploy.container_image import serve_command, user_id

K8S = Path(__file__).parents[2] / "deploy" / "k8s"
KUBERNETES_VERSION = "1.32.0"  # a schema kubernetes-validate ships; strict: unknown fields fail
SECRET_EXAMPLE = "secret.example.yaml"
SECRET_NAME = "todo-chat-agent"
TMP = "/tmp"  # noqa: S108 (inside the container, where it must stay writable)
SECRET_KEYS = {"DATABASE_URL", "LISTEN_DATABASE_URL", "JWT_SECRET", "OPENAI_API_KEY", "METRICS_TOKEN"}

Manifest = dict[str, Any]


def load(name: str) -> Manifest:
    (manifest,) = yaml.safe_load_all((K8S / name).read_text())
    return manifest


def kustomized() -> dict[str, Manifest]:
    """The resources `kubectl apply -k deploy/k8s` applies, by kind."""
    names = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    manifests = [load(name) for name in names]
    return {m["kind"]: m for m in manifests}


KINDS = kustomized()


def pod_spec(manifest: Manifest) -> Manifest:
    spec = manifest["spec"]
    if manifest["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def pod_labels(manifest: Manifest) -> dict[str, str]:
    spec = manifest["spec"]["jobTemplate"]["spec"] if manifest["kind"] == "CronJob" else manifest["spec"]
    return spec["template"]["metadata"]["labels"]


def workloads() -> Iterator[Manifest]:
    yield from (m for m in KINDS.values() if m["kind"] in {"Deployment", "Job", "CronJob"})


def containers() -> Iterator[tuple[str, Manifest]]:
    for manifest in workloads():
        for container in pod_spec(manifest)["containers"]:
            yield f"{manifest['kind']}/{container['name']}", container


def api_container() -> Manifest:
    (container,) = pod_spec(KINDS["Deployment"])["containers"]
    return container


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk - {SECRET_EXAMPLE}
    assert {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Job",
        "CronJob",
    } <= set(KINDS)


@pytest.mark.parametrize("name", sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml"))
def test_manifest_is_valid_kubernetes(name: str) -> None:
    for manifest in yaml.safe_load_all((K8S / name).read_text()):
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{name}: {'.'.join(map(str, error.path))}: {error.message}")


def test_probes_ask_routes_the_app_serves() -> None:
    container = api_container()
    probes = {
        kind: container[kind]["httpGet"] for kind in ("startupProbe", "readinessProbe", "livenessProbe")
    }
    assert probes["readinessProbe"]["path"] == "/ready", "ready means the database answers"
    assert probes["livenessProbe"]["path"] == "/health", "a database outage must not restart every pod"
    port_names = {port["name"] for port in container["ports"]}
    for kind, probe in probes.items():
        assert serves("GET", probe["path"]), f"{kind}: the app has no GET {probe['path']}"
        assert probe["port"] in port_names, kind


def test_pods_get_to_finish_their_turns_before_they_are_killed() -> None:
    """Kubernetes kills a pod terminationGracePeriodSeconds after it starts the preStop hook:
    the hook's sleep and the app's own shutdown grace must both fit before that."""
    spec = pod_spec(KINDS["Deployment"])
    pre_stop = api_container()["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep" and len(pre_stop) == 2
    shutdown_grace = int(KINDS["ConfigMap"]["data"]["SHUTDOWN_GRACE_S"])
    assert spec["terminationGracePeriodSeconds"] > int(pre_stop[1]) + shutdown_grace


def test_selectors_pick_the_api_pods_and_nothing_else() -> None:
    deployment, service = KINDS["Deployment"], KINDS["Service"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels(deployment).items()
    assert service["spec"]["selector"] == selector
    assert KINDS["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == selector
    target = KINDS["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == (
        deployment["apiVersion"],
        "Deployment",
        deployment["metadata"]["name"],
    )
    for job in (KINDS["Job"], KINDS["CronJob"]):  # else the Service would send traffic to them
        assert not selector.items() <= pod_labels(job).items(), job["kind"]
    ports = {port["name"]: port["containerPort"] for port in api_container()["ports"]}
    assert [port["targetPort"] for port in service["spec"]["ports"]] == ["http"]
    assert ports["http"] == 8000


def test_autoscaling_keeps_a_pod_through_disruptions() -> None:
    hpa = KINDS["HorizontalPodAutoscaler"]["spec"]
    assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu"]
    assert api_container()["resources"]["requests"]["cpu"], "CPU utilization is measured against requests"
    assert hpa["minReplicas"] - KINDS["PodDisruptionBudget"]["spec"]["maxUnavailable"] >= 1


def test_secrets_are_referenced_never_written_down() -> None:
    assert not SECRET_KEYS & set(KINDS["ConfigMap"]["data"])
    for where, container in containers():
        for variable in container.get("env", []):
            if variable["name"] in SECRET_KEYS:
                assert "value" not in variable, f"{where}: {variable['name']} is written in the manifest"
                reference = variable["valueFrom"]["secretKeyRef"]
                assert (reference["name"], reference["key"]) == (SECRET_NAME, variable["name"]), where
    example = load(SECRET_EXAMPLE)
    assert example["metadata"]["name"] == SECRET_NAME
    assert all(value == "" for value in example["stringData"].values()), "the example holds no values"
    required = {
        v["name"]
        for _, c in containers()
        for v in c.get("env", [])
        if "secretKeyRef" in v.get("valueFrom", {}) and not v["valueFrom"]["secretKeyRef"].get("optional")
    }
    assert set(example["stringData"]) == required, "the example names every key a pod cannot start without"


@pytest.mark.parametrize("where", [where for where, _ in containers()])
def test_every_container_can_load_the_settings(where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment each container gets (ConfigMap plus secrets, here stand-ins) is one the app
    accepts: in production that means a strong JWT_SECRET, which the Job and CronJob need too."""
    container = dict(containers())[where]
    assert [source["configMapRef"]["name"] for source in container["envFrom"]] == [
        KINDS["ConfigMap"]["metadata"]["name"]
    ]
    environment = dict(KINDS["ConfigMap"]["data"])
    for variable in container["env"]:
        reference = variable["valueFrom"]["secretKeyRef"]
        if not reference.get("optional"):
            environment[variable["name"]] = (
                "postgresql+asyncpg://u:p@db/todo" if "URL" in reference["key"] else "s" * 64
            )
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)
    assert settings.environment == "production"


def test_forwarded_allow_ips_are_addresses_or_networks() -> None:
    for entry in KINDS["ConfigMap"]["data"]["FORWARDED_ALLOW_IPS"].split(","):
        ipaddress.ip_network(entry.strip())  # raises on a typo, which would trust nothing (or a hostname)


def test_pods_run_as_the_image_user_on_a_read_only_root() -> None:
    for manifest in workloads():
        spec = pod_spec(manifest)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] == user_id(), "the uid the Dockerfile creates"
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        for container in spec["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert container["resources"]["limits"]["memory"] and container["resources"]["requests"]["memory"]
            tmp = [mount["name"] for mount in container["volumeMounts"] if mount["mountPath"] == TMP]
            assert tmp and "emptyDir" in volumes[tmp[0]], f"{manifest['kind']}: /tmp must stay writable"


def test_the_api_pods_serve_without_migrating() -> None:
    """Migrating is the Job's alone; the pods run what the image runs after its migration step."""
    assert api_container()["command"] == serve_command()
    assert "migrate" not in " ".join(api_container()["command"])


@pytest.mark.parametrize(("kind", "module"), [("Job", "backend.migrate"), ("CronJob", "backend.prune")])
def test_jobs_run_modules_that_exist(kind: str, module: str) -> None:
    (container,) = pod_spec(KINDS[kind])["containers"]
    assert container["command"] == ["python", "-m", module]
    assert importlib.util.find_spec(module) is not None, f"{module} does not exist"
