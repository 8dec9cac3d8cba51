"""Focused cases for the Dockerfile rules (DKR001-DKR009): exact locations, never counts."""
from __future__ import annotations

from pathlib import Path

import pytest

from critic.api import critique
from critic.config import Config
from critic.findings import MASK
from critic.parsers.dockerfile import parse_dockerfile
from critic.rules.dockerfile._support import parse_image, run_commands, split_commands, substitute
from critic.rules.dockerfile.missing_dockerignore import missing_categories
from critic.rules.dockerfile.secret_baked_into_image import is_secret_name, secret_file


def run(tmp_path: Path, rule_id: str, files: dict[str, str]) -> list:
    for rel, text in files.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    report = critique([tmp_path], Config(select=(rule_id,)), engines=())
    return [f for f in report.findings if f.rule_id == rule_id]


def where(findings) -> list[tuple[str, int, str]]:
    return sorted((f.path, f.line, f.rule_id) for f in findings)


def docker(tmp_path: Path, rule_id: str, text: str, path: str = "Dockerfile") -> list[tuple[str, int, str]]:
    return where(run(tmp_path, rule_id, {path: text}))


# --------------------------------------------------------------------------- DKR001
def test_dkr001_no_user_reported_at_final_from(tmp_path):
    text = "FROM python:3.12-slim AS build\nUSER app\nRUN true\n\nFROM python:3.12-slim\nCMD [\"python\"]\n"
    assert docker(tmp_path, "DKR001", text) == [("Dockerfile", 5, "DKR001")]


def test_dkr001_last_user_root_reported_at_that_user(tmp_path):
    text = "FROM python:3.12-slim\nUSER app\nUSER root:root\nCMD [\"python\"]\n"
    assert docker(tmp_path, "DKR001", text) == [("Dockerfile", 3, "DKR001")]


def test_dkr001_root_then_app_is_fine(tmp_path):
    text = "FROM python:3.12-slim\nUSER root\nRUN apt-get update\nUSER app\n"
    assert docker(tmp_path, "DKR001", text) == []


def test_dkr001_user_from_arg_resolved(tmp_path):
    assert docker(tmp_path, "DKR001", "FROM python:3.12-slim\nARG RUN_AS=root\nUSER $RUN_AS\n") == [("Dockerfile", 3, "DKR001")]
    assert docker(tmp_path / "b", "DKR001", "FROM python:3.12-slim\nUSER ${APP_UID}\n") == []


def test_dkr001_inherits_through_named_stage_chain(tmp_path):
    text = "FROM python:3.12-slim AS base\nUSER app\nFROM base AS mid\nRUN true\nFROM mid\nCMD [\"x\"]\n"
    assert docker(tmp_path, "DKR001", text) == []


# --------------------------------------------------------------------------- DKR002
def test_dkr002_single_stage(tmp_path):
    assert docker(tmp_path, "DKR002", "# comment\nFROM python:3.12-slim\nCOPY . .\n") == [("Dockerfile", 2, "DKR002")]


def test_dkr002_final_copies_from_builder_by_name_case_insensitively(tmp_path):
    text = "FROM python:3.12 AS Builder\nRUN make\nFROM python:3.12-slim\nCOPY --from=builder /out /out\n"
    assert docker(tmp_path, "DKR002", text) == []


def test_dkr002_copy_from_a_later_or_unknown_stage_does_not_count(tmp_path):
    text = "FROM python:3.12 AS build\nFROM python:3.12-slim\nCOPY --from=1 /x /x\n"
    assert docker(tmp_path, "DKR002", text) == [("Dockerfile", 2, "DKR002")]


# --------------------------------------------------------------------------- DKR003
def test_dkr003_final_stage_only(tmp_path):
    text = "FROM python:3.12 AS build\nRUN pip wheel . -w /w\nFROM python:3.12\nCOPY --from=build /w /w\n"
    assert docker(tmp_path, "DKR003", text) == [("Dockerfile", 3, "DKR003")]


@pytest.mark.parametrize(
    "image",
    [
        "python:3.12-slim", "python:3.12-alpine3.20", "gcr.io/distroless/python3-debian12:nonroot", "scratch",
        "cgr.dev/chainguard/python:latest-dev", "registry.access.redhat.com/ubi9/ubi-micro:9.4",
        "mcr.microsoft.com/dotnet/aspnet:8.0-jammy-chiseled", "debian:bookworm-slim", "acme/python-base:1.0",
    ],
)
def test_dkr003_minimal_or_unknown_images_pass(tmp_path, image):
    assert docker(tmp_path, "DKR003", f"FROM {image}\n") == []


def test_dkr003_full_images_reported(tmp_path):
    assert docker(tmp_path, "DKR003", "FROM node:20-bookworm\n") == [("Dockerfile", 1, "DKR003")]
    assert docker(tmp_path / "b", "DKR003", "FROM docker.io/library/python:3.12\n") == [("Dockerfile", 1, "DKR003")]


# --------------------------------------------------------------------------- DKR004
def test_dkr004_every_stage(tmp_path):
    text = "FROM golang AS build\nRUN go build\nFROM node:latest AS assets\nFROM build AS test\nFROM alpine:3.20\n"
    assert docker(tmp_path, "DKR004", text) == [("Dockerfile", 1, "DKR004"), ("Dockerfile", 3, "DKR004")]


def test_dkr004_digest_and_platform(tmp_path):
    text = "FROM --platform=$BUILDPLATFORM python@sha256:" + "0" * 64 + " AS b\nFROM --platform=linux/amd64 python:3.12-slim\n"
    assert docker(tmp_path, "DKR004", text) == []


def test_dkr004_parse_image():
    ref = parse_image("localhost:5000/team/api:1.2@sha256:abc")
    assert (ref.repository, ref.tag, ref.digest, ref.name) == ("localhost:5000/team/api", "1.2", "sha256:abc", "api")
    assert parse_image("localhost:5000/team/api").tag is None


# --------------------------------------------------------------------------- DKR005
def test_dkr005_healthcheck_none_in_final_overrides_inherited(tmp_path):
    text = "FROM python:3.12-slim AS base\nHEALTHCHECK CMD true\nFROM base\nHEALTHCHECK NONE\n"
    assert docker(tmp_path, "DKR005", text) == [("Dockerfile", 3, "DKR005")]


def test_dkr005_multi_line_healthcheck(tmp_path):
    text = "FROM python:3.12-slim\nHEALTHCHECK --interval=30s \\\n    --timeout=3s \\\n    CMD curl -f http://localhost/health\n"
    assert docker(tmp_path, "DKR005", text) == []


# --------------------------------------------------------------------------- DKR006
def test_dkr006_env_value_masked_and_never_in_message(tmp_path):
    text = 'FROM python:3.12-slim\nENV APP=api \\\n    JWT_SECRET="s3cr3t value" \\\n    DEBUG=0\n'
    found = run(tmp_path, "DKR006", {"Dockerfile": text})
    assert where(found) == [("Dockerfile", 2, "DKR006")]
    finding = found[0]
    assert "s3cr3t" not in finding.message and "s3cr3t" not in finding.snippet
    assert "JWT_SECRET" in finding.message
    assert [(s.line, s.column) for s in finding.secret_spans] == [(3, 16)]
    assert f"JWT_SECRET={MASK} \\" in finding.snippet


def test_dkr006_global_arg_and_url(tmp_path):
    text = "ARG NPM_TOKEN=npm_abcdef\nFROM node:20-alpine\nENV REDIS_URL=redis://:p4ss@cache:6379/0\n"
    found = run(tmp_path, "DKR006", {"Dockerfile": text})
    assert where(found) == [("Dockerfile", 1, "DKR006"), ("Dockerfile", 3, "DKR006")]
    assert all("npm_abcdef" not in f.snippet and "p4ss" not in f.snippet for f in found)


def test_dkr006_ambiguous_name_masks_whole_instruction(tmp_path):
    text = 'FROM python:3.12-slim\nENV NOTE="API_KEY=x" API_KEY=real-key-123\n'
    found = run(tmp_path, "DKR006", {"Dockerfile": text})
    assert where(found) == [("Dockerfile", 2, "DKR006")]
    assert "real-key-123" not in found[0].snippet


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("POSTGRES_PASSWORD", True), ("JWT_SECRET_KEY", True), ("apiKey", True), ("DB_PASS", True),
        ("SECRET_KEY_BASE", True), ("STRIPE_API_KEY", True), ("AWS_SECRET_ACCESS_KEY", True),
        ("TOKEN_URL", False), ("TOKEN_TYPE", False), ("ACCESS_TOKEN_EXPIRE_MINUTES", False),
        ("DB_PASSWORD_FILE", False), ("GPG_KEY", False), ("PWD", False), ("PASSWORD_MIN_LENGTH", False),
        ("KEYCLOAK_REALM", False),
    ],
)
def test_dkr006_secret_names(name, secret):
    assert is_secret_name(name) is secret


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        (".env", True), ("./config/.env.production", True), (".env.example", False), ("certs/tls.key", True),
        ("certs/fullchain.pem", False), ("/etc/ssl/certs/ca-certificates.crt", False), ("id_rsa", True),
        ("id_rsa.pub", False), (".aws/credentials", True), ("secrets/", True), ("app/secrets.py", False),
        ("https://example.com/x.pem", False), ("gcp-credentials.json", True), ("requirements.txt", False),
    ],
)
def test_dkr006_secret_files(source, flagged):
    assert (secret_file(source) is not None) is flagged


def test_dkr006_copy_line(tmp_path):
    text = "FROM python:3.12-slim\nCOPY requirements.txt \\\n     .npmrc ./\n"
    assert docker(tmp_path, "DKR006", text) == [("Dockerfile", 2, "DKR006")]


# --------------------------------------------------------------------------- DKR007
def test_dkr007_reported_at_copy_line_in_each_stage(tmp_path):
    text = (
        "FROM node:20-alpine AS web\nWORKDIR /web\nCOPY . .\nRUN npm ci && npm run build\n"
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY --chown=app . ./\nRUN pip install --no-cache-dir .\n"
    )
    assert docker(tmp_path, "DKR007", text) == [("Dockerfile", 3, "DKR007"), ("Dockerfile", 7, "DKR007")]


def test_dkr007_manifests_first_is_fine(tmp_path):
    text = (
        "FROM python:3.12-slim\nCOPY pyproject.toml uv.lock ./\nRUN uv sync --frozen --no-install-project\n"
        "COPY . .\nRUN uv sync --frozen\n"
    )
    assert docker(tmp_path, "DKR007", text) == []


def test_dkr007_named_packages_are_not_a_manifest_install(tmp_path):
    assert docker(tmp_path, "DKR007", "FROM node:20-alpine\nCOPY . .\nRUN npm install -g pm2\n") == []


# --------------------------------------------------------------------------- DKR008
def test_dkr008_missing_reported_at_final_from(tmp_path):
    files = {"svc/Dockerfile": "ARG X=1\nFROM python:3.12 AS b\n\nFROM python:3.12-slim\n", "Readme.md": "x"}
    assert where(run(tmp_path, "DKR008", files)) == [("svc/Dockerfile", 4, "DKR008")]


def test_dkr008_incomplete_reported_once_at_line_1(tmp_path):
    files = {
        "Dockerfile": "FROM python:3.12-slim\n",
        "Dockerfile.dev": "FROM python:3.12-slim\n",
        ".dockerignore": "# ignore\n.git\n",
    }
    found = run(tmp_path, "DKR008", files)
    assert where(found) == [(".dockerignore", 1, "DKR008")]
    assert ".env" in found[0].message and "__pycache__" in found[0].message and ".git," not in found[0].message


def test_dkr008_categories():
    assert missing_categories(".git\n.env\nnode_modules\n") == []
    assert missing_categories("/.git/\n**/.env\n**/*.pyc\n") == []
    assert missing_categories("*\n!app\n!.env\n") == [".env"]
    assert missing_categories("") == [".git", ".env", "caches (__pycache__, *.pyc, node_modules)"]


# --------------------------------------------------------------------------- DKR009
def test_dkr009_one_finding_per_run_listing_each_problem(tmp_path):
    text = "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc && pip install -r r.txt\n"
    found = run(tmp_path, "DKR009", {"Dockerfile": text})
    assert where(found) == [("Dockerfile", 2, "DKR009")]
    assert "--no-cache-dir" in found[0].message and "--no-install-recommends" in found[0].message
    assert "/var/lib/apt/lists" in found[0].message


def test_dkr009_heredoc_body_is_scanned(tmp_path):
    text = "FROM python:3.12-slim\nRUN <<EOF\nset -e\npip install fastapi\nEOF\nRUN cat <<EOF > /tmp/notes\npip install x\nEOF\n"
    assert docker(tmp_path, "DKR009", text) == [("Dockerfile", 2, "DKR009")]


def test_dkr009_apt_cache_mounts_and_config(tmp_path):
    text = (
        "FROM debian:bookworm-slim\n"
        "RUN echo 'APT::Install-Recommends \"0\";' > /etc/apt/apt.conf.d/no-rec\n"
        "RUN --mount=type=cache,target=/var/cache/apt --mount=type=cache,target=/var/lib/apt \\\n"
        "    apt-get update && apt-get install -y curl\n"
    )
    assert docker(tmp_path, "DKR009", text) == []


def test_dkr009_env_inherited_from_base_stage(tmp_path):
    text = "FROM python:3.12-slim AS base\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install fastapi\n"
    assert docker(tmp_path, "DKR009", text) == []


def test_dkr009_apk_virtual(tmp_path):
    text = "FROM python:3.12-alpine\nRUN apk add --virtual .build-deps gcc musl-dev\nRUN apk add --no-cache libpq\n"
    assert docker(tmp_path, "DKR009", text) == [("Dockerfile", 2, "DKR009")]


# --------------------------------------------------------------------------- helpers
def test_split_commands_respects_quotes_and_redirections():
    script = "set -eux; echo 'a && pip install x' 2>&1 | tee log && DEBIAN_FRONTEND=noninteractive sudo apt-get install -y b"
    assert split_commands(script) == [
        ["set", "-eux"],
        ["echo", "a && pip install x", "2>&1"],
        ["tee", "log"],
        ["DEBIAN_FRONTEND=noninteractive", "sudo", "apt-get", "install", "-y", "b"],
    ]
    ins = parse_dockerfile("FROM x\nRUN " + script + "\n").instructions[1]
    assert [c.words[:2] for c in run_commands(ins)][-1] == ("apt-get", "install")


def test_substitute():
    assert substitute("python:${V:-3.12}-slim", {}) == "python:3.12-slim"
    assert substitute("python:${V}", {"V": None}) is None
    assert substitute("$BASE", {"BASE": "alpine:3"}) == "alpine:3"
    assert substitute("${V:+x}", {"V": "1"}) == "x"
