"""SEC005: CORS is configured, not wide open."""
from __future__ import annotations

import libcst as cst

from critic.rule import Invalid, PythonFile, PythonRule, Valid
from critic.rules.python.web import Imports, argument, assigned_name, callee, dotted, kwarg, string, strings, true

_CORS_MIDDLEWARE = ("fastapi.middleware.cors.CORSMiddleware", "starlette.middleware.cors.CORSMiddleware")
_FLASK_CORS = ("flask_cors.CORS",)
_CROSS_ORIGIN = ("flask_cors.cross_origin",)
_WIDE_REGEX = frozenset({".*", "^.*$", ".+", "^.+$", "(.*)", "https?://.*", "^https?://.*$"})
_DJANGO_ALL = frozenset({"CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL"})


class WildcardCors(PythonRule):
    """
    ## What it does
    Reports CORS set up to accept any origin: Starlette/FastAPI `CORSMiddleware` with
    `allow_origins=["*"]` (or `"*"`, or a module-level list holding `"*"`) or a match-all
    `allow_origin_regex`; Flask-CORS `CORS(app)` with no `origins`/`resources` (its default
    is every origin), `origins="*"`, or a `resources` entry whose origins are `"*"` (the same
    for `cors.init_app(app, ...)` of an extension object created as `cors = CORS()`; a
    `CORS(app)` in a file that also sets the `CORS_ORIGINS` config key is configured);
    `@cross_origin()` with no origins; django-cors-headers `CORS_ALLOW_ALL_ORIGINS = True`.
    With credentials allowed as well (`allow_credentials=True`, `supports_credentials=True`,
    `CORS_ALLOW_CREDENTIALS = True`) the message says the combination is critical: any site
    can then make authenticated requests with the user's cookies.

    Wildcard *methods* and *headers* (`allow_methods=["*"]`) are not reported.

    ## Why is this bad?
    A wildcard origin lets every web page read the API's responses from a visitor's browser;
    AGT's checklist asks for CORS "configured properly".

    ## Example
        app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)

    ## Use instead
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,  # e.g. ["https://app.example.com"]
            allow_credentials=True,
        )
    """

    id = "SEC005"
    name = "wildcard-cors"
    tier = "expected"
    severity = "medium"
    confidence = "high"
    sources = ("AGT Security Checklist",)
    cwe = ("CWE-942",)
    owasp = ("A05:2021",)
    message = "CORS allows every origin"
    fix = "List the trusted front-end origins explicitly (from configuration), e.g. `allow_origins=settings.cors_origins`."
    VALID = (
        # the app-factory pattern: an extension object, configured when the app is built
        Valid(
            'from flask import Flask\nfrom flask_cors import CORS\n\ncors = CORS()\n\n\ndef create_app():\n    app = Flask(__name__)\n'
            '    cors.init_app(app, resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}})\n    return app\n'
        ),
        Valid(
            'import os\nfrom flask import Flask\nfrom flask_cors import CORS\n\napp = Flask(__name__)\n'
            'app.config["CORS_ORIGINS"] = os.environ["CORS_ORIGINS"].split(",")\nCORS(app)\n'
        ),
        Valid(
            'from fastapi import FastAPI\nfrom fastapi.middleware.cors import CORSMiddleware\n\napp = FastAPI()\n'
            'app.add_middleware(CORSMiddleware, allow_origins=["https://app.example.com"], allow_methods=["*"], allow_headers=["*"])\n'
        ),
        Valid('from flask import Flask\nfrom flask_cors import CORS\n\napp = Flask(__name__)\nCORS(app, resources={r"/api/*": {"origins": ["https://app.example.com"]}})\n'),
        Valid('from flask import Flask\nfrom flask_cors import CORS\n\napp = Flask(__name__)\nCORS(app, origins=["https://a.example.com"], supports_credentials=True)\n'),
    )
    INVALID = (
        Invalid(
            'from fastapi import FastAPI\nfrom fastapi.middleware.cors import CORSMiddleware\n\napp = FastAPI()\n'
            'app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)\n',
            line=5,
        ),
        Invalid('from flask import Flask\nfrom flask_cors import CORS\n\napp = Flask(__name__)\nCORS(app)\n', line=5),
        Invalid(
            'from flask import Flask\nfrom app.extensions import cors\n\n\ndef create_app():\n    app = Flask(__name__)\n'
            '    cors.init_app(app)\n    return app\n',
            line=7,
        ),
        Invalid(
            'from fastapi import FastAPI\nfrom fastapi.middleware.cors import CORSMiddleware\n\nORIGINS = ["*"]\napp = FastAPI()\n'
            'app.add_middleware(\n    CORSMiddleware,\n    allow_origins=ORIGINS,\n)\n',
            line=6,
        ),
        Invalid('CORS_ALLOW_ALL_ORIGINS = True\nCORS_ALLOW_CREDENTIALS = True\n', path="config/settings.py", line=1),
    )

    def __init__(self, file: PythonFile) -> None:
        super().__init__(file)
        self.imports = Imports(file.path)
        self.literals: dict[str, cst.BaseExpression] = {}
        self.depth = 0
        self.django: list[cst.CSTNode] = []
        self.django_credentials = False
        self.cors_config = False  # the file sets Flask-CORS's CORS_ORIGINS config key

    def get_visitors(self):
        if self.file.is_test:
            return {}
        return super().get_visitors()

    def visit_Import(self, node: cst.Import) -> None:
        self.imports.add(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.imports.add(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.depth -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        name = assigned_name(node)
        if not name or self.depth:
            return
        if isinstance(node.value, (cst.List, cst.Tuple, cst.SimpleString, cst.Set)):
            self.literals[name] = node.value
        if name in _DJANGO_ALL and true(node.value):
            self.django.append(node)
        if name == "CORS_ALLOW_CREDENTIALS" and true(node.value):
            self.django_credentials = True

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        """Flask-CORS reads `CORS_ORIGINS` from the app config: `CORS_ORIGINS = [...]`, `app.config["CORS_ORIGINS"] = ...`."""
        target = node.target
        if isinstance(target, cst.Name) and target.value in ("CORS_ORIGINS", "CORS_RESOURCES"):
            self.cors_config = True
        elif isinstance(target, cst.Subscript) and target.slice and isinstance(target.slice[0].slice, cst.Index):
            if string(target.slice[0].slice.value) in ("CORS_ORIGINS", "CORS_RESOURCES"):
                self.cors_config = True

    def leave_Module(self, original_node: cst.Module) -> None:
        for node in self.django:
            self.report(node, self._message("`CORS_ALLOW_ALL_ORIGINS = True`", self.django_credentials))

    def visit_Call(self, node: cst.Call) -> None:
        name = callee(node)
        if not name:
            return
        if name.endswith("add_middleware") or self.imports.is_(name, "starlette.middleware.Middleware"):
            middleware = argument(node, 0, "middleware_class" if name.endswith("add_middleware") else "cls")
            if self.imports.is_(dotted(middleware), *_CORS_MIDDLEWARE):
                self._starlette(node)
        elif self.imports.is_(name, *_CORS_MIDDLEWARE) and self.imports.imports_from("fastapi", "starlette"):
            self._starlette(node)
        elif self.imports.is_(name, *_FLASK_CORS) and self.imports.imports_from("flask_cors"):
            if not node.args:
                return  # `cors = CORS()`: the extension object, configured by `cors.init_app(app, ...)`
            self._flask(node, origins_default_wide=not self.cors_config)
        elif name.endswith(".init_app") and "cors" in name.rsplit(".", 1)[0].lower():
            self._flask(node, origins_default_wide=not self.cors_config)
        elif self.imports.is_(name, *_CROSS_ORIGIN) and self.imports.imports_from("flask_cors"):
            self._flask(node, origins_default_wide=True)

    def _resolve(self, node: cst.BaseExpression | None) -> cst.BaseExpression | None:
        if isinstance(node, cst.Name) and node.value in self.literals:
            return self.literals[node.value]
        return node

    def _starlette(self, node: cst.Call) -> None:
        credentials = true(kwarg(node, "allow_credentials"))
        origins = strings(self._resolve(kwarg(node, "allow_origins")))
        if origins is not None and "*" in origins:
            self.report(node, self._message('`allow_origins=["*"]`', credentials))
            return
        regex = string(self._resolve(kwarg(node, "allow_origin_regex")))
        if regex is not None and regex.strip() in _WIDE_REGEX:
            self.report(node, self._message(f"`allow_origin_regex={regex!r}`", credentials))

    def _flask(self, node: cst.Call, origins_default_wide: bool) -> None:
        credentials = true(kwarg(node, "supports_credentials"))
        origins_node = kwarg(node, "origins")
        resources = self._resolve(kwarg(node, "resources"))
        if origins_node is not None:
            origins = strings(self._resolve(origins_node))
            if origins is not None and "*" in origins:
                self.report(node, self._message('`origins="*"`', credentials))
            return
        if resources is None:
            if origins_default_wide:
                self.report(node, self._message("Flask-CORS defaults (no `origins`, every origin allowed)", credentials))
            return
        if isinstance(resources, cst.Dict):
            for element in resources.elements:
                if not isinstance(element, cst.DictElement):
                    return
                options = element.value
                if not isinstance(options, cst.Dict):
                    return
                found = None
                for option in options.elements:
                    if isinstance(option, cst.DictElement) and string(option.key) == "origins":
                        found = strings(self._resolve(option.value))
                        if found is None:
                            return
                if found is None or "*" in found:
                    self.report(node, self._message("a `resources` entry open to every origin", credentials))
                    return
        elif string(resources) is not None or strings(resources) is not None:
            self.report(node, self._message("`resources` without `origins` (every origin allowed)", credentials))

    @staticmethod
    def _message(what: str, credentials: bool) -> str:
        if credentials:
            return (
                f"CORS allows every origin ({what}) together with credentials: any website can make "
                "authenticated requests with the user's cookies (critical)"
            )
        return f"CORS allows every origin ({what})"
