"""hadolint: Dockerfile best practice and ShellCheck of RUN lines, one run per Dockerfile.

critic gives it its own ``--config`` (critic/engines/hadolint.yaml) and ``--no-fail``, so the
exit status is 0 whatever it finds and anything else is a failure. DL1000 (the Dockerfile does
not parse) is PRJ003 natively and ignored here. Tiers: error and warning -> expected,
info and style -> nice_to_have.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Sequence

from critic.config import Config
from critic.engines.common import EngineFailure, EngineResult, relative, scrub
from critic.engines.process import clean_env, run, tail, version_of

NAME = "hadolint"
BINARY = "hadolint"
KINDS = ("dockerfile",)
TIERS = {"error": "expected", "warning": "expected", "info": "nice_to_have", "style": "nice_to_have"}
SEVERITIES = {"error": "high", "warning": "medium", "info": "low", "style": "low"}
_PARALLEL = 4


def config_path() -> str:
    return str(resources.files("critic.engines").joinpath("hadolint.yaml"))


def version(binary: str, timeout: float) -> str | None:
    found, done = version_of(binary, timeout=timeout)
    if done.timed_out:
        raise EngineFailure("timeout", f"`hadolint --version` did not answer within {timeout:g}s")
    return found


def command(binary: str, path: str) -> list[str]:
    return [binary, "--config", config_path(), "--no-fail", "--no-color", "--format", "json", "--", path]


def check(binary: str, root: Path, paths: Sequence[str], config: Config, timeout: float, workdir: str) -> tuple[list[EngineResult], str | None]:
    deadline = time.monotonic() + timeout
    env = clean_env({"XDG_CONFIG_HOME": workdir})

    def one(path: str) -> list[EngineResult]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise EngineFailure("timeout", f"hadolint did not finish within {timeout:g}s")
        done = run(command(binary, str(root / path)), timeout=left, env=env)  # absolute: no cwd
        if done.timed_out:
            raise EngineFailure("timeout", f"hadolint did not finish {path} within {timeout:g}s")
        if done.returncode != 0:
            raise EngineFailure("failed", f"hadolint exited {done.returncode} on {path}: {tail(done.stderr or done.stdout)}")
        return parse(done.stdout, root, path)

    if len(paths) == 1:
        return one(paths[0]), None
    with ThreadPoolExecutor(max_workers=min(_PARALLEL, len(paths))) as pool:
        return [result for batch in pool.map(one, paths) for result in batch], None


def parse(text: str, root: Path, path: str | None = None) -> list[EngineResult]:
    try:
        items = json.loads(text) if text.strip() else []
        if not isinstance(items, list):
            raise TypeError("not a list")
    except (ValueError, TypeError) as exc:
        where = f" for {path}" if path else ""
        raise EngineFailure("failed", f"hadolint printed something that is not its JSON report{where} ({type(exc).__name__}): {text.strip()[:120]!r}") from None
    out = []
    for item in items:
        code = str(item.get("code", ""))
        if not code or code == "DL1000":
            continue
        lvl = str(item.get("level", "warning")).lower()
        line, column = int(item.get("line") or 1), int(item.get("column") or 1)
        message = scrub(str(item.get("message", "")))
        out.append(
            EngineResult(
                engine=NAME,
                code=code,
                name=code.lower(),
                path=relative(str(item.get("file") or path or ""), root),
                line=line,
                column=column,
                end_line=line,
                end_column=column,
                message=message,
                fix=message,  # hadolint's messages are instructions ("Use COPY instead of ADD ...")
                severity=SEVERITIES.get(lvl, "medium"),
                tier=TIERS.get(lvl, "expected"),
                confidence="high",
            )
        )
    return out
