"""PRJ004 (the routes match the OpenAPI spec) and PRJ005 (the hand-off's claims hold): locations."""
from __future__ import annotations

import json
from pathlib import Path

from critic.api import critique
from critic.config import Config
from critic.task import load_task
from critic.testing import write_tree

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

MAIN = """from fastapi import FastAPI
from app.routers import items

app = FastAPI()
app.include_router(items.router, prefix="/api/v1")


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
"""
ITEMS = """from fastapi import APIRouter

router = APIRouter(prefix="/items")


@router.get("")
def list_items():
    return []


@router.get("/{item_id}")
def get_item(item_id: int):
    return {}


@router.post("", status_code=201)
def create_item():
    return {}
"""
SPEC = """openapi: 3.0.3
servers:
  - url: https://example.com/{base}
    variables:
      base: {default: api/v1}
paths:
  /items:
    get: {}
    post: {}
    options: {}
  /items/{id}:
    get: {}
"""


def _found(root: Path, rule: str, **kwargs) -> list[tuple[str, int]]:
    report = critique([root], Config(select=(rule,)), engines=(), **kwargs)
    assert not report.errors, report.errors
    return [(f.path, f.line) for f in report.findings if f.rule_id == rule]


def _messages(root: Path, rule: str, **kwargs) -> list[str]:
    report = critique([root], Config(select=(rule,)), engines=(), **kwargs)
    return [f.message for f in report.findings if f.rule_id == rule]


# --------------------------------------------------------------------------- the fixture
def test_spec_handoff_fixture_reports_each_lie_where_it_is():
    root = FIXTURES / "spec_handoff"
    report = critique([root], engines=(), task=load_task(root / "critic-task.json"))
    found = sorted((f.path, f.line, f.rule_id) for f in report.findings)
    assert found == [
        ("Dockerfile", 13, "PRJ005"),  # port 8080 claimed, EXPOSE 8000
        ("app/routers/users.py", 33, "PRJ004"),  # an undocumented route, at its decorator
        ("handoff.json", 6, "PRJ005"),  # a file that does not exist
        ("handoff.json", 23, "PRJ005"),  # an endpoint no route serves
        ("specs/openapi.yaml", 29, "PRJ004"),  # DELETE /users/{id}: at the method key (GET exists)
        ("specs/openapi.yaml", 34, "PRJ004"),  # /teams: the whole path is missing, at the path key
    ]
    statuses = {c.text: c.status for c in report.criteria}
    assert statuses["Implements the OpenAPI spec exactly"] == "fail"
    assert statuses["Hand-off outputs are accurate"] == "fail"
    assert statuses["Input validation implemented"] == "pass"
    assert statuses["Tests pass"] == "not_checkable"
    assert report.verdict == "fail"


def test_without_the_task_the_fixture_has_no_handoff_findings():
    found = {(f.path, f.rule_id) for f in critique([FIXTURES / "spec_handoff"], engines=()).findings}
    assert all(rule != "PRJ005" for _, rule in found)
    assert ("specs/openapi.yaml", "PRJ004") in found  # the spec is found on its own


# --------------------------------------------------------------------------- PRJ004
def test_servers_prefix_variables_and_parameter_names(tmp_path):
    write_tree(tmp_path, {"specs/openapi.yaml": SPEC, "app/main.py": MAIN, "app/routers/items.py": ITEMS})
    assert _found(tmp_path, "PRJ004") == []


def test_a_relative_server_url_is_a_prefix_from_the_root(tmp_path):
    relative = SPEC.replace("  - url: https://example.com/{base}\n    variables:\n      base: {default: api/v1}\n", "  - url: api/v1/\n")
    assert "url: api/v1/" in relative
    write_tree(tmp_path, {"specs/openapi.yaml": relative, "app/main.py": MAIN, "app/routers/items.py": ITEMS})
    assert _found(tmp_path, "PRJ004") == []


def test_missing_operation_and_undocumented_route(tmp_path):
    spec = SPEC + "    delete: {}\n  /orders:\n    get: {}\n"
    items = ITEMS + '\n\n@router.put("/{item_id}")\ndef replace_item(item_id: int):\n    return {}\n'
    write_tree(tmp_path, {"specs/openapi.yaml": spec, "app/main.py": MAIN, "app/routers/items.py": items})
    assert _found(tmp_path, "PRJ004") == [
        ("app/routers/items.py", 21),  # PUT /api/v1/items/{item_id}: at its decorator
        ("specs/openapi.yaml", 13),  # delete under /items/{id}: its method key
        ("specs/openapi.yaml", 14),  # /orders: its path key
    ]
    messages = _messages(tmp_path, "PRJ004")
    assert "Route PUT /api/v1/items/{item_id} is not in the OpenAPI spec `specs/openapi.yaml`" in messages
    assert "Spec operation DELETE /api/v1/items/{id} is not implemented by any route" in messages
    assert "Spec operation GET /api/v1/orders is not implemented by any route" in messages


def test_flask_blueprints_converters_and_swagger_base_path(tmp_path):
    spec = json.dumps({"swagger": "2.0", "basePath": "/v1", "paths": {"/books/{book_id}": {"get": {}, "delete": {}}, "/books": {"post": {}}}}, indent=2)
    app = (
        "from flask import Flask, Blueprint\n\napp = Flask(__name__)\nbp = Blueprint('books', __name__)\n\n\n"
        "@bp.route('/books/<int:book_id>', methods=['GET', 'DELETE'])\ndef book(book_id):\n    return {}\n\n\n"
        "@bp.route('/books/export')\ndef export():\n    return {}\n\n\n"
        "app.register_blueprint(bp, url_prefix='/v1')\n"
    )
    write_tree(tmp_path, {"openapi.json": spec, "app.py": app})
    # POST /v1/books is missing (at its path key line in the JSON), /v1/books/export is undocumented
    assert _found(tmp_path, "PRJ004") == [("app.py", 12), ("openapi.json", 9)]


def test_health_docs_and_unresolved_routes_are_never_undocumented(tmp_path):
    main = MAIN + (
        '\n\n@app.get("/docs/custom")\ndef docs():\n    return {}\n\n\n'
        '@app.get("/metrics")\ndef metrics():\n    return {}\n\n\n'
        'PREFIX = get_prefix()\n\n\n@app.get(PREFIX + "/dynamic")\ndef dynamic():\n    return {}\n'
    )
    write_tree(tmp_path, {"specs/openapi.yaml": SPEC, "app/main.py": main, "app/routers/items.py": ITEMS})
    assert _found(tmp_path, "PRJ004") == []


def test_spec_named_by_configuration_and_by_the_task(tmp_path):
    write_tree(tmp_path, {"api/contract.yaml": SPEC + "  /orders:\n    get: {}\n", "app/main.py": MAIN, "app/routers/items.py": ITEMS})
    assert _found(tmp_path, "PRJ004") == []  # not at a default location: not compared
    config = Config(select=("PRJ004",), options={"PRJ004": {"spec": "api/contract.yaml"}})
    report = critique([tmp_path], config, engines=())
    assert [(f.path, f.line) for f in report.findings] == [("api/contract.yaml", 13)]
    assert _found(tmp_path, "PRJ004", task={"spec": "api/contract.yaml"}) == [("api/contract.yaml", 13)]
    assert _found(tmp_path, "PRJ004", task={"spec": "api/missing.yaml"}) == [("app/main.py", 1)]


def test_a_spec_that_does_not_parse_is_reported_at_the_error(tmp_path):
    write_tree(tmp_path, {"specs/openapi.yaml": "openapi: 3.0.3\npaths:\n  /items: [unclosed\n", "app/main.py": MAIN, "app/routers/items.py": ITEMS})
    found = _found(tmp_path, "PRJ004")
    assert len(found) == 1 and found[0][0] == "specs/openapi.yaml" and found[0][1] >= 3


def test_no_route_critic_can_see_means_no_comparison(tmp_path):
    write_tree(tmp_path, {"specs/openapi.yaml": SPEC, "manage.py": "import django\n", "shop/urls.py": "urlpatterns = []\n"})
    assert _found(tmp_path, "PRJ004") == []


# --------------------------------------------------------------------------- PRJ005
DOCKERFILE = (
    "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nENV PORT=8000\nEXPOSE ${PORT}\n"
    'CMD ["gunicorn", "app.main:app", "-k", "uvicorn.workers.UvicornWorker", "--bind", "0.0.0.0:8000"]\n'
)


def _project(tmp_path: Path, **extra: str) -> Path:
    return write_tree(tmp_path, {"app/__init__.py": "", "app/main.py": MAIN, "app/routers/items.py": ITEMS, "app/routers/__init__.py": "", **extra})


def test_port_agrees_through_env_and_gunicorn_bind(tmp_path):
    _project(tmp_path, Dockerfile=DOCKERFILE)
    assert _found(tmp_path, "PRJ005", task={"handoff": {"port": 8000}}) == []
    assert _found(tmp_path, "PRJ005", task={"handoff": {"port": "9000"}}) == [("Dockerfile", 5)]
    assert _messages(tmp_path, "PRJ005", task={"handoff": {"port": 9000}}) == [
        "The hand-off claims port 9000, but the Dockerfile EXPOSEs 8000; the CMD listens on 8000"
    ]


def test_port_from_compose_when_there_is_no_expose(tmp_path):
    compose = 'services:\n  api:\n    build: .\n    command: uvicorn app.main:app --host 0.0.0.0 --port 8001\n    ports:\n      - "127.0.0.1:9000:8001"\n'
    _project(tmp_path, **{"docker-compose.yml": compose, "Dockerfile": "FROM python:3.12-slim\nCOPY . .\n"})
    assert _found(tmp_path, "PRJ005", task={"handoff": {"port": 8001}}) == []
    assert _found(tmp_path, "PRJ005", task={"handoff": {"port": 9000}}) == []  # the published side
    assert _found(tmp_path, "PRJ005", task={"handoff": {"port": 8080}}) == [("docker-compose.yml", 6)]


def test_uvicorn_default_port_counts(tmp_path):
    _project(tmp_path, Dockerfile='FROM python:3.12-slim\nCOPY . .\nCMD uvicorn app.main:app --host 0.0.0.0\n')
    assert _found(tmp_path, "PRJ005", task={"handoff": {"port": 8000}}) == []
    assert _found(tmp_path, "PRJ005", task={"handoff": {"port": 3000}}) == [("Dockerfile", 3)]


def test_endpoints_by_prefix_method_and_shape(tmp_path):
    _project(tmp_path)
    claims = {"endpoints": ["/api/v1/items", "/api/v1", "GET /api/v1/items/{id}", {"method": "POST", "path": "/api/v1/items"}, "http://localhost:8000/api/v1/items"]}
    assert _found(tmp_path, "PRJ005", task={"handoff": claims}) == []
    wrong = {"endpoints": ["DELETE /api/v1/items/{id}", "/api/v2/items", "/api/v1/item"]}
    # an inline hand-off: every finding at line 1 of the entry point, in message order
    assert _messages(tmp_path, "PRJ005", task={"handoff": wrong}) == [
        "The hand-off lists the endpoint `/api/v1/item`, but no route serves it",
        "The hand-off lists the endpoint `/api/v2/items`, but no route serves it",
        "The hand-off lists the endpoint `DELETE /api/v1/items/{id}`, but no route serves it",
    ]


def test_endpoints_relative_to_the_base_url_as_a_mapping_and_express_style(tmp_path):
    _project(tmp_path)
    relative = {"api": {"base_url": "http://localhost:8000/api/v1"}, "endpoints": ["GET /items", "POST /items", "GET /items/:id"]}
    assert _found(tmp_path, "PRJ005", task={"handoff": relative}) == []
    keyed = {"base_url": "/api/v1", "endpoints": {"GET /items": "list", "DELETE /items/{id}": "remove"}}
    assert _messages(tmp_path, "PRJ005", task={"handoff": keyed}) == [
        "The hand-off lists the endpoint `DELETE /items/{id}`, but no route serves it",
    ]


def test_files_commands_and_migrations(tmp_path):
    _project(tmp_path, **{"alembic/versions/0001_init.py": "revision = '0001'\n"})
    handoff = {
        "outputs": {
            "files_created": ["./app/main.py", "backend/app/routers/items.py", "internal/handlers/items.go"],
            "migrations": ["0001_init.py", "0002_orders.py"],
            "commands": {"dev": "uvicorn app.main:app --reload", "prod": "gunicorn app.server:app"},
        }
    }
    (tmp_path / "handoff.json").write_text(json.dumps(handoff, indent=2) + "\n", encoding="utf-8")
    assert _found(tmp_path, "PRJ005", task={"handoff": "handoff.json"}) == [
        ("handoff.json", 6),  # internal/handlers/items.go
        ("handoff.json", 10),  # 0002_orders.py
        ("handoff.json", 14),  # the prod command serves app.server, which does not exist
    ]


def test_agt_handoff_shape(tmp_path):
    _project(tmp_path)
    handoff = {
        "handoff": {"agent": "Backend Developer", "status": "complete", "phase": "development"},
        "deliverables": {"endpoints": {"total": 15, "auth": 5}, "database": {"tables": 5, "migrations": 3}, "test_coverage": "82%"},
        "verification": {"all_passed": True, "build": 0, "test": 0},
        "api": {"base_url": "/api/v2", "auth_method": "JWT Bearer"},
    }
    (tmp_path / "handoff.json").write_text(json.dumps(handoff, indent=2) + "\n", encoding="utf-8")
    assert _messages(tmp_path, "PRJ005", task={"handoff": "handoff.json"}) == [
        "The hand-off counts 15 endpoints, but the code routes 4",
        "The hand-off counts 3 migrations, but the tree holds 0",
        # one finding for the test claims (verification.test and test_coverage): the first
        "The hand-off reports the test run as passed, but the project has no test files",
        "The hand-off gives the API base URL `/api/v2`, but no route lives under it",
    ]
    assert _found(tmp_path, "PRJ005", task={"handoff": "handoff.json"}) == [
        ("handoff.json", 9),  # deliverables.endpoints.total
        ("handoff.json", 14),  # deliverables.database.migrations
        ("handoff.json", 21),  # verification.test
        ("handoff.json", 24),  # api.base_url
    ]


def test_framework_and_database_evidence(tmp_path):
    _project(tmp_path, **{"requirements.txt": "fastapi==0.115\nasyncpg==0.29\n"})
    assert _found(tmp_path, "PRJ005", task={"handoff": {"framework": "FastAPI + SQLAlchemy 2.0", "database": "PostgreSQL 16"}}) == []
    assert _messages(tmp_path, "PRJ005", task={"handoff": {"framework": "Go with Chi router", "database": "MySQL 8"}}) == [
        "The hand-off says the database is 'MySQL 8', but the project uses PostgreSQL",
        "The hand-off says the framework is 'Go with Chi router', but the code uses FastAPI",
    ]
    # a framework or database critic does not know is no contradiction
    assert _found(tmp_path, "PRJ005", task={"handoff": {"framework": "Python web stack", "database": "CockroachDB"}}) == []


def test_compose_image_is_database_evidence_and_tests_dont_count(tmp_path):
    compose = "services:\n  api:\n    build: .\n  db:\n    image: postgres:16-alpine\n"
    _project(tmp_path, **{"docker-compose.yml": compose, "tests/test_db.py": "import sqlite3\nURL = 'sqlite:///:memory:'\n"})
    assert _found(tmp_path, "PRJ005", task={"handoff": {"database": "PostgreSQL"}}) == []
    assert _found(tmp_path, "PRJ005", task={"handoff": {"database": "SQLite"}}) == [("app/main.py", 1)]


def test_unreadable_handoffs(tmp_path):
    _project(tmp_path, **{"handoff.json": '{"port": 80,\n'})
    report = critique([tmp_path], Config(select=("PRJ005",)), engines=(), task={"handoff": "handoff.json"})
    assert [(f.path, f.line, f.message) for f in report.findings] == [("handoff.json", 2, "The hand-off is not valid JSON: Expecting property name enclosed in double quotes")]
    assert _found(tmp_path, "PRJ005", task={"handoff": "elsewhere/handoff.json"}) == [("app/main.py", 1)]
