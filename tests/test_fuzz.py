"""Property tests: random and mutated Python, Dockerfile and YAML text through every parser and
every rule of the default pack (critic.analyze.analyze_text), then whole trees through the
project rules and every renderer. Never an uncaught exception; never a rule crash (a crash
is isolated and reported as an error, which these tests also refuse); every location inside
the file.

Seeds are the rules' own VALID/INVALID examples and the fixture backends; mutations cut,
repeat and splice text and insert the tokens that trip parsers (brackets, quotes, heredocs,
continuations, anchors, tabs, control characters, odd line ends).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _hostile import time_limit
from critic.analyze import analyze_text
from critic.api import critique
from critic.config import Config
from critic.model import FileSummary
from critic.parsers.dockerfile import parse_dockerfile
from critic.parsers.python import nesting, parse_python
from critic.parsers.text import decode, split_lines
from critic.parsers.yaml_doc import load_yaml
from critic.registry import default_pack
from critic.report import FORMATS, RenderOptions, renderer


@pytest.fixture(autouse=True)
def _bounded():
    """Every test here ends within 300 s (times CRITIC_FUZZ_SCALE), or fails, rather than hanging."""
    with time_limit(300 * float(os.environ.get("CRITIC_FUZZ_SCALE", "1") or 1)):
        yield


REPO = Path(__file__).resolve().parent.parent
PACK = default_pack()
CONFIG = Config()
#: CRITIC_FUZZ_SCALE=20 for a long hunt; the default keeps the suite at a few seconds
SCALE = float(os.environ.get("CRITIC_FUZZ_SCALE", "1") or 1)
FUZZ = settings(max_examples=int(120 * SCALE), deadline=None, database=None, suppress_health_check=list(HealthCheck))
FEW = settings(max_examples=int(25 * SCALE), deadline=None, database=None, suppress_health_check=list(HealthCheck))

PATHS = {"python": "app/routers/items.py", "dockerfile": "Dockerfile", "compose": "docker-compose.yml"}


def _seeds(kind: str) -> list[str]:
    out: list[str] = []
    for rule in PACK.rules:
        for example in (*rule.VALID, *rule.INVALID):
            if example.files:
                for rel, text in example.files.items():
                    if _kind_of(rel) == kind:
                        out.append(text)
            elif rule.kind == kind and example.code:
                out.append(example.code)
    pattern = {"python": "*.py", "dockerfile": "Dockerfile*", "compose": "*compose*.y*ml"}[kind]
    for path in sorted((REPO / "fixtures").rglob(pattern)):
        try:
            out.append(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
    return sorted(set(out)) or [""]


def _kind_of(rel: str) -> str:
    from critic.discover import classify

    return classify(rel.rsplit("/", 1)[-1])


SEEDS = {kind: _seeds(kind) for kind in PATHS}
COMMON = ["\n", "\r\n", "\r", "\t", " ", "\x00", "\x0c", "\x1b[2J", "\u2028", "\ufeff", "\\\n", '"', "'", "#", "\\", "é", "日本", "\U0001f600"]
TOKENS = {
    "python": COMMON + [
        "(", ")", "[", "]", "{", "}", ":", ",", ".", "=", "==", "->", "@", "*", "**", "lambda ", "async ", "await ",
        "def f(", "class C:", "if x:", "elif y:", "else:", "try:", "except:", "finally:", "with open(p) as f:",
        "return ", "yield ", "import ", "from . import ", "    ", '"""', "'''", 'f"{', "}\"", 'rb"', "0x", "1e", "#",
        "# critic: ignore[SEC002]", "# TODO", "@router.get(\"/x\")", "Depends(", "session.query(", ".execute(", "text(",
        "SECRET_KEY = ", "password=", "logger.info(", "jwt.encode(", "bcrypt.gensalt(", "match x:", "case _:", ";",
    ],
    "dockerfile": COMMON + [
        "FROM ", "python:3.12-slim", " AS ", "build", "ARG ", "ENV ", "RUN ", "COPY ", "ADD ", "USER ", "root", "0",
        "HEALTHCHECK ", "CMD ", "ENTRYPOINT ", "EXPOSE ", "ONBUILD ", "SHELL ", "WORKDIR ", "LABEL ", "STOPSIGNAL ",
        "<<EOF\n", "EOF\n", "<<-EOT\n", "EOT\n", "# escape=`\n", "# syntax=docker/dockerfile:1\n", "`\n", "${", "}",
        "$", "--from=", "--chmod=755 ", "--mount=type=secret,id=x ", "[\"", "\"]", "=", "API_KEY=", "pip install ",
        "apt-get install -y ", "&& ", "|| ", ".env", "--no-cache-dir", "latest", "@sha256:", "\\\n",
    ],
    "compose": COMMON + [
        "services:\n", "  api:\n", "    image: ", "    build: .\n", "    environment:\n", "      KEY: ", "- ", ": ", "? ",
        "&a ", "*a", "<<: *a\n", "<<: [*a, *b]\n", "!!python/object/apply:os.system ", "!!str ", "!!binary ", "{", "}",
        "[", "]", ",", "---\n", "...\n", "%YAML 1.2\n", "|\n", ">-\n", "~", "null", "true", "0o17", ".inf", "${VAR}",
        "depends_on:\n", "condition: service_healthy\n", "healthcheck:\n", "volumes:\n", "networks:\n", "secrets:\n",
        "ports:\n", "- \"5432:5432\"\n", "privileged: true\n", "  ", "    ",
    ],
}


def mutated(kind: str) -> st.SearchStrategy[str]:
    """A seed cut, repeated, spliced and sprinkled with parser-tripping tokens."""

    @st.composite
    def build(draw) -> str:
        text = draw(st.sampled_from(SEEDS[kind]))
        for _ in range(draw(st.integers(0, 6))):
            op = draw(st.sampled_from(["insert", "delete", "repeat", "splice", "truncate", "swap"]))
            n = len(text)
            i = draw(st.integers(0, n))
            j = draw(st.integers(i, min(n, i + 200)))
            if op == "insert":
                piece = draw(st.sampled_from(TOKENS[kind])) * draw(st.integers(1, 4))
                text = text[:i] + piece + text[i:]
            elif op == "delete":
                text = text[:i] + text[j:]
            elif op == "repeat":
                text = text[:j] + text[i:j] * draw(st.integers(1, 5)) + text[j:]
            elif op == "splice":
                other = draw(st.sampled_from(SEEDS[kind]))
                k = draw(st.integers(0, len(other)))
                text = text[:i] + other[k : k + 300] + text[j:]
            elif op == "truncate":
                text = text[:i]
            else:
                lines = text.split("\n")
                if len(lines) > 1:
                    a = draw(st.integers(0, len(lines) - 1))
                    b = draw(st.integers(0, len(lines) - 1))
                    lines[a], lines[b] = lines[b], lines[a]
                    text = "\n".join(lines)
        return text

    return build()


def random_text(kind: str) -> st.SearchStrategy[str]:
    alphabet = st.one_of(st.sampled_from(TOKENS[kind]), st.characters(codec="utf-8", exclude_categories=("Cs",)))
    return st.lists(alphabet, max_size=60).map("".join)


def _check(kind: str, text: str) -> None:
    result = analyze_text(FileSummary(PATHS[kind], kind), text, PACK, CONFIG)
    assert result.errors == (), [e.message for e in result.errors]
    lines = max(1, len(split_lines(text, yaml=kind == "compose")))
    for f in result.findings:
        assert 1 <= f.line <= f.end_line <= lines + 1 and f.column >= 1, f
    for fact in result.facts:
        assert 1 <= fact.line <= lines + 1, fact


# --------------------------------------------------------------------------- every rule, per file
@FUZZ
@given(mutated("python"))
def test_mutated_python_never_crashes(text):
    _check("python", text)


@FUZZ
@given(random_text("python"))
def test_random_python_never_crashes(text):
    _check("python", text)


@FUZZ
@given(mutated("dockerfile"))
def test_mutated_dockerfile_never_crashes(text):
    _check("dockerfile", text)


@FUZZ
@given(random_text("dockerfile"))
def test_random_dockerfile_never_crashes(text):
    _check("dockerfile", text)


@FUZZ
@given(mutated("compose"))
def test_mutated_compose_never_crashes(text):
    _check("compose", text)


@FUZZ
@given(random_text("compose"))
def test_random_compose_never_crashes(text):
    _check("compose", text)


# --------------------------------------------------------------------------- the parsers alone
@FUZZ
@given(st.binary(max_size=300), st.booleans())
def test_decode_takes_any_bytes(data, python):
    decoded = decode(data, python=python)
    assert (decoded.text is None) == bool(decoded.problem)
    if decoded.text is not None:
        assert "\r" not in decoded.text and not decoded.text.startswith("\ufeff")


@FUZZ
@given(st.one_of(mutated("python"), random_text("python")))
def test_python_parser_and_nesting_bound(text):
    depth, line = nesting(text, 50)
    assert depth >= 0 and (line == 0) == (depth <= 50)
    parsed = parse_python(text)
    assert (parsed.module is None) == bool(parsed.error) and parsed.line >= 1


@FUZZ
@given(st.one_of(mutated("dockerfile"), random_text("dockerfile")))
def test_dockerfile_parser(text):
    parsed = parse_dockerfile(text)
    for instruction in parsed.instructions:
        assert 1 <= instruction.line <= instruction.end_line


@FUZZ
@given(st.one_of(mutated("compose"), random_text("compose")))
def test_yaml_loader(text):
    doc = load_yaml(text)
    assert all(e.line >= 1 and e.column >= 1 for e in doc.errors)
    assert all(line >= 1 for line, _ in doc.comments)


# --------------------------------------------------------------------------- whole trees: project rules, renderers
@FEW
@given(mutated("python"), mutated("dockerfile"), mutated("compose"))
def test_mutated_trees_through_project_rules_and_every_renderer(python, dockerfile, compose):
    with tempfile.TemporaryDirectory(prefix="critic-fuzz-") as tmp:
        root = Path(tmp)
        for rel, text in {"app/main.py": python, "Dockerfile": dockerfile, "docker-compose.yml": compose,
                          "app/__init__.py": "", ".dockerignore": ".git\n.env\n__pycache__\n"}.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8", errors="surrogatepass")
        report = critique([root], CONFIG, engines=(), task={"validation_criteria": {"critical": ["No TODO markers"]}})
        assert not [e for e in report.errors if e.kind == "internal"], report.errors
        for name in FORMATS:
            renderer(name)(report, RenderOptions()).encode("utf-8")
