"""Wall time of `critic check PATH --engines all` against the four engines run one after another.

    python bench/engines_wall.py [PATH] [--repeat N]

Prints, as the median of N runs: each engine alone (critic's own adapter: version probe, run,
parse), their sum (what running the four tools in sequence costs), the whole `critic check`
with every engine (native pass + engines, concurrently) and without any (native pass alone).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from critic.config import ENGINE_NAMES, Config
from critic.discover import discover
from critic.engines import adapters, run_engine

REPO = Path(__file__).resolve().parent.parent


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def critic_check(path: Path, engines: str) -> None:
    # --no-cache: every run does the whole work, as the engines alone do (a warm cache would
    # answer in a fraction of a second and say nothing about running the engines)
    argv = [sys.executable, "-m", "critic", "check", str(path), "--engines", engines, "--format", "json", "--exit-zero", "--no-cache"]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(REPO / "fixtures" / "fastapi_flawed"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = Path(args.path).resolve()
    config = Config()
    files = discover(root, None, config).files
    engines = adapters()

    alone: dict[str, list[float]] = {name: [] for name in ENGINE_NAMES}
    together, native = [], []
    critic_check(root, "all")  # warm the OS caches once
    for _ in range(args.repeat):
        for name in ENGINE_NAMES:
            _, run = run_engine(engines[name], root, files, config)
            assert run.status in ("ok", "skipped"), run
            alone[name].append(run.seconds)
        together.append(timed(lambda: critic_check(root, "all")))
        native.append(timed(lambda: critic_check(root, "none")))

    median = {name: statistics.median(values) for name, values in alone.items()}
    total = sum(median.values())
    print(f"{root.name}: {len(files)} files, median of {args.repeat} runs")
    for name in ENGINE_NAMES:
        print(f"  {name:<9} alone            {median[name]:6.2f} s")
    print(f"  four engines one after another {total:6.2f} s")
    print(f"  critic check --engines all     {statistics.median(together):6.2f} s  (native pass + engines, concurrently)")
    print(f"  critic check --engines none    {statistics.median(native):6.2f} s  (native pass alone)")


if __name__ == "__main__":
    main()
