"""No leaks, no execution.

- A planted secret (a password in compose, a key in a Dockerfile ENV/ARG, a token in a log
  call, a SECRET_KEY literal, a password in a database URL) never appears in any report
  format critic has (every renderer in critic.report.FORMATS, so a format added later is held
  to it too) nor in a baseline file: only masked. Engines run too (bandit prints the
  passwords it finds). Tricks that once shifted a mask off its secret are planted as well: a
  form feed and a U+2028 before the secret's line, a BOM before it on line 1.
- critic never imports, runs or evaluates scanned code: modules that write a marker and
  `raise SystemExit` when imported sit at every conventional place, YAML carries Python tags,
  and the engines' own config files in the tree are broken on purpose (they must be ignored).
"""
from __future__ import annotations

import importlib
import json
import os
import pkgutil
from pathlib import Path

import pytest

from _hostile import critic_cli, run_limited, time_limit, write_tree
from critic.api import critique
from critic.baseline import record, write
from critic.config import ENGINE_NAMES
from critic.findings import MASK
from critic.report import FORMATS, RenderOptions, renderer


@pytest.fixture(autouse=True)
def _bounded():
    """Every test here ends within 600 s, or fails (SIGALRM), rather than hanging the suite."""
    with time_limit(600):
        yield


SECRETS = {
    "compose_map": "planted-compose-pw-7Gq2xV",
    "compose_string": "planted-compose-str-8Hw3yU",
    "compose_url": "planted-url-pw-3Xk9zT",
    "docker_env": "planted-docker-key-9Lm4qR",
    "docker_arg": "planted-docker-arg-2Pn6sW",
    "secret_key": "planted-secret-key-5Rt8uY",
    "log_token": "ghp_PlantedLogToken0123456789abcdefABCDEF",
    "log_literal": "planted-log-api-key-4Vb7",
    "formfeed": "planted-after-formfeed-6Jc1",
    "linesep": "planted-after-linesep-1Kd5",
    "bom": "planted-bom-secret-0Fe2",
    "suppressed": "planted-suppressed-pw-3Gh8",
    "bandit_kwarg": "planted-kwarg-password-7Mn0",
}

TREE = {
    "docker-compose.yml": (
        "services:\n"
        "  api:\n"
        "    build: .\n"
        "    image: api:1.0  # TODO pin by digest\n"
        "    environment:\n"
        f"      POSTGRES_PASSWORD: {SECRETS['compose_map']}\n"
        f"      DATABASE_URL: postgresql://app:{SECRETS['compose_url']}@db:5432/app\n"
        "  db:\n"
        "    image: postgres:16.4-alpine\n"
        f"    environment: POSTGRES_PASSWORD={SECRETS['compose_string']}\n"
    ),
    "Dockerfile": (
        "FROM python:3.12-slim\n"
        f"ENV API_KEY={SECRETS['docker_env']} \\\n"
        "    APP_ENV=production\n"
        f"ARG DB_PASSWORD={SECRETS['docker_arg']}\n"
        "COPY . /app\n"
        'CMD ["python", "-m", "app.main"]\n'
    ),
    "app/main.py": (
        "import logging\n"
        "\n"
        "import jwt\n"
        "\n"
        "logger = logging.getLogger(__name__)\n"
        f'SECRET_KEY = "{SECRETS["secret_key"]}"  # TODO: read from env\n'
        "\n"
        "\n"
        "def issue(user_id: int) -> str:\n"
        f'    logger.info("issuing with token {SECRETS["log_token"]}")  # FIXME: remove\n'
        f'    logger.debug("api_key=%s", "{SECRETS["log_literal"]}")  # XXX\n'
        '    return jwt.encode({"sub": user_id}, SECRET_KEY, algorithm="HS256")\n'
        "\n"
        "\n"
        "def connect(client):\n"
        f'    return client.login(user="admin", password="{SECRETS["bandit_kwarg"]}")  # HACK\n'
    ),
    # a form feed and a U+2028 do not end a Python line, str.splitlines() thinks they do
    "app/formfeed.py": f'# page one\x0c page two\nAPI_TOKEN = "{SECRETS["formfeed"]}"\nx = 1  # TODO later\n',
    "app/linesep.py": f'# one\u2028two\nSECRET = "{SECRETS["linesep"]}"\ny = 2  # FIXME later\n',
    "app/bom.py": "\ufeff" + f'PASSWORD = "{SECRETS["bom"]}"  # TODO rotate\n',
    "app/suppressed.py": f'DB_PASSWORD = "{SECRETS["suppressed"]}"  # critic: ignore[SEC002] fixture value  # TODO\n',
}


def _leaks(text: str) -> list[str]:
    return sorted(name for name, value in SECRETS.items() if value in text)


def _renderers() -> dict[str, object]:
    """Every renderer: the formats the CLI knows, and any module of critic/report/ with a
    ``render`` (a format added to the package but not yet to the table is held too)."""
    import critic.report

    found = {name: renderer(name) for name in FORMATS}
    for module in pkgutil.iter_modules(critic.report.__path__):
        loaded = importlib.import_module(f"critic.report.{module.name}")
        if callable(getattr(loaded, "render", None)) and loaded.render not in found.values():
            found[module.name] = loaded.render
    return found


RENDERERS = _renderers()


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("leaks") / "svc"
    write_tree(root, {k: v for k, v in TREE.items()})
    return root, critique([root], engines=ENGINE_NAMES)


def test_every_engine_ran(planted):
    _, report = planted
    assert {e.name: e.status for e in report.engines} == {name: "ok" for name in ENGINE_NAMES}


def test_the_planted_lines_are_reported(planted):
    """The secrets sit on lines that findings show: the masks are what keeps them out."""
    _, report = planted
    lines = {(f.path, f.line) for f in report.findings}
    for where in [("app/main.py", 6), ("app/main.py", 10), ("app/main.py", 11), ("app/main.py", 16), ("app/formfeed.py", 3),
                  ("app/linesep.py", 3), ("app/bom.py", 1), ("app/suppressed.py", 1), ("Dockerfile", 2), ("Dockerfile", 4),
                  ("docker-compose.yml", 6), ("docker-compose.yml", 10)]:
        assert where in lines, where


def test_every_format_is_covered():
    assert set(FORMATS) <= set(RENDERERS) and len(RENDERERS) >= 4


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_no_renderer_shows_a_secret(planted, fmt):
    _, report = planted
    render = RENDERERS[fmt]
    for options in (RenderOptions(), RenderOptions(color=True), RenderOptions(statistics=True), RenderOptions(quiet=True)):
        text = render(report, options)
        assert _leaks(text) == [], f"{fmt} shows {_leaks(text)}"
    assert MASK in render(report, RenderOptions()) or fmt == "github"


def test_no_finding_field_holds_a_secret(planted):
    _, report = planted
    for f in report.findings:
        assert _leaks(f.message + f.fix + f.snippet + f.path) == [], f
    assert _leaks(report.summary) == []
    assert _leaks(json.dumps([e.reason for e in report.engines] + [e.message for e in report.errors])) == []


def test_secrets_are_masked_in_the_snippets_that_show_their_lines(planted):
    _, report = planted
    shown = {(f.path, f.line): f.snippet for f in report.findings}
    assert shown[("app/main.py", 6)].startswith("SECRET_KEY = ****")
    assert "token ****" in shown[("app/main.py", 10)]
    assert shown[("app/formfeed.py", 3)] == "x = 1  # TODO later"  # its own line, not the secret's
    assert shown[("app/linesep.py", 3)] == "y = 2  # FIXME later"
    assert shown[("app/bom.py", 1)].startswith("PASSWORD = ****")
    assert "POSTGRES_PASSWORD=****" in shown[("docker-compose.yml", 10)]


def test_the_baseline_file_holds_no_secret(planted, tmp_path):
    root, report = planted
    target = tmp_path / "baseline.json"
    write(record(report.findings, root), target)
    assert _leaks(target.read_text(encoding="utf-8")) == []


def test_the_cli_output_holds_no_secret(planted):
    root, _ = planted
    for fmt in sorted(FORMATS):
        done = run_limited(critic_cli("check", str(root), "--engines", "fast", "--format", fmt, "--no-cache"), memory_mb=None)
        assert done.returncode == 1, done.stderr[-2000:]
        assert _leaks(done.stdout + done.stderr) == [], fmt


# --------------------------------------------------------------------------- never executed
IMPORT_BOMB = """import pathlib
pathlib.Path({marker!r}).joinpath({name!r}).write_text("imported")
raise SystemExit(3)
"""
BOMB_MODULES = [
    "sitecustomize.py", "usercustomize.py", "conftest.py", "setup.py", "noxfile.py", "manage.py",
    "__init__.py", "__main__.py", "app/__init__.py", "app/main.py", "app/settings.py", "tests/conftest.py",
    "alembic/env.py", "pkg/__init__.py", "ruff.py", "bandit.py", "semgrep.py", "yaml.py", "libcst.py", "json.py",
]


def test_scanned_code_is_never_imported_or_run(tmp_path, monkeypatch):
    marker = tmp_path / "markers"
    marker.mkdir()
    files: dict[str, str] = {name: IMPORT_BOMB.format(marker=str(marker), name=name.replace("/", "_")) for name in BOMB_MODULES}
    files["pkg/site.pth"] = f"import pathlib; pathlib.Path({str(marker)!r}).joinpath('pth').write_text('x')\n"
    files["docker-compose.yml"] = (
        "services:\n"
        "  api:\n"
        "    image: !!python/object/apply:os.system [\"touch " + str(marker / "yaml_tag") + "\"]\n"
        "    command: !!python/object/apply:pathlib.Path.touch [\"" + str(marker / "yaml_tag2") + "\"]\n"
    )
    files["specs/openapi.yaml"] = "openapi: 3.0.0\ninfo: !!python/object/apply:os.system [\"touch " + str(marker / "spec_tag") + "\"]\n"
    files["Dockerfile"] = "FROM python:3.12-slim\nRUN python -c 'import app'\nUSER app\n"
    # the engines' own configuration in the tree, broken: read, any of them would fail
    files["ruff.toml"] = "[lint\nselect = \n"
    files[".ruff.toml"] = "[lint\n"
    files["pyproject.toml"] = "[tool.ruff]\nselect = 5\n[tool.bandit]\nexclude_dirs = 5\n"
    files[".bandit"] = "[bandit\n"
    files[".hadolint.yaml"] = "ignored: [\n"
    files["setup.cfg"] = "[flake8\n"
    root = write_tree(tmp_path / "svc", files)
    monkeypatch.chdir(root)  # the worst case: critic started from inside the scanned tree
    monkeypatch.setenv("PYTHONPATH", str(root))
    report = critique(["."], engines=ENGINE_NAMES)
    assert {e.name: e.status for e in report.engines} == {name: "ok" for name in ENGINE_NAMES}, [(e.name, e.reason) for e in report.engines]
    assert sorted(p.name for p in marker.iterdir()) == []
    assert {f.path for f in report.findings} >= {"app/main.py", "docker-compose.yml"}
    # and the command line, from inside the tree, with the tree on PYTHONPATH
    done = run_limited(critic_cli("check", ".", "--engines", "all", "--format", "json"), cwd=root, memory_mb=None,
                       env={"PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parent.parent)]), "CRITIC_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 1, done.stderr[-2000:]
    assert {e["name"]: e["status"] for e in json.loads(done.stdout)["engines"]} == {name: "ok" for name in ENGINE_NAMES}
    assert sorted(p.name for p in marker.iterdir()) == []


# --------------------------------------------------------------------------- the redaction net, line by line
@pytest.mark.parametrize(
    ("line", "code", "shown"),
    [
        ('SECRET_KEY = "s3cret-value-1"', True, 'SECRET_KEY = "****"'),
        ('    environment: POSTGRES_PASSWORD=hunter2hunter2', False, "    environment: POSTGRES_PASSWORD=****"),
        ("ENV API_KEY=abc123def456 \\", False, "ENV API_KEY=**** \\"),
        ("      - SECRET_KEY=abc123secret", False, "      - SECRET_KEY=****"),
        ('url = "postgresql://app:pa55word@db:5432/app"', True, 'url = "postgresql://app:****@db:5432/app"'),
        ('log.info("token ghp_0123456789abcdefghijABCDEFGHIJ")', True, 'log.info("token ****")'),
        ('log.debug("api_key=%s", "k-12345678")', True, 'log.debug("api_key=%s", "****")'),
        ('headers = {"Authorization": "Bearer abcdefghijklmnop123"}', True, 'headers = {"Authorization": "****"}'),
        # what is not a secret stays readable
        ("      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it}", False, None),
        ("      DATABASE_URL: postgresql://app:${POSTGRES_PASSWORD}@db/app", False, None),
        ("      POSTGRES_PASSWORD_FILE: /run/secrets/db_password", False, None),
        ('    password = request.form["password"]', True, None),
        ("    token = create_access_token(data={'sub': user.id})", True, None),
        ('    logger.info(f"password={password}")', True, None),
        ("    password: str = Field(..., min_length=8)", True, None),
        ("RUN --mount=type=secret,id=api_key pip install -r requirements.txt", False, None),
        ("FROM python:3.12-slim", False, None),
    ],
)
def test_redaction(line, code, shown):
    from critic.findings import redact

    assert redact(line, code=code) == (line if shown is None else shown)
