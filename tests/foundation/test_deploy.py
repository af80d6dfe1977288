"""``deploy/`` holds what an ops team needs (DESIGN.md, "Two ways to run"): the compose file,
the systemd units and the nginx routes agree with the ports and paths of CONTRACT.md, and the
example environment names every setting."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest
import yaml

from shared.config import SERVICE_PORTS, Settings

DEPLOY = Path(__file__).parents[2] / "deploy"
#: Services with event consumers (a worker each); the console serves pages only.
WORKER_SERVICES = ("intake", "routing", "sla", "sync")
SERVICES = (*WORKER_SERVICES, "console")
PORTS = {"intake": 8001, "routing": 8002, "sla": 8003, "sync": 8004, "console": 8005}


def test_contract_ports_are_the_settings_ports():
    assert {name: SERVICE_PORTS[name] for name in SERVICES} == PORTS


# -- docker compose -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def _depends(service: dict) -> set[str]:
    depends = service.get("depends_on") or {}
    return set(depends if isinstance(depends, (dict, list)) else [])


def test_compose_runs_postgres_15_and_a_one_shot_migration_first(compose):
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:15"
    assert "healthcheck" in services["postgres"]
    migrate = services["migrate"]
    assert migrate["command"] == ["simpul", "migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_every_simpul_service_is_built_configured_health_checked_and_after_postgres(compose):
    services = compose["services"]
    simpul = {name: s for name, s in services.items() if name != "postgres"}
    assert set(SERVICES) | {f"worker-{s}" for s in WORKER_SERVICES} | {"migrate"} == set(simpul)
    for name, service in simpul.items():
        assert "image" in service or "build" in service, name
        assert service["build"]["dockerfile"] == "deploy/Dockerfile", name
        assert service.get("env_file") == ".env", name
        assert service["environment"]["SIMPUL_DATABASE_URL"].startswith("postgresql://"), name
        assert "@postgres:5432/" in service["environment"]["SIMPUL_DATABASE_URL"], name
        assert service["healthcheck"]["test"], name
        assert "postgres" in _depends(service), name
        if name != "migrate":
            assert (
                service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
            ), name


def test_http_services_publish_their_contract_ports_and_check_readyz(compose):
    for name, port in PORTS.items():
        service = compose["services"][name]
        command = service["command"]
        assert command[:4] == ["simpul", "serve", "--service", name]
        assert command[command.index("--port") + 1] == str(port)
        assert "--no-workers" in command
        published = [str(p).split(":")[-2:] for p in service["ports"]]
        assert published == [[str(port), str(port)]], name
        assert any(f":{port}/readyz" in part for part in service["healthcheck"]["test"]), name


def test_workers_run_each_services_consumers(compose):
    for name in WORKER_SERVICES:
        worker = compose["services"][f"worker-{name}"]
        assert worker["command"] == ["simpul", "worker", "--service", name]
        assert "ports" not in worker


def test_dockerfile_is_slim_non_root_and_installs_the_package():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.M)
    assert re.search(r"^RUN pip install \.", dockerfile, re.M)
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in {"root", "0"}
    assert "simpul-healthcheck" in dockerfile


# -- systemd -----------------------------------------------------------------------------


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in systemd
    parser.read_string((DEPLOY / "systemd" / name).read_text())
    return parser


HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "PrivateTmp": "yes",
    "ProtectHome": "yes",
}


def _assert_runs_confined(unit: configparser.ConfigParser, name: str) -> None:
    service = unit["Service"]
    assert service["User"] == "simpul", name
    assert service["EnvironmentFile"] == "/etc/simpul/simpul.env", name
    for key, value in HARDENING.items():
        assert service[key] == value, (name, key)
    assert "/var/lib/simpul" in service["ReadWritePaths"], name


def test_migrate_unit_is_a_one_shot():
    unit = _unit("simpul-migrate.service")
    _assert_runs_confined(unit, "migrate")
    assert unit["Service"]["Type"] == "oneshot"
    assert unit["Service"]["RemainAfterExit"] == "yes"
    assert unit["Service"]["ExecStart"].endswith("simpul migrate")


@pytest.mark.parametrize("service", SERVICES)
def test_http_units_serve_one_service_on_the_instance_port_after_migrating(service):
    unit = _unit(f"simpul-{service}@.service")
    _assert_runs_confined(unit, service)
    assert "simpul-migrate.service" in unit["Unit"]["Requires"]
    assert "simpul-migrate.service" in unit["Unit"]["After"]
    start = unit["Service"]["ExecStart"]
    assert f"simpul serve --service {service}" in start
    assert "--port %i" in start and "--no-workers" in start
    assert unit["Service"]["Restart"] == "on-failure"


def test_worker_unit_runs_the_instances_service():
    unit = _unit("simpul-worker@.service")
    _assert_runs_confined(unit, "worker")
    assert "simpul-migrate.service" in unit["Unit"]["Requires"]
    assert "simpul worker --service" in unit["Service"]["ExecStart"]
    assert "%i" in unit["Service"]["ExecStart"]


def test_the_target_starts_every_service_on_its_contract_port_and_a_worker_each():
    # systemd adds up repeated keys, configparser keeps the last: read them all
    text = (DEPLOY / "systemd" / "simpul.target").read_text()
    wants = " ".join(re.findall(r"^Wants=(.*)$", text, re.M))
    assert "simpul-migrate.service" in wants
    for service, port in PORTS.items():
        assert f"simpul-{service}@{port}.service" in wants
    for service in WORKER_SERVICES:
        assert f"simpul-worker@{service}.service" in wants


# -- nginx -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nginx() -> str:
    return (DEPLOY / "nginx" / "simpul.conf").read_text()


def _routes(conf: str) -> dict[str, str]:
    """location -> upstream service name."""
    routes = {}
    for match in re.finditer(
        r"location\s+(=\s*|~\s*)?(\S+)\s*\{\s*proxy_pass\s+http://simpul_(\w+);", conf
    ):
        routes[(match.group(1) or "").strip() + match.group(2)] = match.group(3)
    return routes


def test_nginx_upstreams_use_the_contract_ports(nginx):
    for service, port in PORTS.items():
        assert re.search(
            rf"upstream simpul_{service}\s*\{{\s*server 127\.0\.0\.1:{port};", nginx
        ), service


@pytest.mark.parametrize(
    ("location", "service"),
    [
        ("/api/v1/complaints", "intake"),
        ("/api/v1/public", "intake"),
        ("/open311/", "intake"),
        ("/webhooks/", "intake"),
        ("=/webhooks/lapor", "sync"),
        ("=/lapor", "intake"),
        ("/lacak", "intake"),
        ("/static/", "intake"),
        ("/admin/cases", "routing"),
        ("/admin/routing", "routing"),
        ("/admin/reference", "routing"),
        ("/api/v1/calendar", "sla"),
        ("/admin/sla", "sla"),
        ("/admin/calendar", "sla"),
        ("/admin/reports", "sla"),
        ("/admin/board", "sla"),
        ("/statistik", "sla"),
        ("~^/admin/cases/[^/]+/clocks$", "sla"),
        ("/admin/sync", "sync"),
        ("/konsol", "console"),
    ],
)
def test_nginx_routes_each_path_to_its_service(nginx, location, service):
    assert _routes(nginx).get(location) == service


def test_nginx_forwards_client_headers_limits_bodies_and_terminates_tls(nginx):
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-IP"):
        assert f"proxy_set_header {header}" in nginx
    assert re.search(r"client_max_body_size\s+12m;", nginx)
    assert re.search(r"listen 443 ssl", nginx)
    assert "ssl_certificate " in nginx and "ssl_certificate_key " in nginx
    assert re.search(r"location = /metrics\s*\{\s*return 404;", nginx)


# -- environment -------------------------------------------------------------------------


def test_env_example_names_every_setting_with_a_comment():
    lines = (DEPLOY / ".env.example").read_text().splitlines()
    named = {}
    for index, line in enumerate(lines):
        match = re.match(r"#?(SIMPUL_[A-Z0-9_]+)=", line)
        if match:
            named[match.group(1)] = index
    expected = {f"SIMPUL_{name.upper()}" for name in Settings.model_fields}
    assert expected - set(named) == set(), "missing from deploy/.env.example"
    assert set(named) - expected == set(), "not a setting"
    for name, index in named.items():
        # a variable, or the group of variables it stands in, sits right under a comment
        above = index - 1
        while above >= 0 and re.match(r"#?SIMPUL_[A-Z0-9_]+=", lines[above]):
            above -= 1
        assert above >= 0 and lines[above].startswith("# "), f"{name} has no comment"
