"""Run the test command twice: on SQLite, then on a real PostgreSQL 15 and Redis started here on loopback.

Usage: python -m tests.services <command…>   (e.g. `python -m tests.services .venv/bin/python -m pytest -q`)

The second pass appends `-m "not browser"` (browser tests run in the SQLite pass only) and sets DATABASE_URL,
TEST_CELERY_BROKER_URL and TEST_SERVICES=1. Both servers live in a temporary directory and are stopped at the end,
also on Ctrl-C. Without the binaries the second pass is skipped with a warning, or fails when REQUIRE_SERVICES=1.
The exit code is non-zero when any pass failed (pytest's 5, "no tests collected", counts as a failure).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PG_VERSION = "15"
DB_NAME = "dangjian"
SETTINGS = "config.settings.test"


class ServiceError(RuntimeError):
    """A service could not be found or started; the message says why, in Chinese."""


def banner(text: str) -> None:
    line = "=" * 78
    print(f"\n{line}\n  {text}\n{line}", flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


# --------------------------------------------------------------------------------------------------------------------
# Finding the binaries


def find_pg_bindir() -> Path | None:
    """PostgreSQL's bin directory: Debian's versioned directory first, then pg_config, then PATH."""
    candidates = [Path(f"/usr/lib/postgresql/{PG_VERSION}/bin")]
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True)
            candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def missing_services() -> list[str]:
    missing = []
    if find_pg_bindir() is None:
        missing.append(f"找不到 PostgreSQL（initdb/pg_ctl，应在 /usr/lib/postgresql/{PG_VERSION}/bin）")
    if shutil.which("redis-server") is None:
        missing.append("找不到 redis-server（Debian/Ubuntu：apt-get install redis-server）")
    return missing


# --------------------------------------------------------------------------------------------------------------------
# PostgreSQL


@dataclass
class Postgres:
    bindir: Path
    root: Path
    port: int
    as_user: str | None  # run the binaries as this user (PostgreSQL refuses to run as root)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DB_NAME}"

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        return ["runuser", "-u", self.as_user, "--", *cmd] if self.as_user else cmd

    def _run(self, *args: str, timeout: float = 120) -> None:
        proc = subprocess.run(self._cmd(*args), capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise ServiceError(f"{args[0]} 失败（退出码 {proc.returncode}）：\n{proc.stdout}{proc.stderr}{tail}")

    def start(self) -> None:
        # A Chinese ICU collation, as a county's database would have: it is where collation-dependent range
        # queries go wrong (a sentinel like "~" is ignored), so the suite must run on it rather than on "C".
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "-N",
            "--locale=C.UTF-8",
            "--locale-provider=icu",
            "--icu-locale=zh-Hans-CN",
        )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                self._cmd("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"),
                capture_output=True,
                timeout=60,
            )


def start_postgres(stack) -> Postgres:
    bindir = find_pg_bindir()
    if bindir is None:
        raise ServiceError("找不到 PostgreSQL")
    root = Path(tempfile.mkdtemp(prefix="dangjian-pg-"))
    stack.append(lambda: shutil.rmtree(root, ignore_errors=True))
    as_user = None
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            raise ServiceError("以 root 运行时需要系统用户 postgres 来启动 PostgreSQL，但该用户不存在") from None
        os.chown(root, pw.pw_uid, pw.pw_gid)
        os.chmod(root, 0o700)
        as_user = "postgres"
    pg = Postgres(bindir=bindir, root=root, port=free_port(), as_user=as_user)
    stack.append(pg.stop)
    pg.start()
    return pg


# --------------------------------------------------------------------------------------------------------------------
# Redis


def start_redis(stack) -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceError("找不到 redis-server")
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="dangjian-redis-", suffix=".log", delete=False)
    stack.append(lambda: os.unlink(log.name))
    stack.append(log.close)
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C reaches us, not Redis: we stop it ourselves, in order
    )

    def stop():
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    stack.append(stop)
    if not _wait_for_port(port, timeout=20, proc=proc):
        log.flush()
        raise ServiceError("redis-server 未能启动：\n" + Path(log.name).read_text(errors="replace")[-2000:])
    return f"redis://127.0.0.1:{port}/0"


# --------------------------------------------------------------------------------------------------------------------
# The passes


@contextmanager
def cleanup_stack():
    """Callbacks run in reverse order at the end, whatever happened (SIGTERM is turned into an exception)."""
    stack: list = []
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        yield stack
    finally:
        # A second Ctrl-C during cleanup must not leave a server behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        while stack:
            fn = stack.pop()
            try:
                fn()
            except Exception as exc:
                print(f"清理时出错（已忽略）：{exc}", file=sys.stderr)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, previous)


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "TEST_CELERY_BROKER_URL", "TEST_SERVICES", "CELERY_BROKER_URL"):
        env.pop(name, None)
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS
    return env


def run_pass(title: str, cmd: list[str], env: dict[str, str]) -> tuple[int, float]:
    banner(title)
    print("$ " + " ".join(cmd), flush=True)
    started = time.monotonic()
    rc = subprocess.call(cmd, env=env)
    elapsed = time.monotonic() - started
    verdict = "通过" if rc == 0 else f"失败（退出码 {rc}{'：没有收集到任何测试' if rc == 5 else ''}）"
    print(f"\n[{title}] {verdict}，用时 {elapsed:.1f} 秒", flush=True)
    return rc, elapsed


def main(argv: list[str]) -> int:
    cmd = argv[1:]
    if not cmd:
        print(__doc__, file=sys.stderr)
        return 2
    require = os.environ.get("REQUIRE_SERVICES") == "1"
    missing = missing_services()
    if missing and require:
        banner("错误：REQUIRE_SERVICES=1，但 PostgreSQL/Redis 不可用")
        for m in missing:
            print("  - " + m, flush=True)
        return 3

    results: list[tuple[str, int, float]] = []
    try:
        rc, secs = run_pass("第 1 轮：SQLite（含浏览器测试）", cmd, base_env())
        results.append(("SQLite", rc, secs))

        if missing:
            banner("跳过 PostgreSQL/Redis 测试：" + "；".join(missing))
        else:
            with cleanup_stack() as stack:
                banner("启动 PostgreSQL 与 Redis（临时目录，仅监听 127.0.0.1）")
                started = time.monotonic()
                try:
                    pg = start_postgres(stack)
                    redis_url = start_redis(stack)
                except (ServiceError, OSError, subprocess.SubprocessError) as exc:
                    print(f"无法启动 PostgreSQL/Redis：{exc}", flush=True)
                    if require:
                        results.append(("PostgreSQL + Redis（启动失败）", 3, time.monotonic() - started))
                        raise SystemExit(3) from None
                    banner("跳过 PostgreSQL/Redis 测试：无法启动（见上）")
                else:
                    print(f"PostgreSQL: {pg.url}  Redis: {redis_url}  （启动用时 {time.monotonic() - started:.1f} 秒）")
                    env = base_env()
                    env.update(DATABASE_URL=pg.url, TEST_CELERY_BROKER_URL=redis_url, TEST_SERVICES="1")
                    rc, secs = run_pass(
                        "第 2 轮：PostgreSQL + Redis（不含浏览器测试）", [*cmd, "-m", "not browser"], env
                    )
                    results.append(("PostgreSQL + Redis", rc, secs))
                banner("停止 PostgreSQL 与 Redis")
    except KeyboardInterrupt:
        print("\n已中断；PostgreSQL 与 Redis 已停止。", file=sys.stderr)
        return 130
    except SystemExit as exc:
        _summary(results)
        return int(exc.code or 1)

    _summary(results)
    return 0 if results and all(rc == 0 for _, rc, _ in results) else 1


def _summary(results) -> None:
    banner("汇总")
    for name, rc, secs in results:
        print(f"  {name:<24} {'通过' if rc == 0 else f'失败（退出码 {rc}）'}  {secs:6.1f} 秒")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
