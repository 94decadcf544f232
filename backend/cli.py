"""The `shouwang` command: serve, worker, migrate, seed-demo, seed-bench, run-checks,
create-user, import-areas, import-households, backup, restore, rotate-data-key."""

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from backend.core.settings import get_settings

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option(
        "sqlalchemy.url", (url or get_settings().database_url).replace("%", "%%")
    )
    return config


def migrate(url: str | None = None) -> None:
    from alembic import command

    settings = get_settings()
    if settings.is_sqlite and url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "heads")


def _cmd_migrate(_: argparse.Namespace) -> int:
    from backend.core.db import analyze

    migrate()
    analyze()
    print("数据库已升级到最新结构")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from backend.core import logs, supervisor
    from backend.core.db import analyze

    settings = get_settings()
    if args.migrate:
        migrate()
    analyze()  # once, before the workers start: the planner needs statistics from the first query
    app = "backend.core.supervisor:create_app"  # backend.main's, logging a failure to build
    options = {
        "factory": True,
        "host": args.host,
        "port": args.port,
        # X-Forwarded-* only from the configured proxies: uvicorn's own default trusts
        # 127.0.0.1, so any local client could move itself out of its rate limit.
        "proxy_headers": bool(settings.forwarded_allow_ips),
        "forwarded_allow_ips": settings.forwarded_allow_ips or None,
        # Our middleware logs method, path and status; uvicorn's access log would also
        # write query strings, which may hold an ID number or a phone.
        "access_log": False,
        "log_level": "info",
        # JSON lines on stderr, shouwang.* at INFO (uvicorn's default config dropped them).
        "log_config": logs.config(),
        # uvicorn kills a worker that leaves its ping unanswered 5 s: four workers starting
        # on two busy cores were killed and replaced that way under load.
        "timeout_worker_healthcheck": settings.serve_healthcheck_seconds,
    }
    if args.workers > 1:
        # What uvicorn.run does for several workers, with a supervisor that logs each death.
        config = uvicorn.Config(app, workers=args.workers, **options)  # type: ignore[arg-type]
        supervisor.Supervisor(config, sockets=[config.bind_socket()]).run()
        return 0
    uvicorn.run(app, **options)  # type: ignore[arg-type]
    return 0


def _cmd_worker(args: argparse.Namespace) -> int:
    import logging.config
    import signal

    from backend.core import logs
    from backend.worker import runner

    # The same JSON lines as `shouwang serve` (the journal), shouwang.* at INFO.
    logging.config.dictConfig(logs.config())
    if args.once:
        added = runner.enqueue_schedules()
        ran = runner.run_due_jobs()
        print(f"已执行 {ran} 个到期任务(新排定 {added} 个)")
        return 0
    worker = runner.Worker()
    # systemd stops with SIGTERM: finish the job in hand, then exit.
    signal.signal(signal.SIGTERM, lambda *_: worker.stop(timeout=0))
    signal.signal(signal.SIGINT, lambda *_: worker.stop(timeout=0))
    worker.run()
    return 0


def _cmd_rotate_data_key(_: argparse.Namespace) -> int:
    import backend.models  # noqa: F401  (every table, so every encrypted column, is known)
    from backend.core import datakeys
    from backend.core.db import get_engine

    settings = get_settings()
    if not settings.old_data_keys.strip():
        print(
            "请先把新密钥设为 SHOUWANG_DATA_KEY、旧密钥设为 SHOUWANG_OLD_DATA_KEYS 并重启服务,再运行本命令",
            file=sys.stderr,
        )
        return 2
    for done in datakeys.rotate(get_engine()):
        what = "身份证号" if done.column == datakeys.CIPHER else f"密钥({done.column})"
        print(f"{done.table}: {done.rows} 个{what},本次重新加密 {done.reencrypted} 个")
    print("已全部换用新密钥;确认无误后可删除 SHOUWANG_OLD_DATA_KEYS 并重启服务")
    return 0


def _cmd_import_areas(args: argparse.Namespace) -> int:
    from backend.areas import service as areas_service
    from backend.core.db import new_session

    with new_session() as session:
        n = areas_service.import_csv(session=session, file=Path(args.file))
    print(f"已导入 {n} 个地区")
    return 0


def _cmd_import_households(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from backend.core import db
    from backend.core.errors import AppError
    from backend.transfer import service as transfer_service

    if args.database_url:
        db.set_engine(db.make_engine(database_url(args.database_url)))
    path = Path(args.file)
    if not path.is_file():
        print(f"没有这个文件:{path}", file=sys.stderr)
        return 2
    bar = tqdm(unit="行", desc="检查" if args.dry_run else "导入", disable=args.quiet)
    try:
        with db.new_session() as session:
            account = transfer_service.import_path(
                session=session,
                path=path,
                scope=args.area or "",
                dry_run=args.dry_run,
                progress=bar.update,
            )
    except AppError as exc:
        bar.close()
        print(exc.message, file=sys.stderr)
        return 2
    bar.close()
    for issue in account.issues:
        print(f"第 {issue.row} 行 {issue.reference} {issue.field}:{issue.message}")
    h, m = account.households, account.members
    verb = "将" if args.dry_run else "已"
    print(
        f"{'试导入(未写入)' if args.dry_run else '导入完成'}:{account.rows} 行,用时 {account.seconds:.1f} 秒"
        f"({account.rows / max(account.seconds, 0.001):,.0f} 行/秒)"
    )
    print(f"户:{verb}新建 {h.created},{verb}更新 {h.updated},无变化 {h.unchanged},拒绝 {h.refused}")
    print(f"家庭成员:{verb}新建 {m.created},{verb}更新 {m.updated}")
    return 1 if account.issues else 0


def _cmd_create_user(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from backend.accounts import service as accounts_service
    from backend.accounts.schemas import UserCreate
    from backend.core.db import new_session
    from backend.core.errors import AppError, describe

    password = args.password or getpass.getpass("密码:")
    try:
        data = UserCreate(
            username=args.username,
            full_name=args.full_name or args.username,
            role=args.role,
            area_code=args.area,
            unit=args.unit,
            phone=args.phone,
            password=password,
        )
        with new_session() as session:
            user = accounts_service.create(session=session, data=data, actor=None)
    except ValidationError as exc:
        print(f"输入有误:{describe(exc.errors())[0]}", file=sys.stderr)
        return 2
    except AppError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    print(f"已建立账号 {user.username}({user.role})")
    return 0


def _cmd_seed_demo(args: argparse.Namespace) -> int:
    from backend.core.db import new_session
    from backend.demo.seed import seed_demo
    from backend.households import service as households_service

    settings = get_settings()
    if settings.env == "production":
        print("生产环境不能载入演示数据(SHOUWANG_ENV=production)", file=sys.stderr)
        return 2
    with new_session() as session:
        if args.if_empty and households_service.any_registered(session=session):
            print("数据库已有数据,跳过演示数据")
            return 0
        summary = seed_demo(session=session)
    print(summary)
    return 0


def database_url(url: str | None) -> str:
    """A URL given on the command line, with a bare postgresql:// read as psycopg 3."""
    url = url or get_settings().database_url
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare) :]
    return url


def _cmd_seed_bench(args: argparse.Namespace) -> int:
    from backend.core import db
    from backend.demo import county

    if get_settings().env == "production":
        print("生产环境不能写入基准测试数据(SHOUWANG_ENV=production)", file=sys.stderr)
        return 2
    if args.households < 1:
        print("输入有误:户数(--households)至少为 1", file=sys.stderr)
        return 2
    url = database_url(args.database_url)
    if url.startswith("sqlite") and args.database_url is None:
        get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    migrate(url)
    engine = db.make_engine(url)
    try:
        if county.households_in(engine):
            print("数据库里已有农户:请用一个空数据库(--database-url)", file=sys.stderr)
            return 2
        summary = county.build(
            engine=engine, households=args.households, seed=args.seed, progress=not args.quiet
        )
    finally:
        engine.dispose()
    print("\n".join(summary.lines()))
    return 0


def _cmd_run_checks(args: argparse.Namespace) -> int:
    from backend.checks import service as checks_service
    from backend.checks.catalogue import CHECKS
    from backend.core import db
    from backend.core.errors import AppError

    if args.database_url:
        db.set_engine(db.make_engine(database_url(args.database_url)))
    try:
        with db.new_session() as session:
            run = checks_service.run_now(session=session, area_code=args.area)
    except AppError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    seconds = (run.duration_ms or 0) / 1000
    print(f"排查{'完成' if run.status == 'done' else '失败'}:{args.area},用时 {seconds:.1f} 秒")
    print(f"新发现 {run.opened} 条,自动消除 {run.resolved} 条")
    for code, count in run.counts.items():
        print(f"  {code:22} {CHECKS[code].title if code in CHECKS else ''}:{count}")
    if run.error:
        print(run.error, file=sys.stderr)
    return 0 if run.status == "done" else 1


def _backup_job(job: Callable[..., T], args: argparse.Namespace, **where: Path) -> T | None:
    """`backup.backup` or `backup.restore` on the database and the files directory in use;
    None, its reason printed, when it refuses."""
    from backend import backup

    try:
        return job(
            url=database_url(args.database_url),
            files_dir=get_settings().data_dir / backup.FILES,
            **where,
        )
    except backup.BackupRefused as exc:
        print(exc.message, file=sys.stderr)
        return None


def _cmd_backup(args: argparse.Namespace) -> int:
    from backend import backup

    done = _backup_job(backup.backup, args, dest=Path(args.dest))
    if done is None:
        return 2
    path, manifest = done
    print(f"已备份 {len(manifest.tables)} 张表 {manifest.rows} 行、{manifest.files} 个文件:{path}")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from backend import backup

    manifest = _backup_job(backup.restore, args, src=Path(args.src))
    if manifest is None:
        return 2
    print(
        f"已恢复 {len(manifest.tables)} 张表 {manifest.rows} 行、{manifest.files} 个文件"
        f"(备份于 {manifest.created_at});行数与校验和均已核对"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shouwang", description="守望:防止返贫动态监测和帮扶")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="start the web server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--migrate", action="store_true", help="migrate the database first")
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser(
        "worker", help="run background jobs (texts, nightly work) in a process of its own"
    )
    p.add_argument("--once", action="store_true", help="run the jobs due now, then exit")
    p.set_defaults(func=_cmd_worker)

    p = sub.add_parser("migrate", help="bring the database schema up to date")
    p.set_defaults(func=_cmd_migrate)

    p = sub.add_parser("seed-demo", help="load the demo counties, households and users")
    p.add_argument("--if-empty", action="store_true", help="only when there are no households")
    p.set_defaults(func=_cmd_seed_demo)

    p = sub.add_parser(
        "seed-bench", help="fill an empty database with a county at scale (benchmarks)"
    )
    p.add_argument("--households", type=int, default=100_000)
    p.add_argument("--database-url", help="default: SHOUWANG_DATABASE_URL")
    p.add_argument("--seed", type=int, default=1, help="the same seed gives the same county")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_seed_bench)

    p = sub.add_parser("run-checks", help="run every check over an area (排查) and wait for it")
    p.add_argument("--area", required=True, help="area code, e.g. a county's 6 digits")
    p.add_argument("--database-url", help="default: SHOUWANG_DATABASE_URL")
    p.set_defaults(func=_cmd_run_checks)

    p = sub.add_parser("create-user", help="create an account")
    p.add_argument("username")
    p.add_argument("--role", required=True)
    p.add_argument("--area", help="area code of the account's scope")
    p.add_argument("--full-name")
    p.add_argument("--unit")
    p.add_argument("--phone")
    p.add_argument("--password", help="omit to be asked")
    p.set_defaults(func=_cmd_create_user)

    p = sub.add_parser("backup", help="archive the database and uploaded files (while serving)")
    p.add_argument("dest", help="archive file, or a directory for a dated one")
    p.add_argument("--database-url", help="default: SHOUWANG_DATABASE_URL")
    p.set_defaults(func=_cmd_backup)

    p = sub.add_parser("restore", help="restore an archive into an empty database")
    p.add_argument("src", help="an archive made by `shouwang backup`")
    p.add_argument("--database-url", help="default: SHOUWANG_DATABASE_URL")
    p.set_defaults(func=_cmd_restore)

    p = sub.add_parser(
        "import-households",
        help="import households with their members and history from XLSX or CSV (one row per member)",
    )
    p.add_argument("file", help=".xlsx or .csv with the county's Chinese headers (户编号, 姓名, …)")
    p.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    p.add_argument("--area", help="only villages inside this area code (default: any)")
    p.add_argument("--database-url", help="default: SHOUWANG_DATABASE_URL")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_import_households)

    p = sub.add_parser(
        "rotate-data-key",
        help="re-encrypt every ID number under SHOUWANG_DATA_KEY (old keys: SHOUWANG_OLD_DATA_KEYS)",
    )
    p.set_defaults(func=_cmd_rotate_data_key)

    p = sub.add_parser("import-areas", help="load areas from a CSV (code,name,level,parent_code)")
    p.add_argument("file")
    p.set_defaults(func=_cmd_import_areas)
    return parser


def settings_problem() -> str | None:
    """Why the settings are unfit to run with (production with a missing or default key…),
    in one line; None when they are fine."""
    from pydantic import ValidationError

    try:
        get_settings()
    except ValidationError as exc:
        return ";".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
    return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    problem = settings_problem()
    if problem:
        # Before anything listens or writes: the reason where the operator looks (stderr,
        # the journal), and a non-zero exit so systemd reports the unit failed.
        print(f"配置有误,拒绝启动:{problem}", file=sys.stderr)
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
