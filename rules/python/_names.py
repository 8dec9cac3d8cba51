"""Small syntactic helpers shared by the SQL001/QLT00x rules: dotted names and import aliases.

Nothing here imports or evaluates the scanned code: ``import time as t`` is read as text and
``t.sleep`` resolves to ``time.sleep``.
"""
from __future__ import annotations

import libcst as cst


def dotted(expr: cst.BaseExpression | None) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if isinstance(expr, cst.Name):
        parts.append(expr.value)
        return ".".join(reversed(parts))
    return None


def last_name(expr: cst.BaseExpression | None) -> str | None:
    """The last segment of a Name/Attribute (``c`` of ``a.b.c``), else None."""
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    if isinstance(expr, cst.Name):
        return expr.value
    return None


def function_params(func: cst.FunctionDef) -> list[cst.Param]:
    """Every parameter of a function, in order: positional-only, ordinary, ``*args``,
    keyword-only, ``**kwargs``."""
    p = func.params
    out = list(p.posonly_params) + list(p.params)
    if isinstance(p.star_arg, cst.Param):
        out.append(p.star_arg)
    out += list(p.kwonly_params)
    if p.star_kwarg is not None:
        out.append(p.star_kwarg)
    return out


def string_value(node: cst.BaseExpression) -> str | None:
    """The text of a plain (non-f) string literal, implicit concatenations joined."""
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:  # pragma: no cover - libcst could not evaluate an odd literal
            return None
        return value if isinstance(value, str) else value.decode("latin-1")
    if isinstance(node, cst.ConcatenatedString):
        left, right = string_value(node.left), string_value(node.right)
        return left + right if left is not None and right is not None else None
    return None


class ImportAliases:
    """A visitor mixin recording what each imported local name stands for.

    ``import a.b`` binds ``a``; ``import a.b as c`` binds ``c`` to ``a.b``; ``from a import b
    as c`` binds ``c`` to ``a.b``. Relative imports bind to ``.module.name`` (never a
    third-party module). The subclass must set ``self.aliases = {}`` in ``__init__``.
    """

    aliases: dict[str, str]

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = dotted(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.aliases[alias.asname.name.value] = full
            else:
                head = full.split(".", 1)[0]
                self.aliases[head] = head

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        module = dotted(node.module) if node.module is not None else ""
        if node.relative:
            module = "." * len(node.relative) + (module or "")
        for alias in node.names:
            name = dotted(alias.name)
            if name is None:
                continue
            local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
            self.aliases[local] = f"{module}.{name}" if module else name

    def qualify(self, expr: cst.BaseExpression | None) -> str | None:
        """The imported name ``expr`` stands for (``t.sleep`` -> ``time.sleep``), else None."""
        name = dotted(expr)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        target = self.aliases.get(head)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target
