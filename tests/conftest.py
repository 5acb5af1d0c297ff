"""Shared fixtures: the real sample files, a throw-away working copy, and running the CLI in-process."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("sortui") is None:  # plain `pytest` from the checkout, package not installed
    sys.path.insert(0, str(REPO))

from sortui import cli as sortui_cli  # noqa: E402
from sortui.store.importer import import_files  # noqa: E402

# CI has shared/ beside the checkout: ../shared/samples from the repository root (or where
# SORTUI_TEST_SAMPLES says: the mutation run's copy of the tests lies one folder deeper).
SAMPLES = Path(os.environ.get("SORTUI_TEST_SAMPLES") or Path(__file__).resolve().parents[2] / "shared" / "samples")
SOR_SAMPLES = ("ONE_SYGEHUS.xml", "ONE_APOTEK.xml", "ONE_PRAKSIS.xml")


@pytest.fixture(autouse=True)
def _user_state_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app remembers where the user left a working copy in the user state folder: a test's own."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    if not (SAMPLES / "sor").is_dir():
        pytest.skip(f"sample files not found at {SAMPLES}")
    return SAMPLES


@pytest.fixture(scope="session")
def sor_samples(samples_dir: Path) -> list[Path]:
    """The three real SOR XML extracts."""
    return [samples_dir / "sor" / name for name in SOR_SAMPLES]


@pytest.fixture
def wc(tmp_path: Path) -> Path:
    """Path of a working copy (not created yet) in a folder of its own."""
    folder = tmp_path / "wc"
    folder.mkdir()
    return folder / "working-copy.sqlite"


@pytest.fixture
def sor_wc(wc: Path, sor_samples: list[Path]) -> Path:
    """A working copy with the three SOR XML samples imported."""
    import_files(wc, sor_samples)
    return wc


@pytest.fixture
def sor_conn(sor_wc: Path) -> Any:
    """An open connection to ``sor_wc`` (closed after the test)."""
    from sortui.store import db

    conn = db.open_working_copy(sor_wc)
    yield conn
    conn.close()


NEW_GLN = "5790000999996"  # a valid lokationsnummer no unit of the samples has


def new_location(gln: str = NEW_GLN, owner: str = "", **changes: str) -> Any:
    """A new lokationsnummer with every attribute a new one needs (``changes`` replace some)."""
    from sortui.domain.model import Location

    values = {
        "system_supplier": "1001000055001",
        "system_type": "221000045007",
        "communication_supplier": "41000035001",
        "region_code": "1085",
        "edi_administrator": "106",
        **changes,
    }
    return Location(gln, owner, **values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def _full_template(tmp_path_factory: pytest.TempPathFactory, sor_samples: list[Path], samples_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("template") / "full.sqlite"
    import_files(path, [*sor_samples, samples_dir / "sor" / "SHAKCOMPLETE.TXT"])
    return path


@pytest.fixture
def full_wc(wc: Path, _full_template: Path) -> Path:
    """A working copy with the three SOR samples and SHAKCOMPLETE.TXT (a copy of a session template)."""
    shutil.copyfile(_full_template, wc)
    return wc


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


RunCli = Callable[..., CliResult]


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], wc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """``run_cli("show", "019062", "--json")`` runs ``sortui --db WC ...`` in-process; ``db=None`` leaves --db out."""
    monkeypatch.setenv("SORTUI_DB", str(wc))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))

    def run(*args: object, db: Path | None = wc) -> CliResult:
        capsys.readouterr()
        argv = [str(a) for a in args]
        if db is not None:
            argv = ["--db", str(db), *argv]
        try:
            code = sortui_cli.main(argv)
        except SystemExit as exc:  # argparse: usage errors and --help
            code = exc.code if isinstance(exc.code, int) else 2
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


# -- the terminal app (tests/test_app*.py) ------------------------------------

APP_VIEW_DATE = "2024-06-01"
WIDE_SI = "900000000000001"  # an SI with 2,500+ units (a wide level)
REGION_OWNER = "900000000000000"


def _gln(body: str) -> str:
    """A GLN (GS1 mod 10 check digit) from 12 digits."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def add_app_test_units(path: Path) -> None:
    """A region with a wide hospital (2,500 units, one closed, two with hostile names) and 300 private owners."""
    from sortui.domain.model import Address, Entity, Location
    from sortui.store import importer
    from sortui.store.db import connect
    from sortui.store.rows import EntityBatch

    batch = EntityBatch()
    gln = _gln("579000099901")
    batch.add(Entity(REGION_OWNER, "IE", "Region Test", entity_type_code="550901000005105", from_date="2007-01-01"))
    batch.add(
        Entity(
            WIDE_SI,
            "SI",
            "Testhospitalet",
            parent_sor_id=REGION_OWNER,
            entity_type_code="22232009",
            shak_code="9901",
            ean_mode="own",
            from_date="2007-01-01",
            addresses=[Address("postal", street="Testvej", building="1", postcode="9999", district_name="Testby")],
            location=Location(
                gln,
                WIDE_SI,
                system_supplier="1",
                system_type="1",
                communication_supplier="1",
                region_code="1084",
                edi_administrator="1",
                from_date="2007-01-01",
            ),
        )
    )
    for n in range(2500):
        batch.add(
            Entity(
                f"9000000001{n:05d}",
                "OE",
                f"Afsnit {n:04d}",
                parent_sor_id=WIDE_SI,
                ean_mode="inherited",
                from_date="2007-01-01",
            )
        )
    batch.add(
        Entity(
            "900000000200001",
            "OE",
            "Afdeling (lukket)",
            parent_sor_id=WIDE_SI,
            ean_mode="inherited",
            from_date="2007-01-01",
            to_date="2020-12-31",
        )
    )
    batch.add(
        Entity(
            "900000000200002", "OE", "[bold]x[/]", parent_sor_id=WIDE_SI, ean_mode="inherited", from_date="2007-01-01"
        )
    )
    batch.add(
        Entity(
            "900000000200003",
            "OE",
            "\x1b[31mEvil red",
            parent_sor_id=WIDE_SI,
            ean_mode="inherited",
            from_date="2007-01-01",
        )
    )
    for n in range(300):
        batch.add(
            Entity(
                f"9000000003{n:05d}", "IE", f"Ejer {n:03d}", entity_type_code="550891000005100", from_date="2010-01-01"
            )
        )
    conn = connect(path)
    with conn:
        batch.flush(conn)
        urns = [r[0] for r in conn.execute("SELECT urn FROM message_definition ORDER BY urn LIMIT 2")]
        conn.executemany(
            "INSERT INTO location_message (gln, message_urn, from_date) VALUES (?, ?, '2007-01-01')",
            [(gln, u) for u in urns],
        )
        importer.rebuild_search(conn)
    conn.close()


@pytest.fixture(scope="session")
def _app_template(tmp_path_factory: pytest.TempPathFactory, _full_template: Path) -> Path:
    path = tmp_path_factory.mktemp("app-template") / "app.sqlite"
    shutil.copyfile(_full_template, path)
    add_app_test_units(path)
    return path


@pytest.fixture
def app_wc(wc: Path, _app_template: Path) -> Path:
    """The samples, SHAKCOMPLETE.TXT and the synthetic units of ``add_app_test_units`` (a fresh copy)."""
    shutil.copyfile(_app_template, wc)
    return wc


# -- the central service: a real `sortui serve` on 127.0.0.1 (tests/test_server*.py, tests/test_sync*.py) ----

SERVICE_USERS = {  # name: (role, subtrees, password)
    "alice": ("admin", [], "alice-secret-pw"),
    "erik": ("editor", ["347811000016004"], "erik-secret-pw"),  # the hospital SI and its units
    "bob": ("editor", ["347811000016004"], "bob-secret-pw"),
    "viv": ("viewer", [], "viv-secret-pw"),
    "edith": ("edi-admin", [], "edith-secret-pw"),
}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    """A `python -m sortui serve` subprocess on a free port, on the database at ``db_url``, and its log."""

    def __init__(self, db_url: str, log: Path, extra: tuple[str, ...] = ()):
        self.db_url, self.log, self.extra = db_url, log, extra
        self.port = free_port()
        self.proc: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Start the process (``wait_ready`` waits for it: several services start side by side)."""
        import os
        import subprocess

        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        cmd = [sys.executable, "-m", "sortui", "serve", "--database", self.db_url, "--port", str(self.port)]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([*cmd, *self.extra], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO)

    def wait_ready(self) -> None:
        import time

        import httpx

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the service exited: {self.log_text()}")
            try:
                if httpx.get(f"{self.url}/api/v1/status", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError(f"the service did not start: {self.log_text()}")

    def stop(self) -> None:
        import subprocess

        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def token(self, name: str) -> str:
        import httpx

        answer = httpx.post(
            f"{self.url}/api/v1/auth/token", json={"name": name, "password": SERVICE_USERS[name][2]}, timeout=10
        )
        answer.raise_for_status()
        return answer.json()["token"]

    def http(self, name: str | None = None) -> Any:
        """An httpx client on /api/v1, signed in as ``name`` when given."""
        import httpx

        headers = {"Authorization": f"Bearer {self.token(name)}"} if name else {}
        return httpx.Client(base_url=f"{self.url}/api/v1", headers=headers, timeout=10)


class ThreadService(Service):
    """The same service in a thread of the test process, still real HTTP on a free port.

    Mutation testing (benchmarks/mutation.py sets ``SORTUI_TEST_SERVICE=thread``) switches a mutant
    on in the process that runs the tests: the service's code must run there to be mutated. The
    log goes to the same file, through the same redacting configuration, as ``serve`` writes it.
    """

    def launch(self) -> None:
        import threading

        import uvicorn

        from sortui.server.db import make_engine
        from sortui.server.run import _app, log_config

        settings: dict[str, Any] = {"database": self.db_url, "token_minutes": None, "body_limit": None}
        options = dict(zip(self.extra[::2], self.extra[1::2], strict=True))
        settings["files_dir"] = options.pop("--files-dir", None)
        if "--token-minutes" in options:
            settings["token_minutes"] = int(options.pop("--token-minutes"))
        if "--max-body-mb" in options:
            settings["body_limit"] = int(options.pop("--max-body-mb")) << 20
        assert not options, f"not in a thread: {options}"
        logging = log_config("info")
        for handler in logging["handlers"].values():
            handler.pop("stream")
            handler.update({"class": "logging.FileHandler", "filename": str(self.log), "encoding": "utf-8"})
        config = uvicorn.Config(
            _app(make_engine(self.db_url), settings),
            host="127.0.0.1",
            port=self.port,
            log_config=logging,
            server_header=False,
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        self.proc = self  # poll() below stands for the process's

    def poll(self) -> int | None:
        return None if self._thread.is_alive() else 0

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(15)


def new_service(db_url: str, log: Path, extra: tuple[str, ...] = ()) -> Service:
    """A service process, or a service thread under mutation testing (``ThreadService``)."""
    import os

    kind = ThreadService if os.environ.get("SORTUI_TEST_SERVICE") == "thread" else Service
    return kind(db_url, log, extra)


def load_service_database(url: str, sor_samples: list[Path]) -> None:
    """Load the three samples into the (empty) service database at ``url`` with `sortui server init`,
    and add SERVICE_USERS with `sortui server add-user`."""
    import io

    assert sortui_cli.main(["server", "init", "--database", url, "--from", *map(str, sor_samples)]) == 0
    with pytest.MonkeyPatch.context() as mp:
        for name, (role, subtrees, password) in SERVICE_USERS.items():
            mp.setattr(sys, "stdin", io.StringIO(password + "\n"))
            sub = ["--subtree", *subtrees] if subtrees else []
            argv = ["server", "add-user", "--database", url, name, "--role", role, *sub, "--password-stdin"]
            assert sortui_cli.main(argv) == 0


@pytest.fixture(scope="session")
def _service_template(tmp_path_factory: pytest.TempPathFactory, sor_samples: list[Path]) -> Path:
    """An SQLite service database loaded with the samples and SERVICE_USERS (``load_service_database``)."""
    path = tmp_path_factory.mktemp("service-template") / "service.sqlite"
    load_service_database(f"sqlite:///{path}", sor_samples)
    return path


# -- PostgreSQL: a throw-away cluster per test session (per xdist worker), a database per test ----------

DATABASES = ("sqlite", "postgresql")
# For tests where the database matters: ``@ON_BOTH_DATABASES`` (or ``pytestmark = ON_BOTH_DATABASES``).
ON_BOTH_DATABASES = pytest.mark.parametrize("db_kind", DATABASES, indirect=True)
ON_POSTGRES = pytest.mark.parametrize("db_kind", ["postgresql"], indirect=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Any:
    """A PostgreSQL server of our own on 127.0.0.1 (see tests/pgcluster.py), removed after the session.

    Without PostgreSQL the tests that need it skip with the reason; under CI=true they fail instead.
    """
    import os

    from pgcluster import Cluster, missing_reason

    reason = missing_reason()
    if reason:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI runs the PostgreSQL tests, but {reason} (.ci/run installs it)")
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def _pg_template(pg_cluster: Any, sor_samples: list[Path]) -> str:
    """A database loaded like the SQLite template; each test gets a copy (CREATE DATABASE ... TEMPLATE)."""
    load_service_database(pg_cluster.create_database("sortui_template"), sor_samples)
    return "sortui_template"


@pytest.fixture
def db_kind(request: pytest.FixtureRequest) -> str:
    """The service's database: "sqlite" unless a test is parametrized (``ON_BOTH_DATABASES``)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def service_db(db_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """The URL of a fresh service database, loaded with the samples and SERVICE_USERS."""
    import uuid

    if db_kind == "sqlite":
        folder = tmp_path / "service"
        folder.mkdir(exist_ok=True)
        shutil.copyfile(request.getfixturevalue("_service_template"), folder / "service.sqlite")
        yield f"sqlite:///{folder / 'service.sqlite'}"
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = cluster.create_database(name, request.getfixturevalue("_pg_template"))
    yield url
    cluster.drop_database(name)


@pytest.fixture
def service(tmp_path: Path, service_db: str) -> Any:
    """A running service on a fresh database (SQLite, or PostgreSQL for ``ON_BOTH_DATABASES``); stopped after."""
    folder = tmp_path / "service"
    folder.mkdir(exist_ok=True)
    svc = new_service(service_db, folder / "service.log")
    svc.start()
    yield svc
    svc.stop()


@pytest.fixture
def plain_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real keyring backend for tests: keyrings.alt's plaintext file under XDG_DATA_HOME in tmp_path."""
    import keyring.core

    data = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.delenv("SORTUI_TOKEN", raising=False)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    return data


@pytest.fixture
def no_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No keyring at all (keyring's fail backend), as on a bare jump host."""
    import keyring.core

    data = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("SORTUI_TOKEN", raising=False)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    return data


# -- the SHAK navigator (tests/test_app_shak*.py) ------------------------------------------------

SHAK_VIEW_DATE = "2010-01-26"  # the day of the SOR samples


@pytest.fixture(scope="session")
def _shak_only_template(tmp_path_factory: pytest.TempPathFactory, samples_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("shak-only") / "shak.sqlite"
    import_files(path, [samples_dir / "sor" / "SHAKCOMPLETE.TXT"])
    return path


@pytest.fixture
def shak_only_wc(wc: Path, _shak_only_template: Path) -> Path:
    """A working copy with SHAKCOMPLETE.TXT only (no SOR units)."""
    shutil.copyfile(_shak_only_template, wc)
    return wc


@pytest.fixture
def shak_region_wc(full_wc: Path, tmp_path: Path) -> Path:
    """``full_wc`` and a SHAKregion.txt for Roskilde Øjenklinik (2529) and Rigshospitalet (1301)."""
    from sortui.domain.model import ShakHospital
    from sortui.formats.shak import write_shak_region

    region = tmp_path / "SHAKregion.txt"
    rows = [
        ShakHospital("1301", "Rigshospitalet", "1976-04-01", None, "1", "101", "1084", None),
        ShakHospital("2529", "Roskilde Øjenklinik", "2009-08-01", None, "2", "161", "1085", "347811000016004"),
    ]
    write_shak_region(rows, region)
    import_files(full_wc, [region])
    return full_wc


# -- working copies signed in to the service (tests/test_sync*.py, tests/test_app_sync*.py) ----------

SYNC_AFSNIT = "347831000016005"  # an OE under the hospital SI 347811000016004 (erik's and bob's subtree)


class Desk:
    """Working copies in tmp_path, signed in to the service through the CLI."""

    def __init__(self, tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, service: Service):
        self.tmp, self.run, self.mp, self.service = tmp_path, run_cli, monkeypatch, service

    def wc(self, name: str) -> Path:
        return self.tmp / f"{name}.sqlite"

    def cli(self, name: str, *args: object, stdin: str = "") -> Any:
        import io

        self.mp.setattr(sys, "stdin", io.StringIO(stdin))
        return self.run(*args, db=self.wc(name))

    def login(self, name: str, user: str) -> Any:
        result = self.cli(
            name,
            "login",
            self.service.url,
            "--create",
            "--user",
            user,
            "--password-stdin",
            stdin=SERVICE_USERS[user][2],
        )
        assert result.code == 0, result.err
        return result

    def sync(self, name: str, *args: str, expect: int = 0) -> Any:
        result = self.cli(name, "sync", *args)
        assert result.code == expect, result.err
        return result

    def sql(self, name: str, query: str, *params: object) -> list[tuple]:
        import sqlite3
        from contextlib import closing

        with closing(sqlite3.connect(self.wc(name))) as conn:
            return conn.execute(query, params).fetchall()

    def name_of(self, name: str, sor_id: str = SYNC_AFSNIT) -> str:
        return self.sql(name, "SELECT name FROM entity WHERE sor_id = ?", sor_id)[0][0]

    def journal(self, name: str) -> list[tuple]:
        return self.sql(name, "SELECT status, field FROM journal ORDER BY id")

    def server(self, path: str) -> Any:
        with self.service.http("alice") as http:
            return http.get(path).json()


@pytest.fixture
def desk(
    tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, plain_keyring: Path, service: Service
) -> Desk:
    """Working copies signed in through the CLI to a fresh service, with a plain-file keyring."""
    return Desk(tmp_path, run_cli, monkeypatch, service)
