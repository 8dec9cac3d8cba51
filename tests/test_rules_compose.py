"""Focused cases for the compose rules (CMP000-CMP007): exact locations, never counts."""
from __future__ import annotations

from pathlib import Path

import pytest

from critic.api import critique
from critic.config import Config
from critic.findings import MASK
from critic.parsers.yaml_doc import load_yaml
from critic.rules.compose._support import literal_default, parse_short_port, plain12, tokens

CMP = ("CMP000", "CMP001", "CMP002", "CMP003", "CMP004", "CMP005", "CMP006", "CMP007")


def run(tmp_path: Path, rules: tuple[str, ...] | str, files: dict[str, str]) -> list:
    rules = (rules,) if isinstance(rules, str) else rules
    for rel, text in files.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    report = critique([tmp_path], Config(select=rules), engines=())
    assert not report.errors, report.errors
    return [f for f in report.findings if f.rule_id in rules]


def where(findings) -> list[tuple[str, int, str]]:
    return sorted((f.path, f.line, f.rule_id) for f in findings)


def compose(tmp_path: Path, rules, text: str, path: str = "docker-compose.yml") -> list[tuple[str, int, str]]:
    return where(run(tmp_path, rules, {path: text}))


# --------------------------------------------------------------------------- helpers
def test_yaml_12_values_for_the_schema():
    doc = load_yaml("restart: no\nports:\n  - 22:22\n  - 8080\nflag: yes\nreal: true\nnone: ~\n")
    assert plain12(doc.root) == {"restart": "no", "ports": ["22:22", 8080], "flag": "yes", "real": True, "none": None}


def test_interpolation_tokens():
    parts = tokens("a$${B}${C:-x}${D:?need it}$E")
    assert parts[0] == "a${B}"
    assert [(v.name, v.op, v.word) for v in parts[1:]] == [("C", ":-", "x"), ("D", ":?", "need it"), ("E", "", "")]
    assert literal_default(parts[1]) and not literal_default(parts[2])
    assert not literal_default(tokens("${A:-${B}}")[0])


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("5432:5432", (None, False, 5432)),
        ("0.0.0.0:5432:5432", (None, False, 5432)),
        ("127.0.0.1:5432:5432/tcp", ("127.0.0.1", False, 5432)),
        ("[::1]:5432:5432", ("[::1]", False, 5432)),
        ("::1:5432:5432", ("::1", False, 5432)),
        ("${DB_PORT:-5432}:5432", (None, False, 5432)),
        ("${BIND:-127.0.0.1}:5432:5432", ("${BIND:-127.0.0.1}", True, 5432)),
        ("6379", (None, False, 6379)),
    ],
)
def test_short_port_syntax(spec, expected):
    assert parse_short_port(spec) == expected


# --------------------------------------------------------------------------- CMP000
def test_cmp000_schema_error_at_the_bad_key_not_its_service(tmp_path):
    text = (
        "services:\n"
        "  api:\n"
        "    image: ghcr.io/acme/api:1.0.0\n"
        "    ports: 8080\n"
        "    healthcheck:\n"
        "      test: [\"CMD\", \"true\"]\n"
        "      interval: 10\n"
    )
    found = run(tmp_path, "CMP000", {"docker-compose.yml": text})
    assert where(found) == [("docker-compose.yml", 4, "CMP000"), ("docker-compose.yml", 7, "CMP000")]
    assert found[0].message.startswith("services.api.ports:")


def test_cmp000_unknown_key_and_bad_service_name(tmp_path):
    text = "services:\n  api:\n    image: a:1\n    restrat: always\n    x-note: fine\n  bad name:\n    image: b:1\nx-top: 1\n"
    assert compose(tmp_path, "CMP000", text) == [("docker-compose.yml", 4, "CMP000"), ("docker-compose.yml", 6, "CMP000")]


def test_cmp000_one_of_error_points_into_the_fitting_form(tmp_path):
    text = (
        "services:\n  api:\n    image: a:1\n    depends_on:\n      db:\n        condition: healthy\n"
        "    environment:\n      DB_PASSWORD: [not, a, scalar]\n  db:\n    image: postgres:16\n"
    )
    found = run(tmp_path, "CMP000", {"docker-compose.yml": text})
    assert where(found) == [("docker-compose.yml", 6, "CMP000"), ("docker-compose.yml", 8, "CMP000")]
    assert all("scalar" not in f.message for f in found)  # values are described, never repeated


def test_cmp000_obsolete_version_and_yaml_12_values_are_valid(tmp_path):
    text = 'version: "3.8"\nservices:\n  api:\n    image: a:1\n    restart: no\n    read_only: true\n    ports:\n      - 22:22\n'
    assert compose(tmp_path, "CMP000", text) == []


def test_cmp000_duplicate_key(tmp_path):
    text = "services:\n  api:\n    image: a:1\n    restart: always\n    restart: \"no\"\n"
    assert compose(tmp_path, "CMP000", text) == [("docker-compose.yml", 5, "CMP000")]


def test_cmp000_merge_key_override_is_not_a_duplicate(tmp_path):
    text = (
        "x-base: &base\n  restart: always\n  image: a:1\n"
        "services:\n  api:\n    <<: *base\n    restart: unless-stopped\n"
    )
    assert compose(tmp_path, "CMP000", text) == []


def test_cmp000_undefined_references_short_and_long_syntax(tmp_path):
    text = (
        "services:\n"  # 1
        "  api:\n"  # 2
        "    image: a:1\n"  # 3
        "    depends_on: [db, cache]\n"  # 4: cache is a flow item on this line
        "    volumes:\n"  # 5
        "      - uploads:/srv/uploads\n"  # 6
        "      - ./static:/srv/static\n"  # 7
        "      - type: volume\n"  # 8
        "        source: media\n"  # 9
        "        target: /srv/media\n"  # 10
        "    networks:\n"  # 11
        "      front:\n"  # 12
        "      back:\n"  # 13
        "    secrets:\n"  # 14
        "      - api_key\n"  # 15
        "      - source: db_password\n"  # 16
        "    network_mode: service:proxy\n"  # 17
        "  db:\n"  # 18
        "    image: postgres:16\n"  # 19
        "networks:\n  front:\n"
        "secrets:\n  api_key:\n    file: ./api_key.txt\n"
    )
    assert compose(tmp_path, "CMP000", text) == [
        ("docker-compose.yml", 4, "CMP000"),
        ("docker-compose.yml", 6, "CMP000"),
        ("docker-compose.yml", 9, "CMP000"),
        ("docker-compose.yml", 13, "CMP000"),
        ("docker-compose.yml", 16, "CMP000"),
        ("docker-compose.yml", 17, "CMP000"),
    ]


def test_cmp000_references_not_checked_in_override_or_include_files(tmp_path):
    override = "services:\n  api:\n    depends_on: [db]\n    volumes:\n      - data:/srv\n"
    base = "include:\n  - ./db.yaml\nservices:\n  api:\n    image: a:1\n    depends_on: [db]\n"
    found = run(tmp_path, "CMP000", {"docker-compose.override.yml": override, "compose.yaml": base})
    assert where(found) == []


def test_cmp000_not_reported_for_unparsable_yaml(tmp_path):
    found = run(tmp_path, ("CMP000", "PRJ003"), {"docker-compose.yml": "services:\n  api: [unclosed\n"})
    assert [f.rule_id for f in found] == ["PRJ003"]


# --------------------------------------------------------------------------- CMP001
def test_cmp001_list_and_map_form_locations_and_masking(tmp_path):
    text = (
        "services:\n"
        "  api:\n"
        "    build:\n"
        "      context: .\n"
        "      args:\n"
        "        PIP_TOKEN: tok-abcdef\n"  # 6
        "    environment:\n"
        "      - DB_PASSWORD=hunter2hunter2\n"  # 8
        "      - DATABASE_URL=postgresql://app:pa55word@db:5432/app\n"  # 9
        "      - SECRET_KEY=${SECRET_KEY:?required}\n"
        "  db:\n"
        "    image: postgres:16\n"
        "    environment:\n"
        "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-postgres}\n"  # 14
        "      POSTGRES_USER: postgres\n"
    )
    found = run(tmp_path, "CMP001", {"docker-compose.yml": text})
    assert where(found) == [
        ("docker-compose.yml", 6, "CMP001"),
        ("docker-compose.yml", 8, "CMP001"),
        ("docker-compose.yml", 9, "CMP001"),
        ("docker-compose.yml", 14, "CMP001"),
    ]
    for finding in found:
        for secret in ("tok-abcdef", "hunter2hunter2", "pa55word", "postgres}"):
            assert secret not in finding.message and secret not in finding.snippet
        assert MASK in finding.snippet
    by_line = {f.line: f.snippet for f in found}
    assert by_line[8] == f"      - DB_PASSWORD={MASK}"
    assert by_line[14] == f"      POSTGRES_PASSWORD: {MASK}"


def test_cmp001_secret_in_anchor_reported_once_at_the_anchor(tmp_path):
    text = (
        "x-env: &env\n"
        "  JWT_SECRET: not-so-secret\n"  # 2
        "  LOG_LEVEL: info\n"
        "services:\n"
        "  api:\n    image: a:1\n    environment:\n      <<: *env\n      PORT: \"8000\"\n"
        "  worker:\n    image: b:1\n    environment: *env\n"
    )
    assert compose(tmp_path, "CMP001", text) == [("docker-compose.yml", 2, "CMP001")]


def test_cmp001_interpolated_and_metadata_values_are_fine(tmp_path):
    text = (
        "services:\n  api:\n    image: a:1\n    environment:\n"
        "      DATABASE_URL: postgresql+asyncpg://${PGUSER:-app}:${PGPASSWORD:?set it}@db/${PGDB:-app}\n"
        "      REDIS_URL: redis://redis:6379/0\n"
        "      ACCESS_TOKEN_EXPIRE_MINUTES: 30\n"
        "      POSTGRES_PASSWORD_FILE: /run/secrets/pg\n"
        "      API_KEY: ''\n"
        "      AUTH_TOKEN:\n"
        "      MYSQL_ALLOW_EMPTY_PASSWORD: yes\n"
        "      POSTGRES_HOST_AUTH_METHOD: scram-sha-256\n"
    )
    assert compose(tmp_path, "CMP001", text) == []


# --------------------------------------------------------------------------- CMP002
def test_cmp002_merged_healthcheck_counts_and_one_shots_are_exempt(tmp_path):
    text = (
        "x-hc: &hc\n  healthcheck:\n    test: [\"CMD\", \"true\"]\n"
        "services:\n"
        "  api:\n    <<: *hc\n    build: .\n"  # 5
        "  migrate:\n    build: .\n    command: alembic upgrade head\n    restart: \"no\"\n"  # 8
        "  db-seed:\n    build: .\n"  # 12
        "  worker:\n    build: .\n    command: celery -A app worker\n"  # 14
        "  cache:\n    image: redis:7.4\n    healthcheck:\n      disable: true\n"  # 17
    )
    assert compose(tmp_path, "CMP002", text) == [("docker-compose.yml", 14, "CMP002"), ("docker-compose.yml", 17, "CMP002")]


# --------------------------------------------------------------------------- CMP003
def test_cmp003_list_item_and_mapping_key_locations(tmp_path):
    text = (
        "services:\n"
        "  api:\n    build: .\n    depends_on:\n      - db\n      - mailer\n"  # db at 5
        "  worker:\n    build: .\n    depends_on:\n      db:\n        condition: service_started\n"  # db: at 10
        "      migrate:\n        condition: service_completed_successfully\n"
        "  migrate:\n    build: .\n    command: alembic upgrade head\n    restart: \"no\"\n"
        "  db:\n    image: postgres:16\n    healthcheck:\n      test: [\"CMD-SHELL\", \"pg_isready\"]\n"
        "  mailer:\n    image: axllent/mailpit:v1.20\n"
    )
    assert compose(tmp_path, "CMP003", text) == [("docker-compose.yml", 5, "CMP003"), ("docker-compose.yml", 10, "CMP003")]


# --------------------------------------------------------------------------- CMP004
def test_cmp004_at_service_name_for_bind_mount_missing_and_misplaced_volume(tmp_path):
    text = (
        "services:\n"
        "  pg:\n    image: postgres:16\n    volumes:\n      - ./data:/var/lib/postgresql/data\n"  # 2
        "  mysql:\n    image: mysql:8.4\n"  # 6
        "  mongo:\n    image: mongo:7.0\n    volumes:\n      - type: volume\n        source: mongodata\n        target: /data/db\n"
        "  pg2:\n    image: postgis/postgis:16-3.4\n    environment:\n      PGDATA: /pgdata\n    volumes:\n      - pgdata:/var/lib/postgresql/data\n"  # 14
        "  cache:\n    image: redis:7.4\n"
        "volumes:\n  mongodata:\n  pgdata:\n"
    )
    assert compose(tmp_path, "CMP004", text) == [
        ("docker-compose.yml", 2, "CMP004"),
        ("docker-compose.yml", 6, "CMP004"),
        ("docker-compose.yml", 14, "CMP004"),
    ]


# --------------------------------------------------------------------------- CMP005
def test_cmp005_each_service_on_the_default_network(tmp_path):
    text = (
        "services:\n"
        "  api:\n    build: .\n    networks: [backend]\n"
        "  db:\n    image: postgres:16\n"  # 5
        "  exporter:\n    image: prom/node-exporter:v1.8.2\n    network_mode: host\n"
        "  worker:\n    build: .\n    networks: [default]\n"  # 10
        "networks:\n  backend:\n"
    )
    assert compose(tmp_path, "CMP005", text) == [("docker-compose.yml", 5, "CMP005"), ("docker-compose.yml", 10, "CMP005")]


def test_cmp005_network_from_merge_key(tmp_path):
    text = "x-net: &net\n  networks: [app]\nservices:\n  api:\n    <<: *net\n    build: .\n  db:\n    <<: *net\n    image: postgres:16\nnetworks:\n  app:\n"
    assert compose(tmp_path, "CMP005", text) == []


# --------------------------------------------------------------------------- CMP006
def test_cmp006_at_image_line(tmp_path):
    text = (
        "services:\n"
        "  db:\n    image: postgres\n"  # 3
        "  cache:\n    image: redis:latest\n"  # 5
        "  mq:\n    image: registry.local:5000/rabbitmq\n"  # 7
        "  ok:\n    image: registry.local:5000/nginx:1.27@sha256:" + "c" * 64 + "\n"
        "  built:\n    build: .\n    image: acme/api\n"
        "  var:\n    image: ${IMAGE}\n"
    )
    assert compose(tmp_path, "CMP006", text) == [
        ("docker-compose.yml", 3, "CMP006"),
        ("docker-compose.yml", 5, "CMP006"),
        ("docker-compose.yml", 7, "CMP006"),
    ]


def test_cmp006_image_from_anchor_reported_where_it_is_written(tmp_path):
    text = "x-img: &img\n  image: postgres:latest\nservices:\n  db:\n    <<: *img\n"
    assert compose(tmp_path, "CMP006", text) == [("docker-compose.yml", 2, "CMP006")]


# --------------------------------------------------------------------------- CMP007
def test_cmp007_short_and_long_syntax(tmp_path):
    text = (
        "services:\n"
        "  api:\n"
        "    build: .\n"
        "    privileged: true\n"  # 4
        "    ports:\n      - \"8000:8000\"\n"
        "    volumes:\n"
        "      - type: bind\n"  # 8
        "        source: /var/run/docker.sock\n"
        "        target: /var/run/docker.sock\n"
        "    cap_add: [NET_BIND_SERVICE, SYS_ADMIN]\n"  # 11
        "  db:\n"
        "    image: postgres:16\n"
        "    ports:\n"
        "      - 5432:5432\n"  # 15
        "      - \"127.0.0.1:5433:5432\"\n"
        "    expose: [\"5432\"]\n"
        "  cache:\n"
        "    image: redis:7.4\n"
        "    ports:\n"
        "      - target: 6379\n"  # 21
        "        published: 6379\n"
        "      - target: 6380\n"
        "        host_ip: 127.0.0.1\n"
        "  exporter:\n"
        "    image: prom/node-exporter:v1.8.2\n"
        "    network_mode: host\n"  # 27
        "    pid: host\n"  # 28
    )
    assert compose(tmp_path, "CMP007", text) == [
        ("docker-compose.yml", 4, "CMP007"),
        ("docker-compose.yml", 8, "CMP007"),
        ("docker-compose.yml", 11, "CMP007"),
        ("docker-compose.yml", 15, "CMP007"),
        ("docker-compose.yml", 21, "CMP007"),
        ("docker-compose.yml", 27, "CMP007"),
        ("docker-compose.yml", 28, "CMP007"),
    ]


def test_compose_rules_silent_on_a_clean_stack(tmp_path):
    text = (
        "name: shop\n"
        "services:\n"
        "  api:\n"
        "    build: .\n"
        "    environment:\n"
        "      DATABASE_URL: postgresql://shop:${POSTGRES_PASSWORD:?required}@db:5432/shop\n"
        "    ports: [\"8000:8000\"]\n"
        "    depends_on:\n      db:\n        condition: service_healthy\n"
        "    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://127.0.0.1:8000/health\"]\n"
        "    networks: [backend]\n"
        "  db:\n"
        "    image: postgres:16.4-alpine\n"
        "    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?required}\n"
        "    volumes: [\"pgdata:/var/lib/postgresql/data\"]\n"
        "    healthcheck:\n      test: [\"CMD-SHELL\", \"pg_isready -U shop\"]\n"
        "    networks: [backend]\n"
        "volumes:\n  pgdata:\n"
        "networks:\n  backend:\n"
    )
    assert compose(tmp_path, CMP, text, path="compose.yaml") == []


def test_non_mapping_compose_file_is_left_to_prj003(tmp_path):
    found = run(tmp_path, CMP + ("PRJ003",), {"docker-compose.yml": "- a\n- b\n"})
    assert [(f.line, f.rule_id) for f in found] == [(1, "PRJ003")]
