"""`perfmkt`: the project's command line (demo, UI, sandbox, configuration check, migrations).

This is an entry point, so it is the one place that reads the wall clock: the demo and the UI
serve the sandbox "as of" today and load the days before it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from perfmkt_pipeline.config import (
    ConfigError,
    load_settings,
    require_secrets,
    warehouse_url,
)

DEMO_DAYS = 30
# Ports `perfmkt sandbox` binds by default; the bundled configuration (sandbox.yaml) names them.
SANDBOX_PORTS = {
    "meta": 8701,
    "impact": 8702,
    "cj": 8703,
    "awin": 8704,
    "ecb": 8705,
    "google_oauth": 8706,
    "google_ads": 8707,
}
DEFAULT_DAGSTER_HOME = Path(".dagster_home")


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _dagster_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {**os.environ, **extra}
    home = Path(env.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).resolve()
    home.mkdir(parents=True, exist_ok=True)
    instance_file = home / "dagster.yaml"
    if not instance_file.exists():
        instance_file.write_text(Path("dagster.yaml").read_text())
    env["DAGSTER_HOME"] = str(home)
    return env


def _start_sandbox(as_of: dt.date, *, fixed_ports: bool):
    from perfmkt_pipeline.sandbox.runner import Sandbox

    return Sandbox(as_of=as_of, ports=SANDBOX_PORTS if fixed_ports else None).start()


def cmd_check_config(_: argparse.Namespace) -> int:
    settings = load_settings()
    require_secrets(settings)
    print(f"configuration OK: platforms {', '.join(settings.configured_platforms()) or 'none'}")
    print(f"warehouse: {warehouse_url()}")
    return 0


def cmd_migrate(_: argparse.Namespace) -> int:
    from perfmkt_pipeline.warehouse.engine import Warehouse
    from perfmkt_pipeline.warehouse.migrate import current_revision

    warehouse = Warehouse(warehouse_url())
    warehouse.ensure_schema()
    print(f"{warehouse!r} at schema version {current_revision(warehouse)}")
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    sandbox = _start_sandbox(args.as_of or _today(), fixed_ports=not args.free_ports)
    print("# sandbox running on loopback; point the pipeline at it with:")
    for name, value in sorted(sandbox.env().items()):
        print(f"export {name}={value}")
    print("# Ctrl-C stops it.", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


def _materialize(env: Mapping[str, str], start: dt.date, end: dt.date) -> int:
    command = [
        sys.executable, "-m", "dagster", "asset", "materialize",
        "-m", "perfmkt_pipeline.definitions",
        "--select", "*",
        "--partition-range", f"{start.isoformat()}...{end.isoformat()}",
    ]  # fmt: skip
    return subprocess.run(command, env=dict(env), check=False).returncode


def cmd_demo(args: argparse.Namespace) -> int:
    from perfmkt_pipeline.reporting import print_channel_totals

    today = _today()
    start, end = today - dt.timedelta(days=args.days), today - dt.timedelta(days=1)
    sandbox = _start_sandbox(today, fixed_ports=False)
    try:
        env = _dagster_env(sandbox.env())
        print(f"demo: materialising every asset for {start}..{end} into {warehouse_url(env)}")
        code = _materialize(env, start, end)
    finally:
        sandbox.stop()
    if code != 0:
        print("demo: the materialisation failed (see the log above)", file=sys.stderr)
        return code
    print_channel_totals(warehouse_url(env), start, end)
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    sandbox = _start_sandbox(_today(), fixed_ports=False)
    try:
        env = _dagster_env(sandbox.env())
        command = [
            sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml",
            "-h", "127.0.0.1", "-p", str(args.port),
        ]  # fmt: skip
        return subprocess.run(command, env=env, check=False).returncode
    except KeyboardInterrupt:
        return 0
    finally:
        sandbox.stop()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="perfmkt", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="sandbox + materialise the last days + print totals")
    demo.add_argument("--days", type=int, default=DEMO_DAYS)
    demo.set_defaults(run=cmd_demo)

    ui = commands.add_parser("ui", help="sandbox + the Dagster UI and daemon on 127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(run=cmd_ui)

    sandbox = commands.add_parser("sandbox", help="run the local platform stand-ins")
    sandbox.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
    sandbox.add_argument("--free-ports", action="store_true", help="pick free ports")
    sandbox.set_defaults(run=cmd_sandbox)

    check = commands.add_parser("check-config", help="validate configuration and secrets")
    check.set_defaults(run=cmd_check_config)

    migrate = commands.add_parser("migrate", help="create or upgrade the warehouse schema")
    migrate.set_defaults(run=cmd_migrate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
