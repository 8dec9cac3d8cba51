"""Tests for critic.parsers.yaml_doc (YAML loader with positions)."""

from __future__ import annotations

import math
import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from critic.parsers import yaml_doc
from critic.parsers.yaml_doc import Node, YamlDoc, YamlError, load_yaml

LOADERS = [yaml.SafeLoader]
if getattr(yaml, "CSafeLoader", None) is not None:
    LOADERS.insert(0, yaml.CSafeLoader)


@pytest.fixture(params=LOADERS, ids=lambda cls: cls.__name__)
def load(request, monkeypatch):
    """load_yaml, run once with libyaml and once with the pure-Python fallback."""
    monkeypatch.setattr(yaml_doc, "_LOADER", request.param)
    return load_yaml


COMPOSE = """\
# Example stack
services:
  db:
    image: "postgres:16"
    ports:
      - "5432:5432"
    environment:
      POSTGRES_PASSWORD: secret  # not for prod
    volumes:
      - db-data:/var/lib/postgresql/data
  web:
    image: nginx:1.25
    privileged: true
    ports:
      - 8080:80
      - "443:443"
    depends_on: [db]
    networks:
      - front
volumes:
  db-data: {}
networks:
  front:
    driver: bridge
"""


def walk(node: Node):
    """All nodes of a tree, iteratively (alias-shared nodes repeat)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if current.kind == "map":
            stack.extend(current.value.values())
        elif current.kind == "seq":
            stack.extend(current.value)


def time_budget() -> float:
    """2 s with libyaml; the pure-Python fallback scanner needs ~1.7 s for deep
    flow nesting (PyYAML's simple-key bookkeeping), so give it more room."""
    return 10.0 if yaml_doc._LOADER is yaml.SafeLoader else 2.0


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ["a: &a [" + ", ".join(['"lol"'] * width) + "]"]
    previous = "a"
    for name in "bcdefghijklmnop"[: levels - 1]:
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * width) + "]")
        previous = name
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# compose file: positions and values
# --------------------------------------------------------------------------


def test_compose_file_structure_and_positions(load):
    doc = load(COMPOSE)
    assert isinstance(doc, YamlDoc)
    assert doc.errors == ()
    root = doc.root
    assert root.kind == "map"
    assert list(root.value) == ["services", "volumes", "networks"]
    assert (root.line, root.column, root.end_line) == (2, 1, 24)
    assert root.key_line is None

    services = root.get("services")
    assert services.kind == "map"
    assert (services.line, services.column, services.end_line) == (3, 3, 19)
    assert (services.key_line, services.key_column) == (2, 1)

    db = services.get("db")
    assert (db.key_line, db.key_column) == (3, 3)
    image = db.get("image")
    assert image.kind == "scalar"
    assert image.value == "postgres:16"
    assert image.raw == "postgres:16"
    assert image.quoted is True
    assert (image.line, image.column, image.end_line) == (4, 12, 4)
    assert (image.key_line, image.key_column) == (4, 5)

    env = db.get("environment")
    password = env.get("POSTGRES_PASSWORD")
    assert (password.value, password.line, password.key_line, password.key_column) == ("secret", 8, 8, 7)

    web = services.get("web")
    assert (web.line, web.end_line) == (12, 19)
    privileged = web.get("privileged")
    assert privileged.value is True
    assert privileged.raw == "true"
    assert privileged.quoted is False
    assert (privileged.line, privileged.column) == (13, 17)
    assert (privileged.key_line, privileged.key_column) == (13, 5)
    assert web.get("image").value == "nginx:1.25"

    depends = web.get("depends_on")
    assert depends.kind == "seq"
    assert (depends.line, depends.column, depends.end_line) == (17, 17, 17)
    assert [(n.value, n.line, n.column) for n in depends.value] == [("db", 17, 18)]
    networks_list = web.get("networks")
    assert [(n.value, n.line, n.column) for n in networks_list.value] == [("front", 19, 9)]

    volumes = root.get("volumes")
    assert volumes.key_line == 20
    db_data = volumes.get("db-data")
    assert db_data.kind == "map" and db_data.value == {}
    assert (db_data.line, db_data.column, db_data.end_line, db_data.key_line) == (21, 12, 21, 21)

    driver = root.get("networks").get("front").get("driver")
    assert (driver.value, driver.line, driver.column, driver.key_line) == ("bridge", 24, 13, 24)


def test_list_items_have_their_own_lines(load):
    db = load(COMPOSE).root.get("services").get("db")
    ports = db.get("ports")
    assert ports.kind == "seq"
    assert (ports.line, ports.column, ports.end_line) == (6, 7, 6)
    assert (ports.key_line, ports.key_column) == (5, 5)
    (item,) = ports.value
    assert (item.value, item.raw, item.quoted) == ("5432:5432", "5432:5432", True)
    assert (item.line, item.column, item.end_line) == (6, 9, 6)
    assert item.key_line is None

    web_ports = load(COMPOSE).root.get("services").get("web").get("ports")
    assert [(n.value, n.quoted, n.line, n.column) for n in web_ports.value] == [
        ("8080:80", False, 15, 9),
        ("443:443", True, 16, 9),
    ]
    volumes = db.get("volumes")
    assert [(n.value, n.line) for n in volumes.value] == [("db-data:/var/lib/postgresql/data", 10)]


def test_plain_matches_safe_load(load):
    doc = load(COMPOSE)
    assert doc.root.plain() == yaml.safe_load(COMPOSE)
    plain = doc.root.plain()
    assert isinstance(plain["services"]["db"]["ports"], list)


def test_get_and_plain_on_scalars(load):
    root = load("a: 1\nb: [x]\n").root
    assert root.get("missing") is None
    assert root.get("missing", 5) == 5
    assert root.get("a").get("anything") is None
    assert root.get("b").get(0) is None
    assert root.get("a").plain() == 1
    assert root.get("b").plain() == ["x"]
    assert "Node(map" in repr(root)


# --------------------------------------------------------------------------
# scalars
# --------------------------------------------------------------------------

SCALARS = """\
quoted_port: "8080"
port: 8080
single: '8080'
sexagesimal: 22:22
yes_bool: yes
off_bool: off
quoted_true: "true"
hex: 0x1F
octal: 010
float: 1.5
exp_no_dot: 1e3
inf: .inf
tilde: ~
null_word: null
empty:
date: 2024-01-01
escaped: "a\\tb"
literal: |
  line one
  line two
folded: >-
  folded
  text
plain_multi: first
  second
"""


def test_scalar_resolution_and_raw_text(load):
    root = load(SCALARS).root
    assert load(SCALARS).errors == ()

    def check(key, value, raw, quoted):
        node = root.get(key)
        assert node.kind == "scalar"
        assert node.value == value and type(node.value) is type(value), key
        assert node.raw == raw, key
        assert node.quoted is quoted, key

    check("quoted_port", "8080", "8080", True)
    check("port", 8080, "8080", False)
    check("single", "8080", "8080", True)
    check("sexagesimal", 22 * 60 + 22, "22:22", False)  # YAML 1.1 base 60
    check("yes_bool", True, "yes", False)
    check("off_bool", False, "off", False)
    check("quoted_true", "true", "true", True)
    check("hex", 31, "0x1F", False)
    check("octal", 8, "010", False)
    check("float", 1.5, "1.5", False)
    check("exp_no_dot", "1e3", "1e3", False)  # YAML 1.1 floats need a dot
    assert math.isinf(root.get("inf").value)
    check("tilde", None, "~", False)
    check("null_word", None, "null", False)
    check("empty", None, "", False)
    check("date", "2024-01-01", "2024-01-01", False)  # timestamps stay strings
    check("escaped", "a\tb", "a\tb", True)
    check("literal", "line one\nline two\n", "line one\nline two\n", True)
    check("folded", "folded text", "folded text", True)
    check("plain_multi", "first second", "first second", False)

    empty = root.get("empty")
    assert (empty.line, empty.key_line) == (15, 15)
    literal = root.get("literal")
    assert (literal.line, literal.column, literal.end_line, literal.key_line) == (18, 10, 20, 18)
    folded = root.get("folded")
    assert (folded.line, folded.end_line) == (21, 23)
    multi = root.get("plain_multi")
    assert (multi.line, multi.end_line) == (24, 25)


def test_explicit_and_custom_tags_never_construct_objects(load):
    text = (
        "a: !!str 8080\n"
        "b: !!int \"42\"\n"
        "c: !reset []\n"
        "d: !override\n"
        "  x: 1\n"
        "e: !!python/object/apply:os.system [\"echo pwned\"]\n"
        "f: !!python/name:os.system\n"
        "g: !!int nope\n"
    )
    doc = load(text)
    root = doc.root
    assert root.get("a").value == "8080" and root.get("a").tag == "tag:yaml.org,2002:str"
    assert root.get("b").value == 42
    assert root.get("c").kind == "seq" and root.get("c").tag == "!reset"
    assert root.get("d").tag == "!override" and root.get("d").plain() == {"x": 1}
    assert root.get("e").plain() == ["echo pwned"]
    assert root.get("f").value == "" and root.get("f").tag.endswith("python/name:os.system")
    assert root.get("g").value == "nope"
    assert [(e.line, e.column) for e in doc.errors] == [(8, 10)]
    assert (root.get("a").line, root.get("a").column) == (1, 10)  # after the tag
    assert (root.get("d").line, root.get("d").column) == (5, 3)
    assert "integer" in doc.errors[0].message
    assert root.get("port") is None and root.get("a").tag is not None
    assert load("x: 1\n").root.get("x").tag is None


def test_non_string_keys_become_raw_text(load):
    doc = load("8080: x\ntrue: y\n~: z\n1.50: w\n\"quoted\": v\n? [a, b]\n: complex\n")
    assert list(doc.root.value) == ["8080", "true", "~", "1.50", "quoted"]
    assert doc.root.get("8080").value == "x"
    assert doc.root.get("true").key_line == 2
    assert [(e.line, e.column) for e in doc.errors] == [(6, 3)]
    assert "key" in doc.errors[0].message


def test_unicode_columns(load):
    doc = load("é: ü  # ñ\nb: \"日本\"\n")
    assert doc.root.get("é").value == "ü"
    assert (doc.root.get("é").column, doc.root.get("b").column) == (4, 4)
    assert doc.comments == ((1, "ñ"),)


# --------------------------------------------------------------------------
# anchors, aliases, merge keys
# --------------------------------------------------------------------------

MERGE = """\
x-common: &common
  restart: always
  image: base:1
x-logging: &logging
  logging:
    driver: json-file
  image: logging-image
services:
  api:
    <<: *common
    image: api:2
  worker:
    <<: [*logging, *common]
    command: run
  plain:
    environment: &env
      A: "1"
    other_env: *env
"""


def test_merge_key_single_anchor_local_wins(load):
    doc = load(MERGE)
    assert doc.errors == ()
    api = doc.root.get("services").get("api")
    assert set(api.value) == {"restart", "image"}
    assert "<<" not in api.value
    image = api.get("image")
    assert (image.value, image.line, image.key_line) == ("api:2", 11, 11)
    restart = api.get("restart")
    # merged nodes keep their original position (the anchor definition)
    assert (restart.value, restart.line, restart.column, restart.key_line) == ("always", 2, 12, 2)


def test_merge_key_list_earlier_mapping_wins(load):
    worker = load(MERGE).root.get("services").get("worker")
    assert worker.plain() == {
        "logging": {"driver": "json-file"},
        "image": "logging-image",  # *logging is listed first, so it wins over *common
        "restart": "always",
        "command": "run",
    }
    assert worker.get("image").line == 7
    assert worker.get("logging").get("driver").line == 6
    assert worker.get("command").line == 14


def test_merge_follows_the_merge_key_spec(load):
    # yaml.org/type/merge.html: keys of mappings earlier in a `<<` sequence override later
    # ones, and the mapping's own keys override all. (Not compared with yaml.safe_load:
    # PyYAML 6.0.4 lets the last source win for keys longer than one character,
    # yaml/pyyaml#953, while 6.0.3 and earlier follow the spec.)
    common = {"restart": "always", "image": "base:1"}
    assert load(MERGE).root.plain() == {
        "x-common": common,
        "x-logging": {"logging": {"driver": "json-file"}, "image": "logging-image"},
        "services": {
            "api": {"restart": "always", "image": "api:2"},
            "worker": {"logging": {"driver": "json-file"}, "image": "logging-image", "restart": "always", "command": "run"},
            "plain": {"environment": {"A": "1"}, "other_env": {"A": "1"}},
        },
    }


def test_merge_matches_pyyaml_where_pyyaml_follows_the_spec(load):
    single_source = MERGE.replace("<<: [*logging, *common]", "<<: *logging")
    assert load(single_source).root.plain() == yaml.safe_load(single_source)


def test_alias_value_keeps_definition_line_but_use_site_key_line(load):
    plain = load(MERGE).root.get("services").get("plain")
    env = plain.get("environment")
    other = plain.get("other_env")
    assert other.plain() == {"A": "1"}
    assert (env.line, env.key_line) == (17, 16)
    assert (other.line, other.key_line, other.key_column) == (17, 18, 5)
    assert other.get("A") is env.get("A")  # shared, not copied


def test_alias_in_sequence_and_scalar_anchor(load):
    doc = load("base: &b value\nlist:\n  - *b\n  - other\nkey: *b\n")
    assert doc.errors == ()
    items = doc.root.get("list").value
    assert items[0].value == "value" and items[0].key_line is None
    assert doc.root.get("key").key_line == 5


def test_merge_of_non_mapping_is_reported(load):
    doc = load("a: &a [1, 2]\nb:\n  <<: *a\n  c: 1\n")
    assert doc.root.get("b").plain() == {"c": 1}
    assert [(e.line, e.column) for e in doc.errors] == [(3, 3)]
    assert "merge" in doc.errors[0].message


def test_quoted_merge_key_is_an_ordinary_key(load):
    doc = load("a: &a {x: 1}\nb:\n  '<<': *a\n")
    assert doc.root.get("b").plain() == {"<<": {"x": 1}}


def test_undefined_alias_is_an_error(load):
    doc = load("a: 1\nb: *nope\n")
    assert doc.root is None
    assert [(e.line, e.column) for e in doc.errors] == [(2, 4)]
    assert "nope" in doc.errors[0].message


def test_recursive_alias_is_an_error(load):
    doc = load("a: &a\n  b: *a\n")
    assert doc.root is None
    assert doc.errors[0].line == 2 and "recursive" in doc.errors[0].message


def test_anchor_redefinition_uses_latest(load):
    doc = load("a: &x 1\nb: &x 2\nc: *x\n")
    assert doc.errors == ()
    assert doc.root.get("c").value == 2
    assert (doc.root.get("c").line, doc.root.get("c").column) == (2, 7)  # past the anchor
    assert doc.root.get("c").key_line == 3


# --------------------------------------------------------------------------
# duplicate keys, malformed input, tabs, documents
# --------------------------------------------------------------------------


def test_duplicate_keys_reported_last_value_kept(load):
    text = "services:\n  web:\n    image: a\n    ports: []\n    image: b\n  web2: {}\n"
    doc = load(text)
    assert doc.root is not None
    web = doc.root.get("services").get("web")
    assert web.get("image").value == "b"
    assert web.get("image").line == 5
    assert len(doc.errors) == 1
    error = doc.errors[0]
    assert isinstance(error, YamlError)
    assert (error.line, error.column) == (5, 5)
    assert "duplicate key 'image'" in error.message and "line 3" in error.message


def test_duplicate_keys_in_flow_mapping_and_top_level(load):
    doc = load("a: {x: 1, x: 2}\na: 3\n")
    assert doc.root.get("a").value == 3
    assert [(e.line, e.column) for e in doc.errors] == [(1, 11), (2, 1)]


@pytest.mark.parametrize(
    "text, line, column",
    [
        ("services:\n  web: [1, 2\n", 3, 1),
        ("a: 1\n b: 2\n", 2, 3),
        ("a: 'unterminated\n", 2, 1),
        ("key: value\n- item\n", 2, 1),
        ("a:\n  b: 1\n c: 2\n", 3, 2),
    ],
)
def test_malformed_yaml_reports_problem_mark(load, text, line, column):
    doc = load(text)
    assert doc.root is None
    assert len(doc.errors) == 1
    assert (doc.errors[0].line, doc.errors[0].column) == (line, column)
    assert doc.errors[0].message


def test_tab_indentation_is_an_error_with_line(load):
    doc = load("services:\n  web:\n\timage: nginx\n")
    assert doc.root is None
    assert len(doc.errors) == 1
    assert doc.errors[0].line == 3
    assert doc.errors[0].column == 1
    assert "tab" in doc.errors[0].message


def test_control_character_reported_at_its_position(load):
    doc = load("é: 1\nb: \"x\x01\"\n")
    assert doc.root is None
    assert [(e.line, e.column) for e in doc.errors] == [(2, 6)]


def test_unpaired_surrogate_and_bytes_input(load):
    doc = load("a: 1\nb: \ud800\n")
    assert doc.root is None
    assert [(e.line, e.column) for e in doc.errors] == [(2, 4)]
    assert load(b"a: 1\n").root.plain() == {"a": 1}


def test_top_level_list(load):
    doc = load("- a\n- b: 1\n  c: [2, 3]\n-\n")
    assert doc.errors == ()
    assert doc.root.kind == "seq"
    assert (doc.root.line, doc.root.column, doc.root.end_line) == (1, 1, 4)
    assert doc.root.plain() == ["a", {"b": 1, "c": [2, 3]}, None]
    assert [n.line for n in doc.root.value] == [1, 2, 4]
    assert doc.root.value[1].get("c").key_line == 3


@pytest.mark.parametrize("text", ["", "\n\n", "   \n", "---\n", "---\n...\n"])
def test_empty_file(load, text):
    assert load(text) == YamlDoc(None, (), ())


def test_only_comments(load):
    doc = load("# first\n\n  #   second  \n#\n")
    assert doc.root is None
    assert doc.errors == ()
    assert doc.comments == ((1, "first"), (3, "second"), (4, ""))


def test_scalar_document(load):
    doc = load("just text\n")
    assert doc.root.kind == "scalar" and doc.root.value == "just text"


def test_multiple_documents(load):
    doc = load("a: 1\n---\nb: 2\n")
    assert doc.root.plain() == {"a": 1}
    assert len(doc.errors) == 1
    assert doc.errors[0].message.startswith("multiple documents")
    assert (doc.errors[0].line, doc.errors[0].column) == (3, 1)


@pytest.mark.parametrize(
    "text",
    ["---\na: 1\n", "a: 1\n---\n", "a: 1\n...\n---\n", "--- # header\na: 1\n...\n", "---\n---\na: 1\n"],
)
def test_single_non_empty_document_is_not_an_error(load, text):
    doc = load(text)
    assert doc.errors == ()
    assert doc.root.plain() == {"a": 1}


def test_malformed_second_document_fails_the_load(load):
    doc = load("a: 1\n---\nb: [\n")
    assert doc.root is None
    assert any(e.message.startswith("multiple documents") for e in doc.errors)
    assert len(doc.errors) == 2


# --------------------------------------------------------------------------
# safety limits
# --------------------------------------------------------------------------


def test_billion_laughs_stops_quickly(load):
    text = billion_laughs()
    start = time.perf_counter()
    doc = load(text)
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0
    assert doc.root is None
    assert len(doc.errors) == 1
    assert "alias expansion limit exceeded" in doc.errors[0].message
    assert doc.errors[0].line > 1


def test_billion_laughs_with_merge_keys_and_flow_maps(load):
    lines = ["a: &a {" + ", ".join(f"k{i}: lol" for i in range(10)) + "}"]
    previous = "a"
    for name in "bcdefghij":
        lines.append(f"{name}: &{name} {{" + ", ".join(f"k{i}: *{previous}" for i in range(10)) + "}")
        previous = name
    start = time.perf_counter()
    doc = load("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 2.0
    assert doc.root is None
    assert "alias expansion limit exceeded" in doc.errors[0].message


def test_wide_alias_counts_nodes_not_just_aliases(load):
    text = "a: &a [" + ", ".join(["x"] * 2000) + "]\nb: [" + ", ".join(["*a"] * 60) + "]\n"
    doc = load(text)  # 60 expansions, but 120,000 nodes
    assert doc.root is None
    assert "alias expansion limit exceeded" in doc.errors[0].message
    ok = load(text, max_nodes=200_000)
    assert ok.errors == ()
    assert len(ok.root.get("b").value) == 60
    assert ok.root.get("b").value[0].value is ok.root.get("a").value  # shared in memory


def test_small_alias_limits_are_configurable(load):
    text = "a: &a 1\nb: [*a, *a, *a]\n"
    assert load(text).errors == ()
    doc = load(text, max_alias_expansion=2)
    assert doc.root is None
    assert (doc.errors[0].line, doc.errors[0].column) == (2, 13)


def test_document_too_large(load):
    doc = load("[" + ", ".join(["1"] * 50) + "]", max_nodes=10)
    assert doc.root is None
    assert "too large" in doc.errors[0].message


@pytest.mark.parametrize(
    "text",
    [
        "[" * 3000 + "]" * 3000,
        "{a: " * 3000 + "1" + "}" * 3000,
        "- " * 3000 + "x\n",
        "key:\n  " + "[" * 3000 + "]" * 3000 + "\n",
        "a: 1\n---\n" + "[" * 3000 + "]" * 3000,
    ],
    ids=["flow-seq", "flow-map", "block-seq", "under-key", "second-doc"],
)
def test_deep_nesting_reports_error_without_recursion(load, text):
    start = time.perf_counter()
    doc = load(text)
    assert time.perf_counter() - start < time_budget()
    assert doc.root is None
    assert any("nesting depth" in e.message for e in doc.errors)


def test_very_deep_nesting_is_cheap(load):
    start = time.perf_counter()
    doc = load("[" * 200_000 + "]" * 200_000)
    assert time.perf_counter() - start < time_budget()
    assert "nesting depth" in doc.errors[0].message


def test_deep_nesting_within_a_raised_limit_loads(load):
    # Above the default limit (500). The pure-Python scanner is slow on deep flow nesting, so
    # keep its run short; libyaml in PyYAML 6.0.4 stops at 1,000 levels of its own accord.
    levels = 900 if yaml_doc._LOADER is not yaml.SafeLoader else 800
    doc = load("[" * levels + "x" + "]" * levels, max_depth=5000)
    assert doc.errors == ()
    plain = doc.root.plain()  # iterative, no RecursionError
    depth = 0
    while isinstance(plain, list):
        plain = plain[0]
        depth += 1
    assert (depth, plain) == (levels, "x")
    repr(doc.root)


def test_depth_through_aliases_is_bounded(load):
    text = "a: &a [[[[1]]]]\nb: [[[[[[*a]]]]]]\n"
    doc = load(text, max_depth=10)
    assert doc.root is None
    assert "nesting depth" in doc.errors[0].message
    assert load(text, max_depth=11).errors == ()


# --------------------------------------------------------------------------
# comments
# --------------------------------------------------------------------------

COMMENTS = """\
# header comment
services:   # trailing
  web:
    image: "nginx#1"   # real one
    command: 'echo # not a comment'
    label: value#notcomment
    script: |   # header of block
      echo # inside block
      done
  # indented comment
    env: {a: "#x", b: 2}  # after flow
#last
"""


def test_comments_with_lines(load):
    doc = load(COMMENTS)
    assert doc.errors == ()
    assert doc.comments == (
        (1, "header comment"),
        (2, "trailing"),
        (4, "real one"),
        (7, "header of block"),
        (10, "indented comment"),
        (11, "after flow"),
        (12, "last"),
    )
    web = doc.root.get("services").get("web")
    assert web.get("image").value == "nginx#1"
    assert web.get("command").value == "echo # not a comment"
    assert web.get("label").value == "value#notcomment"
    assert web.get("script").value == "echo # inside block\ndone\n"


def test_comments_in_directives_flow_and_documents(load):
    text = "%YAML 1.1 # version\n--- # start\nlist: [a, # one\n  b]\n... # end\n"
    doc = load(text)
    assert doc.errors == ()
    assert doc.root.plain() == {"list": ["a", "b"]}
    assert doc.comments == ((1, "version"), (2, "start"), (3, "one"), (5, "end"))


def test_comments_collected_when_yaml_is_malformed_before_error(load):
    doc = load("# ok\na: [\n")
    assert doc.root is None
    assert doc.comments == ((1, "ok"),)


def test_comments_with_crlf_and_bom(load):
    doc = load("\ufeff# c1\r\na: 1 # c2\r\nb: 2\r\n")
    assert doc.comments == ((1, "c1"), (2, "c2"))
    assert doc.root.get("b").line == 3
    assert doc.root.get("a").column == 4


# --------------------------------------------------------------------------
# robustness (hypothesis)
# --------------------------------------------------------------------------


def check_invariants(doc: YamlDoc, text: str) -> None:
    assert isinstance(doc, YamlDoc)
    assert isinstance(doc.errors, tuple) and isinstance(doc.comments, tuple)
    for error in doc.errors:
        assert isinstance(error, YamlError)
        assert not error.message.startswith("internal error"), error.message
        assert error.line >= 1 and error.column >= 1
    for line, comment in doc.comments:
        assert line >= 1 and isinstance(comment, str)
    if doc.root is not None:
        max_line = text.count("\n") + text.count("\r") + text.count("\x85") + text.count("\u2028") + text.count("\u2029") + 2
        for node in walk(doc.root):
            assert node.kind in ("map", "seq", "scalar")
            assert 1 <= node.line <= node.end_line <= max_line
            assert node.column >= 1
            if node.kind == "scalar":
                assert node.value is None or isinstance(node.value, (str, int, float, bool))
                assert isinstance(node.raw, str)
            elif node.kind == "map":
                assert all(isinstance(k, str) for k in node.value)
        doc.root.plain()


YAML_ALPHABET = st.sampled_from(list(" \t\n\r:-[]{},#&*!|>'\"?%@`<=~.\\abcxyz0129_/\ufeffé"))


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(YAML_ALPHABET, max_size=120))
def test_fuzz_yaml_like_text_never_raises(text):
    check_invariants(load_yaml(text), text)


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=200))
def test_fuzz_any_text_never_raises(text):
    check_invariants(load_yaml(text), text)


@st.composite
def mutated_compose(draw):
    text = COMPOSE + MERGE.replace("services:", "more:")
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "swap"]))
        position = draw(st.integers(0, len(text)))
        if op == "delete":
            text = text[:position] + text[position + draw(st.integers(1, 20)) :]
        elif op == "insert":
            text = text[:position] + draw(st.text(YAML_ALPHABET, min_size=1, max_size=8)) + text[position:]
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if op == "duplicate":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


@settings(max_examples=300, deadline=None, database=None)
@given(mutated_compose())
def test_fuzz_mutated_compose_never_raises(text):
    check_invariants(load_yaml(text), text)


def test_fuzz_on_pure_python_loader_too(monkeypatch):
    monkeypatch.setattr(yaml_doc, "_LOADER", yaml.SafeLoader)

    @settings(max_examples=150, deadline=None, database=None)
    @given(mutated_compose())
    def inner(text):
        check_invariants(load_yaml(text), text)

    inner()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None, database=None)
@given(json_values, st.sampled_from([False, True]))
def test_roundtrip_matches_pyyaml(data, flow):
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    doc = load_yaml(text)
    assert doc.errors == ()
    expected = yaml.safe_load(text)
    assert (doc.root.plain() if doc.root is not None else None) == expected
