"""deploy/ as an operator would stand it up, on spare 127.0.0.1 ports: Debian's nginx with
deploy/nginx.conf and a self-signed certificate, `shouwang serve --workers 2` in production
mode, PgBouncer (deploy/pgbouncer.ini, transaction pooling) and a PostgreSQL cluster of its
own with deploy/postgresql/shouwang.conf and the least-privilege role of role.sql. A smoke
flow goes through nginx: login, a self-report, a household, a visit and its photo, lists,
static caching headers, gzip, the body limit, the redirect to TLS; then a backup as the
app's role restored as the owner. `make nginx` installs nginx and PgBouncer."""

import gzip
import ipaddress
import shutil
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backend import backup
from backend.reports.notify import TEXT_JOB
from tests import factories as f
from tests.clusters import (
    AS_POSTGRES,
    ROOT,
    Cluster,
    app_env,
    as_postgres,
    background,
    prepare,
    server,
    spare_port,
    wait_until_ready,
    workdir,
)
from tests.files.test_router import jpeg_with_exif

pytestmark = pytest.mark.cluster

DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
PASSWORD = "deploy-Test-2026"
COUNTY = "610923"


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    # A certificate is judged against the wall clock by TLS itself, not the app's clock.
    now = datetime.now(UTC)  # noqa: TID251
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def _substitute(text: str, replacements: dict[str, str]) -> str:
    """Each line the test changes must still be in the deploy file as written."""
    for old, new in replacements.items():
        assert old in text, f"deploy file changed: {old!r} not found"
        text = text.replace(old, new)
    return text


def _nginx_site(base: Path, https: int, http: int, app: int) -> Path:
    cert, key = _self_signed(base)
    site = _substitute(
        (DEPLOY / "nginx.conf").read_text(),
        {
            "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
            "listen 80;": f"listen 127.0.0.1:{http};",
            "server 127.0.0.1:8000;": f"server 127.0.0.1:{app};",
            "/etc/ssl/shouwang/fullchain.pem": str(cert),
            "/etc/ssl/shouwang/privkey.pem": str(key),
            "/var/log/nginx/shouwang.log": str(base / "access.log"),
        },
    )
    (base / "site.conf").write_text(site)
    temp = base / "nginx-temp"
    temp.mkdir()
    main = base / "nginx.conf"
    # What Debian's /etc/nginx/nginx.conf provides around a site, with paths of the test's own.
    main.write_text(
        f"""worker_processes 2;
pid {base}/nginx.pid;
error_log {base}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {base}/site.conf;
}}
"""
    )
    return main


def _pgbouncer_ini(base: Path, listen: int, postgres: int) -> Path:
    ini = _substitute(
        (DEPLOY / "pgbouncer.ini").read_text(),
        {
            "host=127.0.0.1 port=5432 dbname=shouwang": f"host=127.0.0.1 port={postgres} "
            "dbname=shouwang",
            "listen_port = 6432": f"listen_port = {listen}",
            # Trust on loopback in a throw-away cluster; the users must still be listed.
            "auth_type = scram-sha-256": "auth_type = trust",
            "auth_file = /etc/pgbouncer/userlist.txt": f"auth_file = {base}/userlist.txt",
        },
    )
    ini += f"unix_socket_dir = {base}\npidfile = {base}/pgbouncer.pid\n"
    (base / "userlist.txt").write_text('"shouwang" ""\n')
    path = base / "pgbouncer.ini"
    path.write_text(ini)
    return path


@dataclass
class Stack:
    base: Path
    db: Cluster
    https: str
    http_port: int
    tls: ssl.SSLContext
    app_log: Path

    def client(self) -> httpx.Client:
        # From 127.0.0.2, another loopback address: nginx's own connections to the app come
        # from 127.0.0.1, so the app can only learn this one from nginx's X-Forwarded-For.
        transport = httpx.HTTPTransport(local_address="127.0.0.2", verify=self.tls)
        return httpx.Client(base_url=self.https, transport=transport, timeout=30)

    def sql(self, statement: str) -> str:
        return self.db.sql(statement, "shouwang")

    def login(self, client: httpx.Client, username: str) -> dict[str, str]:
        answer = client.post(
            "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def as_app_role(self, statement: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
        return subprocess.run(
            [*AS_POSTGRES, str(self.db.bin / "psql"), "-X", "-At",
             "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.db.port),
             "-U", "shouwang", "-d", "shouwang", "-c", statement],
            capture_output=True, text=True, check=False,
        )  # fmt: skip


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    for program in (NGINX, PGBOUNCER):
        if not Path(program).exists():
            pytest.fail(f"{program} is missing: run `make nginx` (Debian's nginx and pgbouncer)")
    with workdir("shouwang-deploy-") as base:
        db = Cluster(base, "db")
        try:
            shutil.copy(DEPLOY / "postgresql" / "shouwang.conf", base / "shouwang.conf")
            shutil.copy(DEPLOY / "postgresql" / "role.sql", base / "role.sql")
            # The production settings, then what a test machine needs instead of 8 GB.
            db.initdb(
                f"include '{base}/shouwang.conf'",
                "shared_buffers = 128MB",
                "effective_cache_size = 512MB",
                "maintenance_work_mem = 64MB",
                f"port = {db.port}",
            ).start()
            db.sql("CREATE DATABASE shouwang")
            as_postgres(
                [str(db.bin / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                 "-p", str(db.port), "-U", "postgres", "-d", "shouwang", "-f",
                 str(base / "role.sql")]
            )  # fmt: skip
            # Migrations as the schema's owner (shouwang-migrate.service), then role.sql again
            # as the Production section says, for the tables that exist now.
            prepare(
                db.url("shouwang", user="shouwang_owner"),
                [("county", "county_officer", COUNTY), ("cadre", "village_cadre", f.LENGSHUIGOU)],
                PASSWORD,
            )
            as_postgres(
                [str(db.bin / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                 "-p", str(db.port), "-U", "postgres", "-d", "shouwang", "-f",
                 str(base / "role.sql")]
            )  # fmt: skip

            bouncer = spare_port()
            app, https, http = spare_port(), spare_port(), spare_port()
            env = app_env(
                env="production",
                secret_key=uuid.uuid4().hex * 2,
                data_key=uuid.uuid4().hex * 2,
                database_url=f"postgresql+psycopg://shouwang@127.0.0.1:{bouncer}/shouwang",
                database_pgbouncer="true",
                data_dir=str(base / "app"),
                forwarded_allow_ips="127.0.0.1",  # nginx
            )
            tls = ssl.create_default_context()
            with (
                server(
                    [*AS_POSTGRES, PGBOUNCER, str(_pgbouncer_ini(base, bouncer, db.port))],
                    env,
                    bouncer,
                    base / "pgbouncer.log",
                ),  # fmt: skip
                background([str(ROOT / ".venv/bin/shouwang"), "worker"], env, base / "worker.log"),
                server(
                    [
                        str(ROOT / ".venv/bin/shouwang"),
                        "serve",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(app),
                        "--workers",
                        "2",
                    ],
                    env,
                    app,
                    base / "serve.log",
                ),  # fmt: skip
            ):
                wait_until_ready(f"http://127.0.0.1:{app}/api/v1/health")
                main = _nginx_site(base, https, http, app)
                tested = subprocess.run(
                    [NGINX, "-t", "-c", str(main), "-e", str(base / "nginx-t.log")],
                    capture_output=True, text=True, check=False,
                )  # fmt: skip
                assert tested.returncode == 0, tested.stderr
                tls.load_verify_locations(cafile=base / "fullchain.pem")
                with server(
                    [NGINX, "-c", str(main), "-e", str(base / "nginx-error.log"),
                     "-g", "daemon off;"],
                    env, https, base / "nginx.out",
                ):  # fmt: skip
                    yield Stack(base, db, f"https://127.0.0.1:{https}", http, tls,
                                base / "serve.log")  # fmt: skip
        finally:
            db.stop()


def test_a_smoke_flow_through_nginx(stack: Stack) -> None:
    with stack.client() as web:
        health = web.get("/api/v1/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert health.headers["strict-transport-security"].startswith("max-age=")
        assert health.headers["server"] == "nginx"  # no version

        county = stack.login(web, "county")
        cadre = stack.login(web, "cadre")

        # A farmer's self-report, without an account.
        report = web.post(
            "/api/v1/self-reports",
            headers={"X-Forwarded-For": "203.0.113.7"},  # a client's lie, not believed
            json={"area_code": f.LENGSHUIGOU, "name": "王秀英", "phone": "13912345678",
                  "risk_types": ["illness"], "note": "老伴住院"},
        )  # fmt: skip
        assert report.status_code == 201, report.text

        # A household under the cadre's care, and the cadre's visit to it.
        me = web.get("/api/v1/auth/me", headers=cadre).json()
        household = web.post(
            "/api/v1/households",
            headers=county,
            json={
                "area_code": f.LENGSHUIGOU,
                "category": "lifted",
                "helper_id": me["id"],
                "members": [f.member("head").model_dump(mode="json")],
            },
        )
        assert household.status_code == 201, household.text
        # The server runs on the wall clock, not the suite's frozen one.
        visited = datetime.now(UTC) - timedelta(minutes=5)  # noqa: TID251
        visit = web.post(
            "/api/v1/visits",
            headers=cadre,
            json={
                "id": str(uuid.uuid4()),
                "household_id": household.json()["id"],
                "kind": "home",
                "visited_at": visited.isoformat(),
                "checklist": {"food": {"ok": True}},
                "ledger": {"wage": 2400},
                "help_given": "帮忙联系卫生院办理慢病卡",
                "notes": "户主在家,谈了务工的打算",
                "family_agrees": True,
                "agreed_by": "户主本人",
            },
        )
        assert visit.status_code == 201, visit.text

        photo = web.post(
            "/api/v1/files",
            headers=cadre,
            files={"file": ("p.jpg", jpeg_with_exif(), "image/jpeg")},
            data={"household_id": household.json()["id"]},
        )
        assert photo.status_code == 201, photo.text

        reports = web.get("/api/v1/self-reports", headers=county)
        assert reports.status_code == 200 and reports.json()["count"] == 1
        visits = web.get("/api/v1/visits", headers=county)
        assert visits.status_code == 200 and visits.json()["count"] == 1
        households = web.get("/api/v1/households", headers=county)
        assert households.status_code == 200 and households.json()["count"] == 1

    # The audit log has the farmer's real address, passed on by nginx; never the header's.
    clients = stack.sql("SELECT DISTINCT split_part(client, ' ', 1) FROM audit_entry")
    assert clients.split() == ["127.0.0.2"]
    # The worker, a process of its own, sent the receipt text (to the log: no gateway here).
    deadline = time.monotonic() + 120
    while stack.sql(f"SELECT status FROM job WHERE kind = '{TEXT_JOB}'") != "done":
        assert time.monotonic() < deadline, stack.sql("SELECT status, kind FROM job")
        time.sleep(0.5)


def test_static_files_cache_and_compress(stack: Stack) -> None:
    with stack.client() as web:
        plain = web.get("/static/css/app.css", headers={"Accept-Encoding": "gzip"})
        assert plain.status_code == 200
        assert plain.headers["content-encoding"] == "gzip"
        assert "no-cache" in plain.headers["cache-control"]
        # Revalidated without a body while unchanged.
        etag = plain.headers["etag"]
        again = web.get("/static/css/app.css", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""

        versioned = web.get("/static/css/app.css?v=3f2a")
        assert versioned.headers["cache-control"] == "max-age=31536000"
        assert "no-cache" in web.get("/sw.js").headers["cache-control"]

        schema = web.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
        assert schema.status_code == 200 and schema.headers["content-encoding"] == "gzip"
        assert schema.json()["info"]["title"]  # httpx decompressed it
        # What travelled was gzip (httpx above decoded it on the way in).
        assert gzip.decompress(_raw_body(stack, "/api/v1/openapi.json")).startswith(b"{")


def _raw_body(stack: Stack, path: str) -> bytes:
    with (
        httpx.Client(base_url=stack.https, verify=stack.tls, timeout=30) as web,
        web.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as answer,
    ):
        return b"".join(answer.iter_raw())


def test_limits_and_redirect(stack: Stack) -> None:
    with stack.client() as web:
        county = stack.login(web, "county")
        big = web.post(
            "/api/v1/files",
            headers=county,
            files={"file": ("scan.pdf", b"%PDF-" + b"0" * (12 * 1024 * 1024), "application/pdf")},
        )
        assert big.status_code == 413
        assert "nginx" in big.text  # stopped in front of the app
        # A household sheet may be larger (the app's own limit); past that, a Chinese 413.
        sheet = web.post(
            "/api/v1/imports/households",
            headers=county,
            files={"file": ("户.csv", b"0" * (12 * 1024 * 1024), "text/csv")},
        )
        assert sheet.status_code == 422  # reached the app: not a sheet with the columns
        huge = web.post(
            "/api/v1/imports/households",
            headers=county,
            files={"file": ("户.csv", b"0" * (102 * 1024 * 1024), "text/csv")},
        )
        assert huge.status_code == 413
        assert huge.json()["message"].startswith("文件超过 100 MB")
    redirect = httpx.get(f"http://127.0.0.1:{stack.http_port}/staff?x=1", timeout=30)
    assert redirect.status_code == 301
    assert redirect.headers["location"].startswith("https://")


def test_two_workers_and_a_role_that_only_changes_rows(stack: Stack) -> None:
    assert stack.app_log.read_text().count("Started server process") == 2
    denied = stack.as_app_role("CREATE TABLE intruder (id int)")
    assert denied.returncode != 0 and "permission denied" in denied.stderr
    assert stack.as_app_role("SELECT count(*) > 0 FROM audit_entry").stdout.strip() == "t"
    erased = stack.as_app_role("DELETE FROM audit_entry")
    assert erased.returncode != 0 and "permission denied" in erased.stderr
    assert stack.as_app_role("SHOW lock_timeout").stdout.strip() == "30s"


def test_backup_as_the_app_role_restores_as_the_owner(stack: Stack) -> None:
    """README Production, step 8: the nightly backup logs in as the least-privilege role
    (its timeouts included); a restore goes into an empty database owned by the owner."""
    archive, manifest = backup.backup(
        url=stack.db.url("shouwang", user="shouwang"),
        files_dir=stack.base / "app" / "files",
        dest=stack.base,
    )
    assert manifest.tables["visit"] == 1 and manifest.files == 1
    stack.db.sql("CREATE DATABASE restored OWNER shouwang_owner")
    restored = backup.restore(
        url=stack.db.url("restored", user="shouwang_owner"),
        files_dir=stack.base / "restored-files",
        src=archive,
    )
    assert restored.tables == manifest.tables
    as_postgres(
        [str(stack.db.bin / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
         "-p", str(stack.db.port), "-U", "postgres", "-d", "restored", "-f",
         str(stack.base / "role.sql")]
    )  # fmt: skip
    seen = subprocess.run(
        [*AS_POSTGRES, str(stack.db.bin / "psql"), "-X", "-At", "-h", "127.0.0.1",
         "-p", str(stack.db.port), "-U", "shouwang", "-d", "restored",
         "-c", "SELECT count(*) FROM visit"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert seen.stdout.strip() == "1"
