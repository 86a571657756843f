"""`perfmkt`: the project's command line (demo, UI, sandbox, configuration check, migrations,
the analyst role, a Celery worker).

This is an entry point, so it is the one place that reads the wall clock: the demo and the UI
serve the sandbox "as of" today and load the days before it.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from perfmkt_pipeline.config import (
    CONFIG_ENV_VAR,
    DEFAULT_CONFIG_PATH,
    ConfigError,
    Derived,
    bundled_sandbox_config,
    load_settings,
    require_executor,
    require_secrets,
    warehouse_url,
)

DEMO_DAYS = 30
DEMO_CHART_DAYS = 30
CHART_DIR = Path("data/charts")
# How long `perfmkt ui`, told to stop (Ctrl-C, SIGTERM, SIGHUP), lets dagster dev's processes
# (webserver, daemon, code servers, runs) stop by themselves before it kills what is left: with
# its own exit, under the 10 s within which an operator's `kill` should see everything gone.
UI_SHUTDOWN_SECONDS = 4
# Ports `perfmkt sandbox` binds by default; the bundled configuration's endpoints name them.
# A registered platform's is its stand-in's `port`, a helper stand-in's its sandbox part's
# (asked when first read: `perfmkt` itself starts without loading any platform).


def _sandbox_ports() -> dict[str, int]:
    from perfmkt_pipeline.sandbox import parts

    return parts.default_ports()


SANDBOX_PORTS: Mapping[str, int] = Derived(_sandbox_ports)
DEFAULT_DAGSTER_HOME = Path(".dagster_home")
# Which Dagster instance template goes into DAGSTER_HOME: local SQLite storage or the shared
# PostgreSQL one (its connection from the DAGSTER_PG_* variables, see dagster.postgres.yaml).
INSTANCE_ENV_VAR = "PERFMKT_DAGSTER_INSTANCE"
INSTANCE_TEMPLATES = {"local": "dagster.yaml", "postgres": "dagster.postgres.yaml"}
# The project root of a source checkout (where the templates live when run from elsewhere).
_PROJECT_ROOT = Path(__file__).resolve().parents[1]
ANALYST_PASSWORD_ENV_VAR = "PERFMKT_ANALYST_PASSWORD"
# A run over N days records one materialisation per asset and day (issue #18: 8,760 for a year
# of every asset of one platform). Dagster writes a step's partition materialisations in
# batches of this many where the instance's event log can (PostgreSQL: one statement a batch,
# about a fifteenth of the CPU per event, benchmarks/event_cost.py); SQLite stores them one by
# one either way. The same events are stored. Set for the processes `perfmkt` starts, unless the
# environment already says.
EVENT_BATCH_ENV_VAR = "DAGSTER_EVENT_BATCH_SIZE"
EVENT_BATCH_SIZE = "1000"
# `perfmkt worker`: the Celery app of the workers, and the steps each worker runs at once by
# default (steps mostly wait on the platforms; each is a process of a few hundred MB).
CELERY_APP = "perfmkt_pipeline.celery_app"
DEFAULT_WORKER_CONCURRENCY = 4
# Where the sandbox writes its shop's CSV export when MariaDB cannot be reached, and the copy of
# the configuration that reads it.
ORDERS_EXPORT_DIR = Path("data/sandbox/orders")
ORDERS_CONFIG = Path("data/sandbox/perfmkt.orders-csv.yaml")


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _template(name: str) -> Path:
    for folder in (Path.cwd(), _PROJECT_ROOT):
        if (folder / name).is_file():
            return folder / name
    raise ConfigError(f"Dagster instance template {name} not found in {Path.cwd()}")


def _install_instance(home: Path, choice: str) -> None:
    """Put the chosen instance template into DAGSTER_HOME. An instance file that is not one of
    the templates (written by hand for a deployment) is left alone."""
    if choice not in INSTANCE_TEMPLATES:
        raise ConfigError(
            f"{INSTANCE_ENV_VAR}={choice!r}: expected one of {', '.join(INSTANCE_TEMPLATES)}"
        )
    wanted = _template(INSTANCE_TEMPLATES[choice]).read_text()
    instance_file = home / "dagster.yaml"
    if instance_file.exists():
        current = instance_file.read_text()
        templates = {_template(name).read_text() for name in INSTANCE_TEMPLATES.values()}
        if current == wanted or current not in templates:
            return
        print(f"perfmkt: switching the Dagster instance in {home} to {choice}", file=sys.stderr)
    instance_file.write_text(wanted)


def _dagster_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {**os.environ, **extra}
    env.setdefault(EVENT_BATCH_ENV_VAR, EVENT_BATCH_SIZE)
    home = Path(env.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).resolve()
    home.mkdir(parents=True, exist_ok=True)
    choice = env.get(INSTANCE_ENV_VAR) or "local"
    _install_instance(home, choice)
    if (home / "dagster.yaml").read_text() == _template(INSTANCE_TEMPLATES["local"]).read_text():
        _create_instance_storage(home)
    env["DAGSTER_HOME"] = str(home)
    if not env.get(CONFIG_ENV_VAR) and not DEFAULT_CONFIG_PATH.is_file():
        env[CONFIG_ENV_VAR] = _sandbox_config(home)  # assembled once, not in every step
    return env


def _create_instance_storage(home: Path) -> None:
    """Create the local (SQLite) instance's storage once, before `dagster dev` starts its
    webserver, daemon and code server: on a new DAGSTER_HOME each of them would create it at the
    same moment, and it can then be stamped twice ("alembic_version has more than one head"),
    which fails the code location's load. (A PostgreSQL instance is left to dagster dev: it
    needs the DAGSTER_PG_* variables, which may be given to dagster dev only.)"""
    from dagster import DagsterInstance

    DagsterInstance.from_config(str(home)).dispose()


def _in_ci(environ: Mapping[str, str] | None = None) -> bool:
    return (os.environ if environ is None else environ).get("CI", "").lower() in (
        "1",
        "true",
        "yes",
    )


def _start_sandbox(as_of: dt.date, *, fixed_ports: bool, injections: tuple = ()):
    """The sandbox, its shop's orders on MariaDB; without a reachable MariaDB server (and not in
    CI, where that is a failure) the orders come from the shop's CSV export instead, and the
    sandbox configuration's SQL orders source is read as that export (`_orders_config`)."""
    from perfmkt_pipeline.platforms.orders.standin.mariadb import MariaDbUnavailable
    from perfmkt_pipeline.sandbox.runner import Sandbox

    ports = dict(SANDBOX_PORTS) if fixed_ports else None
    try:
        return Sandbox(as_of=as_of, ports=ports, injections=injections, orders="mariadb").start()
    except MariaDbUnavailable as error:
        if _in_ci():
            raise
        folder = ORDERS_EXPORT_DIR.resolve()
        print(
            f"perfmkt: {error}; the sandbox serves its shop's orders as the CSV export "
            f"{folder / 'orders.csv'} instead, and the orders source reads that file (start "
            "MariaDB on 127.0.0.1:3306, or set PERFMKT_SANDBOX_MARIADB_URL, for the SQL source)",
            file=sys.stderr,
        )
        return Sandbox(
            as_of=as_of, ports=ports, injections=injections, orders="csv", orders_folder=folder
        ).start()


def _orders_config(sandbox, env: Mapping[str, str]) -> dict[str, str]:
    """With the shop's orders served as a CSV export: a copy of the configuration in force whose
    orders sources reading $PERFMKT_ORDERS_URL read the export instead (its columns are the
    database's), as {PERFMKT_CONFIG: path}; else nothing to change."""
    import yaml

    from perfmkt_pipeline.config import DEFAULT_ORDERS_URL_ENV_VAR, config_source

    if sandbox.orders != "csv":
        return {}
    source, text = config_source(env)
    data = yaml.safe_load(text) or {}
    for entry in data.get("orders") or []:
        sql = entry.get("sql") or {}
        if sql.get("url_env", DEFAULT_ORDERS_URL_ENV_VAR) == DEFAULT_ORDERS_URL_ENV_VAR:
            entry.pop("sql", None)
            entry["files"] = {"location": str(sandbox.orders_folder / "orders.csv")}
    ORDERS_CONFIG.parent.mkdir(parents=True, exist_ok=True)
    ORDERS_CONFIG.write_text(
        f"# {source}, its orders read from the sandbox shop's CSV export (written by perfmkt)\n"
        + yaml.safe_dump(data, sort_keys=False)
    )
    return {CONFIG_ENV_VAR: str(ORDERS_CONFIG.resolve())}


def cmd_example_config(_: argparse.Namespace) -> int:
    from perfmkt_pipeline.config import example_config

    print(example_config(), end="")
    return 0


def cmd_check_config(_: argparse.Namespace) -> int:
    settings = load_settings()
    require_secrets(settings)
    require_executor(settings)
    print(f"configuration OK: platforms {', '.join(settings.configured_platforms()) or 'none'}")
    print(f"executor: {settings.executor.kind}")
    print(f"warehouse: {_shown_warehouse_url()}")
    return 0


def _shown_warehouse_url() -> str:
    """The warehouse's URL as it may be printed: its password masked."""
    import sqlalchemy as sa

    return sa.make_url(warehouse_url()).render_as_string(hide_password=True)


def worker_command(
    queue: str | None = None,
    concurrency: int = DEFAULT_WORKER_CONCURRENCY,
    name: str | None = None,
    loglevel: str = "INFO",
) -> list[str]:
    """The Celery worker command for `executor.kind: celery`, after checking the configuration
    (kind, broker, warehouse). It is the command `dagster-celery worker start` runs, with this
    project's app, started directly: dagster-celery's wrapper would write the broker's URL,
    password included, into a file under DAGSTER_HOME, and it does not pass a SIGTERM on to
    the worker it started."""
    from perfmkt_pipeline.celery_app import require_celery

    settings = load_settings()
    require_celery(settings, os.environ)
    queue = queue or settings.executor.celery_settings.queue
    name = name or f"perfmkt-{uuid.uuid4().hex[:6]}"
    return [
        str(Path(sys.executable).parent / "celery"), "-A", CELERY_APP, "worker",
        "--prefetch-multiplier=1", "--loglevel", loglevel, "-Q", queue,
        "-n", f"{name}@%h", "--concurrency", str(concurrency),
    ]  # fmt: skip


def cmd_worker(args: argparse.Namespace) -> int:
    command = worker_command(args.queue, args.concurrency, args.name, args.loglevel)
    print(f"worker: {' '.join(command[1:])}", file=sys.stderr, flush=True)
    os.execv(command[0], command)


def cmd_migrate(_: argparse.Namespace) -> int:
    from perfmkt_pipeline.warehouse.engine import Warehouse
    from perfmkt_pipeline.warehouse.migrate import current_revision

    warehouse = Warehouse(warehouse_url())
    warehouse.ensure_schema()
    print(f"{warehouse!r} at schema version {current_revision(warehouse)}")
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sandbox = _start_sandbox(args.as_of or _today(), fixed_ports=not args.free_ports)
    print("# sandbox running on loopback; point the pipeline at it with:")
    for name, value in sorted(sandbox.env().items()):
        print(f"export {name}={value}")
    if sandbox.orders == "csv":
        print(f"# the shop's orders: the CSV export {sandbox.orders_folder / 'orders.csv'}")
    print("# Ctrl-C stops it.", flush=True)
    try:
        # Wake up now and then: Python runs a signal handler only in the main thread, and a
        # main thread blocked in an untimed wait never runs it when the kernel delivers the
        # signal to one of the servers' threads (the SIGTERM would be lost for good).
        while not stop.wait(timeout=0.5):
            continue
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


# A record of Dagster's console log: "<date> <time> <zone> - dagster - <LEVEL> - <job> - <run id>
# - ...". The demo echoes INFO and WARNING records (the steps' progress); DEBUG records, the lines
# of an ERROR record's traceback and Python's warnings go to the log file only.
_RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} - dagster - (?P<level>[A-Z]+) - [^ ]+ - "
    r"(?P<run_id>[0-9a-f-]{36}) - "
)
_ECHOED_LEVELS = ("INFO", "WARNING")


def _materialize(
    env: Mapping[str, str], start: dt.date, end: dt.date, log_file: Path
) -> tuple[int, list[str]]:
    """Materialise every asset over start..end with Dagster's command line, the whole output
    written to `log_file`; returns the exit code and, per failed step, its clear message."""
    command = [
        sys.executable, "-m", "dagster", "asset", "materialize",
        "-m", "perfmkt_pipeline.definitions",
        "--select", "*",
        "--partition-range", f"{start.isoformat()}...{end.isoformat()}",
    ]  # fmt: skip
    run_id, last_line = None, ""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with (
        log_file.open("w") as log,
        subprocess.Popen(
            command, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as process,
    ):
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            last_line = line.strip() or last_line
            record = _RECORD.match(line)
            if record is not None:
                run_id = run_id or record["run_id"]
                if record["level"] in _ECHOED_LEVELS:
                    print(line, end="", flush=True)
    if process.returncode == 0:
        return 0, []
    if run_id is None:  # Dagster stopped before the run (e.g. the definitions did not load)
        return process.returncode, [last_line]
    # A step process's own console lines can be lost when it fails fast and exits; the failures
    # as the instance recorded them always end the full log.
    with log_file.open("a") as log:
        log.writelines(failure_events(env["DAGSTER_HOME"], run_id))
    return process.returncode, run_failures(env["DAGSTER_HOME"], run_id) or [last_line]


def failure_events(home: str, run_id: str) -> list[str]:
    """Every STEP_FAILURE and RUN_FAILURE event of a run, with its error and stack trace, as
    lines of text (read from the Dagster instance in `home`)."""
    from dagster import DagsterEventType, DagsterInstance

    lines = []
    kinds = {DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE}
    with DagsterInstance.from_config(home) as instance:
        for entry in instance.all_logs(run_id, of_type=kinds):
            event = entry.dagster_event
            error = event.event_specific_data.error
            where = f" - {event.step_key}" if event.step_key else ""
            lines.append(f"{event.event_type_value}{where} - {entry.user_message}\n")
            if error is not None:
                lines.append(error.to_string() + "\n")
    return lines


def _clear_message(error: Any, description: str | None = None) -> str:
    """The first line of what went wrong: a `Failure`'s description (the pipeline's own message,
    see defs/policies.py), else the innermost cause's message with its class name."""
    if description:
        return description.splitlines()[0]
    while error.cause is not None:
        error = error.cause
    text = (error.message.strip().splitlines() or [""])[0]
    qualified = text.split(": ", 1)
    if len(qualified) == 2 and qualified[0].endswith(error.cls_name):
        return f"{error.cls_name}: {qualified[1]}"
    return text


def run_failures(home: str, run_id: str) -> list[str]:
    """ "<step>: <clear message>" per failed step of a run (or "run: ..." when the run itself
    failed before its steps), read from the Dagster instance in `home`."""
    from dagster import DagsterEventType, DagsterInstance

    failures = []
    kinds = {DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE}
    with DagsterInstance.from_config(home) as instance:
        for entry in instance.all_logs(run_id, of_type=kinds):
            event = entry.dagster_event
            if event.event_type == DagsterEventType.STEP_FAILURE:
                data = event.step_failure_data
                user = data.user_failure_data
                message = _clear_message(data.error, user.description if user else None)
                failures.append(f"{event.step_key}: {message}")
            elif event.event_specific_data.error is not None and not failures:
                failures.append(f"run: {_clear_message(event.event_specific_data.error)}")
    return failures


def cmd_demo(args: argparse.Namespace) -> int:
    from perfmkt_pipeline import demo_alerts
    from perfmkt_pipeline.reporting import print_blended_totals, print_channel_totals
    from perfmkt_pipeline.sandbox.anomalies import demo_injections

    today = _today()
    start, end = today - dt.timedelta(days=args.days), today - dt.timedelta(days=1)
    injections = demo_injections(today) if args.anomalies else ()
    for injection in injections:
        print(f"demo: injecting {injection.kind} on {injection.platform} account "
              f"{injection.account_id} from {injection.start}")  # fmt: skip
    sandbox = _start_sandbox(today, fixed_ports=False, injections=injections)
    try:
        env = _dagster_env(sandbox.env())
        env.update(_orders_config(sandbox, env))
        load_settings(env)  # a bad configuration is one clear message, not Dagster's traceback
        stamp = dt.datetime.now(dt.UTC)  # names the log file only
        log_file = Path(env["DAGSTER_HOME"]) / "logs" / f"demo-{stamp:%Y%m%d-%H%M%S}.log"
        cursor = demo_alerts.notification_cursor(env["DAGSTER_HOME"])
        print(f"demo: materialising every asset for {start}..{end} into {warehouse_url(env)}")
        code, failures = _materialize(env, start, end, log_file)
    finally:
        sandbox.stop()
    settings = load_settings(env)
    sent = demo_alerts.send_notifications(env["DAGSTER_HOME"], cursor, settings, env)
    print(f"demo: {sent} notification(s)")
    if code != 0:
        print("demo: the materialisation failed:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        print(f"demo: the full log is {log_file}", file=sys.stderr)
        return code
    print(f"demo: the full log is {log_file}")
    print_channel_totals(warehouse_url(env), start, end)
    print_blended_totals(warehouse_url(env), start, end)
    chart_first = max(start, end - dt.timedelta(days=DEMO_CHART_DAYS - 1))
    png, html = demo_alerts.write_chart(warehouse_url(env), settings, chart_first, end, CHART_DIR)
    print(f"demo: chart of {chart_first}..{end}: {png}")
    print(f"demo: chart of {chart_first}..{end}: {html}")
    return 0


def _sandbox_config(home: Path) -> str:
    """Path of the bundled configuration naming the sandbox's accounts, written into the
    Dagster home (the runs' processes read it there)."""
    path = home / "sandbox.yaml"
    path.write_text(
        "# Written by perfmkt: the bundled sandbox configuration (sandbox/bundled.py)\n"
        + bundled_sandbox_config()
    )
    return str(path.resolve())


def ui_env(sandbox_env: Mapping[str, str] | None) -> dict[str, str]:
    """Environment of `dagster dev`: with the sandbox, its endpoints and credentials and the
    bundled configuration listing its accounts (whatever perfmkt.yaml or PERFMKT_CONFIG say);
    without it, the configuration and secrets in force."""
    if sandbox_env is None:
        return _dagster_env({})
    env = _dagster_env(sandbox_env)
    env[CONFIG_ENV_VAR] = _sandbox_config(Path(env["DAGSTER_HOME"]))
    return env


def _ui_env(sandbox) -> dict[str, str]:
    env = ui_env(sandbox.env() if sandbox else None)
    if sandbox is not None:
        env.update(_orders_config(sandbox, env))
    return env


def _run_until_interrupted(command: Sequence[str], env: Mapping[str, str]) -> int:
    """Run `command` (dagster dev) in a process group of its own until it exits or this process
    gets Ctrl-C, SIGTERM or SIGHUP; then stop the whole group, run processes included."""
    from perfmkt_pipeline.process_group import run_until_stopped

    return run_until_stopped(command, env, graceful_seconds=UI_SHUTDOWN_SECONDS)


def cmd_ui(args: argparse.Namespace) -> int:
    sandbox = None if args.no_sandbox else _start_sandbox(_today(), fixed_ports=False)
    try:
        env = _ui_env(sandbox)
        if sandbox is not None:
            print(f"ui: sandbox running; configuration {env[CONFIG_ENV_VAR]}", flush=True)
        command = [
            sys.executable, "-m", "dagster", "dev", "-w", str(_template("workspace.yaml")),
            "-h", "127.0.0.1", "-p", str(args.port),
        ]  # fmt: skip
        code = _run_until_interrupted(command, env)
    finally:
        if sandbox is not None:
            sandbox.stop()
    _exit_at_once(code)


def _exit_at_once(code: int) -> NoReturn:
    """Exit without Python's teardown of the modules loaded (Dagster, gRPC, the sandbox): on a
    busy machine it takes seconds, counted in the 10 s within which `perfmkt ui` should be gone
    once told to stop. Exit handlers still run (one removes the sandbox's CA folder)."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def cmd_grant_analyst(args: argparse.Namespace) -> int:
    from perfmkt_pipeline.warehouse.engine import Warehouse
    from perfmkt_pipeline.warehouse.roles import RoleError, grant_analyst

    password = os.environ.get(ANALYST_PASSWORD_ENV_VAR) if args.login else None
    if args.login and not password:
        print(f"grant-analyst: --login needs {ANALYST_PASSWORD_ENV_VAR} set", file=sys.stderr)
        return 2
    warehouse = Warehouse(warehouse_url())
    try:
        grant = grant_analyst(warehouse, args.role, login=args.login, password=password)
    except RoleError as error:
        print(f"grant-analyst: {error}", file=sys.stderr)
        return 2
    finally:
        warehouse.dispose()
    kind = "LOGIN" if args.login else "NOLOGIN"
    state = "created" if grant.created else "updated"
    print(
        f"role {grant.role} ({kind}) {state}: SELECT on {grant.readable_tables} tables in "
        "core and marts (and their future tables), nothing on raw"
    )
    for problem in grant.problems:
        print(f"grant-analyst: not read-only: the role {problem}", file=sys.stderr)
    return 1 if grant.problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="perfmkt", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="on an error, show its traceback too")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="sandbox + materialise the last days + print totals")
    demo.add_argument("--days", type=int, default=DEMO_DAYS)
    demo.add_argument(
        "--anomalies",
        action="store_true",
        help="inject a spend spike, a pixel break and an account that stops reporting into the "
        "sandbox: the warnings and notifications show",
    )
    demo.set_defaults(run=cmd_demo)

    ui = commands.add_parser("ui", help="sandbox + the Dagster UI and daemon on 127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument(
        "--no-sandbox",
        action="store_true",
        help="no sandbox: the configuration, secrets and endpoints in force (real accounts)",
    )
    ui.set_defaults(run=cmd_ui)

    sandbox = commands.add_parser("sandbox", help="run the local platform stand-ins")
    sandbox.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
    sandbox.add_argument("--free-ports", action="store_true", help="pick free ports")
    sandbox.set_defaults(run=cmd_sandbox)

    check = commands.add_parser("check-config", help="validate configuration and secrets")
    check.set_defaults(run=cmd_check_config)

    example = commands.add_parser(
        "example-config", help="print a configuration documenting every key (> perfmkt.yaml)"
    )
    example.set_defaults(run=cmd_example_config)

    migrate = commands.add_parser("migrate", help="create or upgrade the warehouse schema")
    migrate.set_defaults(run=cmd_migrate)

    worker = commands.add_parser(
        "worker", help="a Celery worker running steps of executor.kind: celery (make worker)"
    )
    worker.add_argument("--queue", help="queue to take steps from (default: executor.celery.queue)")
    worker.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_WORKER_CONCURRENCY,
        help=f"steps run at once, each in a process (default {DEFAULT_WORKER_CONCURRENCY})",
    )
    worker.add_argument("--name", help="worker name, before @host (default: perfmkt-<random>)")
    worker.add_argument("--loglevel", default="INFO")
    worker.set_defaults(run=cmd_worker)

    analyst = commands.add_parser(
        "grant-analyst",
        help="PostgreSQL: create/update a read-only role on core and marts (none on raw)",
    )
    analyst.add_argument("--role", required=True, help="role name (lower case, digits, _)")
    analyst.add_argument(
        "--login",
        action="store_true",
        help=f"a LOGIN role with the password in ${ANALYST_PASSWORD_ENV_VAR} (default: NOLOGIN "
        "group role to grant to people)",
    )
    analyst.set_defaults(run=cmd_grant_analyst)
    return parser


def _expected_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message says what is wrong and where (source, account, day, field; the
    configuration key; the warehouse), so that a traceback adds nothing for the operator.
    Imported when an error happens: `perfmkt` itself starts without them."""
    import filelock
    import sqlalchemy.exc

    from perfmkt_pipeline import platforms
    from perfmkt_pipeline.platforms.orders.errors import OrderSourceError
    from perfmkt_pipeline.platforms.orders.standin.mariadb import MariaDbUnavailable
    from perfmkt_pipeline.warehouse.migrate import UnknownSchemaVersion
    from perfmkt_pipeline.warehouse.roles import RoleError
    from perfmkt_pipeline.warehouse.write import SliceViolation

    return (
        ConfigError,
        *(error for spec in platforms.all_specs() for error in spec.errors.expected),
        OrderSourceError,
        MariaDbUnavailable,  # the sandbox's shop database (a failure in CI=true)
        RoleError,
        SliceViolation,
        UnknownSchemaVersion,
        sqlalchemy.exc.OperationalError,  # the warehouse cannot be reached or opened
        sqlalchemy.exc.InterfaceError,
        filelock.Timeout,
        TimeoutError,
        OSError,  # a port in use, a folder that cannot be written
    )


def _describe(error: BaseException) -> str:
    import sqlalchemy.exc

    if isinstance(error, sqlalchemy.exc.DBAPIError):
        url = _shown_warehouse_url()
        cause = str(error.orig if error.orig is not None else error).strip().splitlines()[0]
        return f"warehouse {url}: {cause}"
    return str(error) or type(error).__name__


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except Exception as error:
        if args.debug or not isinstance(error, _expected_errors()):
            raise
        if isinstance(error, ConfigError):  # it names the file and the keys itself
            print(error, file=sys.stderr)
            return 2
        print(f"perfmkt {args.command}: {_describe(error)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
