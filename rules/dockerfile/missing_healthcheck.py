"""DKR005: the image declares a HEALTHCHECK."""
from __future__ import annotations

from critic.parsers.dockerfile import Instruction
from critic.rule import DockerfileRule, Invalid, Valid
from critic.rules.dockerfile._support import from_instruction, lineage, stage_bases, strip_flags


class MissingHealthcheck(DockerfileRule):
    """
    ## What it does
    Checks that the final image declares a `HEALTHCHECK`: the last `HEALTHCHECK` of the final
    stage, or, when it has none, of the stage a final `FROM <stage>` builds on. `HEALTHCHECK
    NONE` disables the check and counts as missing. A healthcheck that only a compose file
    declares is checked by CMP002, not here.

    ## Why is this bad?
    Without a healthcheck Docker only knows whether the process is alive, not whether the
    service answers: a hung server stays "running", `depends_on: condition: service_healthy`
    cannot wait for it and orchestrators never restart it. DEV's expected criteria include
    Docker health checks.

    ## Example
        FROM python:3.12-slim
        CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]

    ## Use instead
        FROM python:3.12-slim
        HEALTHCHECK --interval=30s --timeout=3s --retries=3 \\
          CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:8000/health')"
        CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
    """

    id = "DKR005"
    name = "missing-healthcheck"
    tier = "expected"
    severity = "low"
    confidence = "high"
    sources = ("DEV Docker Best Practices (health checks)", "DEV validation_criteria expected (Docker health checks configured)")
    peers = ("checkov:CKV_DOCKER_2",)
    message = "The image declares no HEALTHCHECK"
    fix = (
        "Add `HEALTHCHECK --interval=30s --timeout=3s --retries=3 CMD curl -fsS http://localhost:8000/health || exit 1` "
        "(or a python/wget probe when curl is not installed) to the final stage, probing the service's health endpoint."
    )
    VALID = (
        Valid("FROM python:3.12-slim\nHEALTHCHECK CMD curl -f http://localhost:8000/health || exit 1\n"),
        Valid('FROM python:3.12-slim\nHEALTHCHECK --interval=10s \\\n  CMD ["python", "-c", "print(1)"]\n'),
        # inherited from the stage the final stage builds on
        Valid("FROM python:3.12-slim AS base\nHEALTHCHECK CMD true\nFROM base AS final\nCMD [\"python\"]\n"),
    )
    INVALID = (
        Invalid("FROM python:3.12-slim\nCMD [\"python\", \"main.py\"]\n", line=1),
        Invalid("FROM python:3.12-slim\nHEALTHCHECK CMD true\nHEALTHCHECK NONE\n", line=1),
        # a healthcheck in a builder stage does not reach the final image
        Invalid(
            "FROM python:3.12-slim AS builder\nHEALTHCHECK CMD true\nFROM python:3.12-slim\nCOPY --from=builder /a /a\n",
            line=3,
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.last: dict[int, bool] = {}  # stage -> its last HEALTHCHECK enables a check

    def step(self, instruction: Instruction) -> None:
        if instruction.keyword == "HEALTHCHECK" and instruction.stage >= 0:
            words = strip_flags(instruction.arguments).split(None, 1)
            self.last[instruction.stage] = bool(words) and words[0].upper() != "NONE"

    def finish(self) -> None:
        final = self.dockerfile.final_stage
        if final is None:
            return
        disabled = False
        for index in lineage(stage_bases(self.dockerfile), final.index):
            if index in self.last:
                if self.last[index]:
                    return
                disabled = True
                break
        at = from_instruction(self.dockerfile, final.index)
        if disabled:
            self.report_instruction(at, "The image disables its healthcheck with HEALTHCHECK NONE")
        else:
            self.report_instruction(at)
