"""The routes of the whole project, with their full paths: route + router + include prefixes.

``resolve_routes(project)`` joins the ``route``, ``router``, ``include``, ``app`` facts that
``rules/python/web_facts.py`` states for each file. References across files are resolved from
the imports each file made (``from app.api.v1 import users`` then
``app.include_router(users.router, prefix="/api/v1")``), re-exports in package
``__init__`` files, and, when the scanned root is not the import root (``backend/app/...``
imported as ``app...``), by the longest matching dotted suffix.

The work is linear in the facts: every router's mount points are computed once (memoised),
and every reference is looked up in a dictionary.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING
from collections.abc import Iterable

from critic.model import Fact

if TYPE_CHECKING:  # pragma: no cover
    from critic.project import Project

_MAX_HOPS = 8


@dataclass(frozen=True, slots=True)
class ResolvedRoute:
    """One route as a client sees it. A route on a router included twice appears twice."""

    path: str | None  #: the full path after every prefix; None when a prefix is not a literal critic can resolve
    methods: tuple[str, ...]
    file: str  #: where the route is declared (relative path)
    line: int  #: the line of the route decorator (or registering call)
    column: int
    function: str | None
    module: str
    framework: str  #: "fastapi" | "flask" | "unknown"
    route_path: str | None  #: the path as written on the route
    prefixes: tuple[str | None, ...]  #: the prefixes applied, outermost first (None: unresolved)
    auth: bool  #: authentication required by the route, its router, an include or the app
    route_auth: bool  #: ... by the route itself
    rate_limited: bool  #: a rate limit on the route, its router, an include or the app
    mounted: bool  #: reachable from an app (False: its router is never included anywhere)
    status_code: int | None
    response_model: str | None
    params: tuple[str, ...]
    is_async: bool | None
    via: str  #: "decorator" | "call" (``add_api_route`` / ``add_url_rule``)
    fact: Fact

    @property
    def location(self) -> tuple[str, int]:
        return (self.file, self.line)


@dataclass(frozen=True, slots=True)
class _Mount:
    prefixes: tuple[str | None, ...]
    auth: bool
    rate_limited: bool
    reached: bool


_CACHE: dict[int, tuple[weakref.ref, list[ResolvedRoute]]] = {}


def resolve_routes(project: Project) -> list[ResolvedRoute]:
    """Every route of the project with its full path, methods, location and flags.

    Computed once per project object (several rules ask for it). Routes are ordered by
    file and line; a route reachable through two includes appears once per include.
    """
    key = id(project)
    cached = _CACHE.get(key)
    if cached is not None and cached[0]() is project:
        return cached[1]
    routes = _Resolver(project).routes()
    try:
        ref = weakref.ref(project, lambda _r, k=key: _CACHE.pop(k, None))
    except TypeError:  # pragma: no cover - an object without weak references: do not cache
        return routes
    _CACHE[key] = (ref, routes)
    return routes


def join_path(framework: str, prefix: str, path: str) -> str:
    """A prefix and a path joined as the framework joins them.

    FastAPI concatenates (``"/items" + "" == "/items"``); Flask joins with one slash
    (``"/items/" + "/x" == "/items/x"``).
    """
    if framework == "flask":
        if not path:
            return prefix or "/"
        if not prefix:
            return "/" + path.lstrip("/")
        return prefix.rstrip("/") + "/" + path.lstrip("/")
    return prefix + path


class _Index:
    """Dotted references (``app.api.v1.users.router``) to facts, exact or by longest suffix."""

    def __init__(self, items: Iterable[tuple[str, Fact]]) -> None:
        self.exact: dict[str, Fact] = {}
        self.suffix: dict[str, list[str]] = {}
        for ref, fact in items:
            if not ref or ref in self.exact:
                continue
            self.exact[ref] = fact
            parts = ref.split(".")
            for start in range(1, len(parts) - 1):
                self.suffix.setdefault(".".join(parts[start:]), []).append(ref)

    def find(self, ref: str) -> tuple[str, Fact] | None:
        if ref in self.exact:
            return ref, self.exact[ref]
        parts = ref.split(".")
        # the reference is longer than the key (imported as src.app.x, declared as app.x)
        for start in range(1, len(parts) - 1):
            tail = ".".join(parts[start:])
            if tail in self.exact:
                return tail, self.exact[tail]
        # the key is longer than the reference (declared under backend/app/x, imported as app.x)
        candidates = self.suffix.get(ref)
        if candidates and len(candidates) == 1:
            return candidates[0], self.exact[candidates[0]]
        return None


class _Resolver:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.apps = _Index((_ref(f), f) for f in project.facts_of("app"))
        self.routers = _Index((_ref(f), f) for f in project.facts_of("router"))
        self.reexports = _Index((f"{f.get('module')}.{f.get('name')}", f) for f in project.facts_of("reexport"))
        constants: dict[str, set[str]] = {}
        for fact in project.facts_of("str_constant"):
            constants.setdefault(str(fact.get("name")), set()).add(str(fact.get("value")))
        self.constants = constants
        self.includes: dict[str, list[Fact]] = {}
        for fact in project.facts_of("include"):
            target = self._router(str(fact.get("target") or ""))
            if target is not None:
                self.includes.setdefault(target, []).append(fact)
        self.hooks: dict[str, bool] = {}
        for fact in project.facts_of("before_request"):
            if fact.get("auth"):
                owner = self._owner(str(fact.get("owner_target") or ""))
                if owner is not None:
                    self.hooks[owner[1]] = True
        self._mounts: dict[str, list[_Mount]] = {}
        #: sub-applications mounted into another app (``app.mount("/api/v1", api)``): app key -> mount facts
        self.app_mounts: dict[str, list[Fact]] = {}
        for fact in project.facts_of("mount"):
            target = self._app(str(fact.get("target") or ""))
            owner = self._app(str(fact.get("owner_target") or ""))
            if target is not None and owner is not None and owner != target:
                self.app_mounts.setdefault(target, []).append(fact)
        #: type aliases that carry an auth dependency, by name (``CurrentUser``)
        self.auth_aliases = {str(f.get("name")) for f in project.facts_of("auth_alias")}

    # ------------------------------------------------------------------ references
    def _follow(self, ref: str) -> str:
        """Follow package re-exports (``from .users import router`` in ``__init__``)."""
        for _ in range(_MAX_HOPS):
            found = self.reexports.find(ref)
            if found is None:
                return ref
            target = str(found[1].get("target") or "")
            if not target or target == ref:
                return ref
            ref = target
        return ref

    def _router(self, ref: str) -> str | None:
        if not ref:
            return None
        found = self.routers.find(ref)
        if found is None:
            found = self.routers.find(self._follow(ref))
        return found[0] if found else None

    def _app(self, ref: str) -> str | None:
        if not ref:
            return None
        found = self.apps.find(ref)
        if found is None:
            found = self.apps.find(self._follow(ref))
        return found[0] if found else None

    def _owner(self, ref: str) -> tuple[str, str] | None:
        """("router" | "app", key) for what a reference names."""
        router = self._router(ref)
        if router is not None:
            return "router", router
        app = self._app(ref)
        if app is not None:
            return "app", app
        return None

    def _prefix(self, fact: Fact, framework: str) -> str | None:
        """The literal prefix, the resolved expression, "" when none was given, None when unknown."""
        literal = fact.get("prefix")
        if literal is not None:
            return str(literal)
        expr = fact.get("prefix_expr") or ()
        if not expr:
            return ""
        return self._expand(expr)

    def _expand(self, expr: Iterable) -> str | None:
        out = []
        for kind, text in expr:
            if kind == "lit":
                out.append(text)
                continue
            values = self.constants.get(text)
            if not values or len(values) != 1:
                return None
            out.append(next(iter(values)))
        return "".join(out)

    # ------------------------------------------------------------------ mounts
    def _root(self, app_key: str | None) -> _Mount:
        if app_key is None:
            return _Mount((), False, False, True)
        fact = self.apps.exact[app_key]
        auth = bool(fact.get("dependencies_auth")) or self.hooks.get(app_key, False)
        limited = bool(fact.get("dependencies_rate_limited"))
        mounted = self.app_mounts.get(app_key)
        if mounted:
            # a sub-application: its routes answer under the prefix it is mounted at (first mount wins)
            return _Mount((self._prefix(mounted[0], "fastapi"),), auth, limited, True)
        return _Mount((), auth, limited, True)

    def mounts(self, key: str, visiting: frozenset[str] = frozenset()) -> list[_Mount]:
        """Where a router is mounted: one entry per include chain up to an app."""
        if key in self._mounts:
            return self._mounts[key]
        router = self.routers.exact[key]
        framework = str(router.get("framework") or "fastapi")
        own_prefix = self._prefix(router, framework)
        own_auth = bool(router.get("dependencies_auth")) or self.hooks.get(key, False)
        own_limit = bool(router.get("dependencies_rate_limited"))
        out: list[_Mount] = []
        for include in self.includes.get(key, ()):
            owner = self._owner(str(include.get("owner_target") or ""))
            if owner is None:
                bases = [self._root(None)]
            elif owner[0] == "app":
                bases = [self._root(owner[1])]
            elif owner[1] in visiting or owner[1] == key:
                continue  # a cycle: a router included into itself
            else:
                bases = self.mounts(owner[1], visiting | {key})
            include_prefix = self._prefix(include, framework)
            given = include.get("prefix") is not None or bool(include.get("prefix_expr"))
            if framework == "flask":
                # register_blueprint(url_prefix=...) replaces the blueprint's own url_prefix
                chain: tuple[str | None, ...] = (include_prefix,) if given else (own_prefix,)
            else:
                chain = (include_prefix, own_prefix)
            for base in bases:
                out.append(
                    _Mount(
                        base.prefixes + chain,
                        base.auth or own_auth or bool(include.get("dependencies_auth")),
                        base.rate_limited or own_limit or bool(include.get("dependencies_rate_limited")),
                        base.reached,
                    )
                )
        if not out:
            out.append(_Mount((own_prefix,), own_auth, own_limit, False))
        self._mounts[key] = out
        return out

    # ------------------------------------------------------------------ routes
    def routes(self) -> list[ResolvedRoute]:
        out: list[ResolvedRoute] = []
        for fact in sorted(self.project.facts_of("route"), key=lambda f: (f.path, f.line, int(f.get("column", 1) or 1))):
            framework = str(fact.get("framework") or "unknown")
            owner = self._owner(str(fact.get("owner_target") or ""))
            if owner is None:
                mounts = [self._root(None)]
            elif owner[0] == "app":
                mounts = [self._root(owner[1])]
            else:
                mounts = self.mounts(owner[1])
            route_auth = bool(fact.get("auth")) or any(t in self.auth_aliases for t in fact.get("param_types") or ())
            route_path = fact.get("path")
            path_expr = fact.get("path_expr") or ()
            own = str(route_path) if route_path is not None else (self._expand(path_expr) if path_expr else None)
            for mount in mounts:
                full: str | None = ""
                for prefix in mount.prefixes:
                    full = None if prefix is None or full is None else join_path(framework, full, prefix)
                full = None if own is None or full is None else join_path(framework, full, own)
                if full == "" and framework != "flask":
                    full = "/"
                out.append(
                    ResolvedRoute(
                        path=full,
                        methods=tuple(fact.get("methods") or ()),
                        file=fact.path,
                        line=fact.line,
                        column=int(fact.get("column", 1) or 1),
                        function=_str(fact.get("function")),
                        module=str(fact.get("module") or ""),
                        framework=framework,
                        route_path=_str(route_path),
                        prefixes=mount.prefixes,
                        auth=route_auth or mount.auth,
                        route_auth=route_auth,
                        rate_limited=bool(fact.get("rate_limited")) or mount.rate_limited,
                        mounted=mount.reached,
                        status_code=_int(fact.get("status_code")),
                        response_model=_str(fact.get("response_model")),
                        params=tuple(fact.get("params") or ()),
                        is_async=fact.get("is_async"),  # type: ignore[arg-type]
                        via=str(fact.get("via") or "decorator"),
                        fact=fact,
                    )
                )
        return out


def _ref(fact: Fact) -> str:
    target = fact.get("target")
    if target:
        return str(target)
    var = fact.get("var")
    return f"{fact.get('module')}.{var}" if var else ""


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
