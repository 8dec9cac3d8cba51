"""bandit: Python security checks (`bandit -f json -q -r -- FILES`).

bandit exits 1 when it found issues and 0 when not; a file it cannot parse only shows up in
``errors[]`` (exit 0). Such a file is PRJ003 natively, so parse errors are ignored here; any
other per-file error, output that is not its JSON, or a crash is an engine failure.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from critic.config import Config
from critic.engines.common import (
    NON_SECRET_VALUES,
    TIER_OF_SEVERITY,
    EngineFailure,
    EngineResult,
    cwe_ids,
    is_test_path,
    kebab,
    level,
    relative,
    scrub,
)
from critic.engines.process import batches, clean_env, run, tail, version_of

NAME = "bandit"
BINARY = "bandit"
KINDS = ("python",)

#: bandit's own severity for each check (from its documentation). ruff's flake8-bandit S-rules
#: carry the same numbers (S608 is B608), and take their severity from this table.
SEVERITY = {
    "B102": "medium", "B103": "high", "B104": "medium", "B105": "low", "B106": "low", "B107": "low",
    "B108": "medium", "B110": "low", "B112": "low", "B113": "medium", "B201": "high", "B202": "high",
    "B301": "medium", "B302": "medium", "B303": "medium", "B304": "high", "B305": "medium", "B306": "medium",
    "B307": "medium", "B308": "medium", "B310": "medium", "B311": "low", "B312": "high", "B313": "medium",
    "B314": "medium", "B315": "medium", "B316": "medium", "B317": "medium", "B318": "medium", "B319": "medium",
    "B320": "medium", "B321": "high", "B323": "medium", "B324": "high", "B401": "high", "B402": "high",
    "B403": "low", "B404": "low", "B405": "low", "B406": "low", "B407": "low", "B408": "low", "B409": "low",
    "B410": "low", "B411": "high", "B412": "high", "B413": "high", "B415": "high", "B501": "high",
    "B502": "high", "B503": "medium", "B504": "low", "B505": "high", "B506": "medium", "B507": "high",
    "B508": "medium", "B509": "medium", "B601": "medium", "B602": "high", "B603": "low", "B604": "medium",
    "B605": "high", "B606": "low", "B607": "low", "B608": "medium", "B609": "high", "B610": "medium",
    "B611": "medium", "B612": "medium", "B613": "high", "B614": "medium", "B615": "medium", "B701": "high",
    "B702": "medium", "B703": "medium", "B704": "medium",
}
#: B101 (assert) is noise for a service and for its tests alike.
SKIP = ("B101",)
#: Checks that do not apply to test code: fixtures hold fake credentials, tmp paths, randomness.
TEST_EXEMPT = frozenset({"B105", "B106", "B107", "B108", "B311"})
SECRET_CHECKS = frozenset({"B105", "B106", "B107"})
_UNPARSABLE = ("syntax error", "parsing ast", "null bytes", "codec can't decode", "decode")


def version(binary: str, timeout: float) -> str | None:
    found, done = version_of(binary, timeout=timeout)
    if done.timed_out:
        raise EngineFailure("timeout", f"`bandit --version` did not answer within {timeout:g}s")
    return found


def check(binary: str, root: Path, paths: Sequence[str], config: Config, timeout: float, workdir: str) -> tuple[list[EngineResult], str | None]:
    results: list[EngineResult] = []
    for batch in batches([str(root / p) for p in paths]):  # absolute: engines run without a cwd
        argv = [binary, "-f", "json", "-q", "--skip", ",".join(SKIP), "-r", "--", *batch]
        done = run(argv, timeout=timeout, env=clean_env())
        if done.timed_out:
            raise EngineFailure("timeout", f"bandit did not finish within {timeout:g}s")
        if done.returncode not in (0, 1):
            raise EngineFailure("failed", f"bandit exited {done.returncode}: {tail(done.stderr or done.stdout)}")
        results += parse(done.stdout, root)
    return results, None


def parse(text: str, root: Path) -> list[EngineResult]:
    """bandit's JSON report -> results; raises EngineFailure on anything that is not that report."""
    try:
        data = json.loads(text)
        issues = data["results"]
        errors = data.get("errors", [])
    except (ValueError, KeyError, TypeError) as exc:
        raise EngineFailure("failed", f"bandit printed something that is not its JSON report ({type(exc).__name__}): {text.strip()[:120]!r}") from None
    problems = [e for e in errors if not any(word in str(e.get("reason", "")).lower() for word in _UNPARSABLE)]
    if problems:
        first = problems[0]
        raise EngineFailure("failed", f"bandit could not check {relative(str(first.get('filename', '?')), root)}: {first.get('reason', '')}")
    out = []
    for issue in issues:
        code = str(issue.get("test_id", ""))
        path = relative(str(issue.get("filename", "")), root)
        if not code or (code in TEST_EXEMPT and is_test_path(path)):
            continue
        raw_message = str(issue.get("issue_text", ""))
        if code in SECRET_CHECKS and _flags_non_secret(raw_message):
            continue
        line = int(issue.get("line_number") or 1)
        line_range = issue.get("line_range") or [line]
        severity = level(issue.get("issue_severity"), SEVERITY.get(code, "medium"))
        cwe = issue.get("issue_cwe") or {}
        out.append(
            EngineResult(
                engine=NAME,
                code=code,
                name=kebab(str(issue.get("test_name") or code)),
                path=path,
                line=line,
                column=int(issue.get("col_offset") or 0) + 1,
                end_line=max(line, int(max(line_range))),
                end_column=int(issue.get("end_col_offset") or 0) + 1,
                message=scrub(raw_message, secret=code in SECRET_CHECKS),
                fix=f"See {issue['more_info']}" if issue.get("more_info") else "Remove the insecure construct bandit names.",
                severity=severity,
                tier=TIER_OF_SEVERITY[severity],
                confidence=level(issue.get("issue_confidence")),
                cwe=cwe_ids([cwe.get("id")]) if cwe.get("id") else (),
                secret=code in SECRET_CHECKS,
            )
        )
    return out


def _flags_non_secret(message: str) -> bool:
    """bandit's "Possible hardcoded password: 'bearer'" names a token type, not a secret."""
    _, _, value = message.rpartition(": ")
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1].strip().lower() in NON_SECRET_VALUES
    return False
