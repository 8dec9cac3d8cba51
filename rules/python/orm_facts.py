"""Facts about ORM models for the project-level persistence rules (DB001, DB003).

One visitor in the batched traversal records, per file:

- ``model`` at each model class: ``framework`` ("sqlalchemy" | "django"), ``name``, ``bases``
  (simple names), ``abstract`` (abstract bases, mixins), ``test`` (declared in test code);
- ``relationship`` at each ORM relationship: ``model`` (the class the attribute lives on),
  ``name`` (the attribute), ``lazy`` (the loader strategy it declares, "select" by default).
  ``backref=`` and Django reverse accessors (``related_name``, ``<model>_set``) are recorded on
  the class they appear on;
- ``create_all`` at each ``metadata.create_all`` / ``db.create_all`` outside test code.

Recognising a model is syntactic: a class deriving a declarative base declared in the same file
(``declarative_base()``, ``DeclarativeBase``), ``db.Model`` (Flask-SQLAlchemy), a SQLModel
``table=True`` class, Django ``models.Model``, a subclass of a model of the same file, or a class
whose body declares ``__tablename__`` or ORM columns (a model whose base lives in another file).
"""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from critic.rule import PythonFile, PythonVisitor
from critic.rules.python.orm_syntax import class_ref, dotted, keyword, last_name, literal_bool, positional, string_value

_DECLARATIVE_BASES = frozenset({"DeclarativeBase", "DeclarativeBaseNoMeta"})
_BASE_FACTORIES = frozenset({"declarative_base", "generate_base"})
_SQLA_COLUMNS = frozenset({"Column", "mapped_column", "column_property", "composite", "deferred", "synonym"})
_SQLA_RELATIONSHIPS = frozenset({"relationship", "Relationship", "relation"})
_DJANGO_RELATIONS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField"})
_EAGER = frozenset({"joined", "selectin", "subquery", "immediate", "raise", "raise_on_sql", "noload"})


@dataclass
class _Class:
    node: cst.ClassDef
    name: str
    bases: tuple[str, ...]
    framework: str = ""
    is_base: bool = False
    abstract: bool = False
    tablename: bool = False
    django_fields: bool = False
    sqla_columns: bool = False
    relationships: int = 0


class OrmFacts(PythonVisitor):
    """Collects ``model``, ``relationship`` and ``create_all`` facts (see the module docstring)."""

    def __init__(self, file: PythonFile) -> None:
        super().__init__(file)
        self.scopes: list[_Class | None] = []  # a class, or None for a function
        self.sqla_bases: set[str] = set()  # declarative bases of this file
        self.sqla_models: set[str] = set()
        self.django_models: set[str] = set()
        self.flask_dbs: set[str] = {"db"}  # names bound to flask_sqlalchemy.SQLAlchemy()
        self.django_modules: set[str] = set()  # `from django.db import models` (as ...)
        self.django_model_names: set[str] = set()  # `from django.db.models import Model`

    # ------------------------------------------------------------------ imports, module names
    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = dotted(node.module) if node.module is not None else ""
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = dotted(alias.name) or ""
            bound = alias.evaluated_alias or name
            if module == "django.db" and name == "models":
                self.django_modules.add(bound)
            elif module == "django.db.models" and name == "Model":
                self.django_model_names.add(bound)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if (dotted(alias.name) or "") == "django.db.models" and alias.asname is not None:
                self.django_modules.add(alias.evaluated_alias or "")

    def visit_Assign(self, node: cst.Assign) -> None:
        owner = self.scopes[-1] if self.scopes else None
        if self.scopes and owner is None:
            return  # inside a function
        if owner is None:
            self._module_assign(node)
            return
        for target in node.targets:
            self._class_attribute(owner, target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        owner = self.scopes[-1] if self.scopes else None
        if owner is None:
            return
        self._class_attribute(owner, node.target, node.value, node.annotation.annotation)

    def _module_assign(self, node: cst.Assign) -> None:
        value = node.value
        if not isinstance(value, cst.Call):
            return
        callee = last_name(value.func)
        names = [t.target.value for t in node.targets if isinstance(t.target, cst.Name)]
        if callee in _BASE_FACTORIES:
            self.sqla_bases.update(names)
        elif callee == "SQLAlchemy":
            self.flask_dbs.update(names)

    # ------------------------------------------------------------------ classes
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = tuple(dotted(arg.value) or "" for arg in node.bases if arg.keyword is None)
        cls = _Class(node, node.name.value, tuple(b.rsplit(".", 1)[-1] for b in bases if b))
        table = keyword_arg(node, "table")
        for base in bases:
            simple = base.rsplit(".", 1)[-1]
            if simple in _DECLARATIVE_BASES:
                cls.is_base = True
            elif base in self.sqla_bases or simple in self.sqla_models:
                cls.framework = "sqlalchemy"
            elif simple in self.django_models or base in self.django_model_names:
                cls.framework = "django"
            elif "." in base and simple == "Model":
                head = base.rsplit(".", 1)[0]
                if head in self.django_modules:
                    cls.framework = "django"
                elif head in self.flask_dbs:
                    cls.framework = "sqlalchemy"
        if any(last_name(d.decorator) == "as_declarative" for d in node.decorators):
            cls.is_base = True
        if table is not None and literal_bool(table) is True:
            cls.framework = "sqlalchemy"
        if cls.is_base:
            cls.framework = ""
            self.sqla_bases.add(cls.name)
        self.scopes.append(cls)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        cls = self.scopes.pop()
        if cls is None or cls.is_base:
            return
        if cls.name == "Meta" and self.scopes and self.scopes[-1] is not None:
            return
        framework = cls.framework
        if not framework and cls.bases:
            if cls.tablename or cls.sqla_columns:
                framework = "sqlalchemy"
            elif cls.django_fields and self.django_modules:
                framework = "django"
        mixin = not framework and (cls.sqla_columns or cls.relationships > 0)
        if not framework and not mixin:
            return
        if framework == "sqlalchemy":
            self.sqla_models.add(cls.name)
        elif framework == "django":
            self.django_models.add(cls.name)
        self.fact(
            "model",
            cls.node.name,
            framework=framework or "sqlalchemy",
            name=cls.name,
            bases=cls.bases,
            abstract=cls.abstract or mixin,
            test=self.file.is_test,
        )

    def _class_attribute(
        self,
        owner: _Class,
        target: cst.BaseExpression,
        value: cst.BaseExpression | None,
        annotation: cst.BaseExpression | None = None,
    ) -> None:
        if not isinstance(target, cst.Name):
            return
        name = target.value
        if owner.name == "Meta" and name == "abstract" and literal_bool(value) is True:
            parent = self.scopes[-2] if len(self.scopes) > 1 else None
            if parent is not None:
                parent.abstract = True
            return
        if name == "__tablename__":
            owner.tablename = True
            return
        if name == "__abstract__" and literal_bool(value) is True:
            owner.abstract = True
            return
        if isinstance(value, cst.Call):
            callee = last_name(value.func)
            head = dotted(value.func.value) if isinstance(value.func, cst.Attribute) else None
            if callee in _SQLA_RELATIONSHIPS:
                self._sqla_relationship(owner, name, value)
                return
            if callee in _DJANGO_RELATIONS and (head in self.django_modules or keyword(value, "on_delete") or callee != "ForeignKey"):
                owner.django_fields = True
                self._django_relationship(owner, name, value, callee)
                return
            if callee in _SQLA_COLUMNS:
                owner.sqla_columns = True
                return
            if head in self.django_modules and callee.endswith("Field"):
                owner.django_fields = True
                return
        if annotation is not None and _is_mapped(annotation):
            owner.sqla_columns = True

    def _sqla_relationship(self, owner: _Class, name: str, call: cst.Call) -> None:
        owner.relationships += 1
        self.fact("relationship", call, model=owner.name, name=name, lazy=_lazy(call))
        args = positional(call)
        target = class_ref(args[0]) if args else ""
        backref = keyword(call, "backref")
        if backref is None or not target:
            return
        value = backref.value
        back_name = string_value(value)
        lazy = "select"
        if isinstance(value, cst.Call) and last_name(value.func) == "backref":
            inner = positional(value)
            back_name = string_value(inner[0]) if inner else None
            lazy = _lazy(value)
        if back_name:
            self.fact("relationship", call, model=target, name=back_name, lazy=lazy)

    def _django_relationship(self, owner: _Class, name: str, call: cst.Call, kind: str) -> None:
        owner.relationships += 1
        self.fact("relationship", call, model=owner.name, name=name, lazy="select")
        args = positional(call)
        to = keyword(call, "to")
        ref = args[0] if args else (to.value if to is not None else None)
        target = owner.name if string_value(ref) == "self" else class_ref(ref)
        if not target:
            return
        related = keyword(call, "related_name")
        reverse = string_value(related.value) if related is not None else None
        if reverse is None:
            lower = owner.name.lower()
            reverse = lower if kind == "OneToOneField" else f"{lower}_set"
        if reverse and not reverse.endswith("+") and "%" not in reverse:
            self.fact("relationship", call, model=target, name=reverse, lazy="select")

    # ------------------------------------------------------------------ functions
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scopes.append(None)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scopes.pop()

    # ------------------------------------------------------------------ create_all
    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value != "create_all" or self.file.is_test:
            return
        owner = node.value
        owner_name = last_name(owner) if isinstance(owner, (cst.Name, cst.Attribute)) else ""
        if owner_name.lower().endswith("metadata") or owner_name in self.flask_dbs:
            self.fact("create_all", node, receiver=dotted(owner) or "")


def keyword_arg(node: cst.ClassDef, name: str) -> cst.BaseExpression | None:
    for arg in node.keywords:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def _is_mapped(annotation: cst.BaseExpression) -> bool:
    if isinstance(annotation, cst.Subscript):
        return last_name(annotation.value) == "Mapped"
    return False


def _lazy(call: cst.Call) -> str:
    lazy = keyword(call, "lazy")
    if lazy is not None:
        return string_value(lazy.value) or ("select" if literal_bool(lazy.value) is True else "unknown")
    kwargs = keyword(call, "sa_relationship_kwargs")  # SQLModel
    if kwargs is not None and isinstance(kwargs.value, cst.Dict):
        for element in kwargs.value.elements:
            if isinstance(element, cst.DictElement) and string_value(element.key) == "lazy":
                return string_value(element.value) or "unknown"
    return "select"


def is_eager(lazy: object) -> bool:
    """Whether a relationship's declared loader means an access in a loop costs no query."""
    return lazy in _EAGER or lazy is False or lazy == "unknown"
