"""critic: a static critique engine for backends that coding agents generate."""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["critique", "critique_task", "Report", "Finding", "Config", "__version__"]


def __getattr__(name: str):
    # Imported lazily so `critic --version` and `critic rules` start fast.
    if name == "critique":
        from critic.api import critique

        return critique
    if name == "critique_task":
        from critic.task import critique_task

        return critique_task
    if name in ("Report", "Finding"):
        from critic import model

        return getattr(model, name)
    if name == "Config":
        from critic.config import Config

        return Config
    raise AttributeError(name)
