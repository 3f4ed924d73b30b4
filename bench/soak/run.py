"""Soak: `make run`'s four processes under light, realistic traffic for --minutes, watched for
leaks. The promise: hours of use without connection leaks or runaway processes.

Own database (carewatch_soak_bench: created, migrated with `migrate_all`, seeded with
`seed_demo`; dropped at the end unless --keep) and its own Redis (a private redis-server on a
free port). Starts the Procfile's processes (gunicorn web on a free port, the `default` and `ml`
workers, beat), each in its own process group, drives traffic (API ingest, API reads, the staff
pages behind two-factor, the client portal, /health/) and samples every --interval seconds:

- PostgreSQL connections to the bench database (pg_stat_activity), by process (each process
  gets its own application_name through libpq's PGAPPNAME; backends are also matched to the
  owning pid through their client port and /proc/<pid>/fd), by state, idle in transaction;
- live processes, RSS (VmRSS), threads and open fds of each process group;
- Redis connected_clients, used_memory and queue depths;
- request latency p50 / p95, errors and 5xx per interval; reviews ingested vs scored; errors
  in the processes' logs.

At the end: a table (first / last / max / trend per hour) with a verdict per metric, and
bench/soak/results.json (every sample, the summary, the verdicts). No process outlives the run,
on Ctrl-C or an exception too (each group gets SIGTERM, then SIGKILL; the run's marker is
searched for in every process's environment afterwards).

    nice -n 10 .venv/bin/python bench/soak/run.py [--minutes 30] [--rate 3] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import random
import re
import shlex
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import redis
import requests

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from bench import benchdb  # noqa: E402
from demo.reviews import demo_reviews  # noqa: E402 - pure Python phrase banks, no Django

DB = "carewatch_soak_bench"
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PASSWORD = "carewatch-demo"  # noqa: S105 - seed_demo's printed demo password
STAFF_EMAIL = "max.manager@brightside.example"
CLIENT_EMAIL = "approver@riverside-dental.example"
CLINIC = "riverside-dental"
SURGE_CLINIC = "lakeview-peds"  # seed_demo gives it a surge of mentions: an incident
APP_PREFIX = "soak-"
SAMPLER_APP = "soak-sampler"
PATTERNS = {
    "traceback": re.compile(r"Traceback \(most recent call last\)"),
    "error": re.compile(r"\bERROR\b"),
    "critical": re.compile(r"\bCRITICAL\b"),
    "worker_timeout": re.compile(r"WORKER TIMEOUT"),
    "worker_boot": re.compile(r"Booting worker"),
    "task_raised": re.compile(r"\braised\b"),
    "task_succeeded": re.compile(r"\bsucceeded in\b"),
    "beat_sent": re.compile(r"Sending due task"),
    "worker_lost": re.compile(r"WorkerLostError|Process '.*' pid:\d+ exited"),
    "soft_time_limit": re.compile(r"SoftTimeLimitExceeded|TimeLimitExceeded"),
}
EVIDENCE = ("traceback", "error", "critical", "worker_timeout", "worker_lost", "soft_time_limit")

# reviews of CLINIC, and those without any score yet (the ml worker's backlog)
UNSCORED_SQL = """
SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (
    SELECT 1 FROM clinic_riverside_dental.scoring_reviewscore s WHERE s.review_id = r.id))
FROM clinic_riverside_dental.feeds_review r
"""

SETUP = r"""
import json
from django_otp.plugins.otp_totp.models import TOTPDevice
from accounts.credentials import api_key_create
from accounts.models import User
from clinics.models import Clinic
manager = User.objects.get(email="%(staff)s")
clinic = Clinic.objects.get(slug="%(clinic)s")
surge = Clinic.objects.get(slug="%(surge)s")
_, rw = api_key_create(agency=clinic.agency, clinic=clinic, name="soak ingest",
                       scopes=["read", "write"], created_by=manager)
_, ro = api_key_create(agency=surge.agency, clinic=surge, name="soak read",
                       scopes=["read"], created_by=manager)
TOTPDevice.objects.filter(user=manager).delete()
device = TOTPDevice.objects.create(user=manager, name="soak authenticator", confirmed=True)
print(json.dumps({"key_rw": rw.secret, "key_ro": ro.secret, "totp_key": device.key,
                  "totp_step": device.step, "totp_digits": device.digits}))
"""


# --- infrastructure --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Group:
    """One process started in its own session (so its own process group): everything it forks
    stays in the group and is ended with it."""

    def __init__(self, name: str, argv: list[str], env: dict, log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> Group:
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        out.close()
        return self

    @property
    def pgid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pgid, sig)


def stop_groups(groups: list[Group], *, grace: float = 25.0) -> dict:
    """SIGTERM every group, wait for all their processes to leave, SIGKILL what remains."""
    started = time.monotonic()
    for group in groups:
        group.signal(signal.SIGTERM)
    pgids = {g.pgid for g in groups if g.proc is not None}
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        for group in groups:
            if group.proc is not None:
                group.proc.poll()  # reap the leader
        if not any(p["pgrp"] in pgids for p in proc_table().values()):
            break
        time.sleep(0.2)
    killed = sorted(
        {p["pgrp"] for p in proc_table().values() if p["pgrp"] in pgids and p["state"] != "Z"}
    )
    for group in groups:
        if group.pgid in killed:
            group.signal(signal.SIGKILL)
    for group in groups:
        if group.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                group.proc.wait(10)
    return {
        "stop_s": round(time.monotonic() - started, 1),
        "needed_sigkill": [g.name for g in groups if g.pgid in killed],
    }


def proc_table() -> dict[int, dict]:
    """Every process: pid -> state, ppid, pgrp (from /proc/<pid>/stat)."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rfind(")") + 2 :].split()
        table[int(entry)] = {"state": fields[0], "ppid": int(fields[1]), "pgrp": int(fields[2])}
    return table


def proc_status(pid: int) -> dict:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "Threads"):
                out[key] = int(value.split()[0])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(("Pss:", "Private_Dirty:")):
                out[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return out


def proc_fds(pid: int) -> tuple[int, set[int]]:
    """Open descriptors of `pid`, and the inodes of its sockets."""
    inodes, count = set(), 0
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return 0, inodes
    for name in names:
        count += 1
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return count, inodes


def tcp_ports_to_inode(remote_port: int) -> dict[int, int]:
    """Local port -> socket inode of every TCP connection to `remote_port` (IPv4 and IPv6)."""
    out = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, remote, inode = parts[1], parts[2], int(parts[9])
            if int(remote.rsplit(":", 1)[1], 16) == remote_port and inode:
                out[int(local.rsplit(":", 1)[1], 16)] = inode
    return out


def procs_with_marker(marker: str) -> list[int]:
    """Processes whose environment carries this run's marker: what must be gone at the end."""
    needle = f"CW_SOAK_RUN={marker}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                if needle in Path(f"/proc/{entry}/environ").read_bytes():
                    found.append(int(entry))
            except OSError:
                continue
    return found


def reset_db() -> None:
    benchdb.reset_db(BASE, DB)


def drop_db() -> None:
    benchdb.drop_db(BASE, DB)


def manage(env: dict, *args: str, log: Path) -> str:
    out = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    with log.open("a") as f:
        f.write(f"$ manage.py {' '.join(args[:1])}\n{out.stdout}{out.stderr}\n")
    if out.returncode:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{out.stderr[-3000:]}")
    return out.stdout


def procfile() -> dict[str, str]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            entries[name.strip()] = command.strip()
    return entries


def connection_bound(entries: dict[str, str], env: dict) -> dict:
    """What docs/operations.md says a deployment uses: web processes x threads + worker
    processes (their --concurrency) + beat."""
    web = entries["web"]
    workers = int(
        re.search(r"WEB_CONCURRENCY=\$\{WEB_CONCURRENCY:-(\d+)\}", web).group(1)
        if "WEB_CONCURRENCY" not in env
        else env["WEB_CONCURRENCY"]
    )
    threads = int(env.get("GUNICORN_THREADS", "1"))
    pools = {
        name: int(re.search(r"--concurrency[ =](\d+)", cmd).group(1))
        for name, cmd in entries.items()
        if " worker " in f" {cmd} " and "--concurrency" in cmd
    }
    beats = sum(1 for cmd in entries.values() if " beat " in f" {cmd} ")
    return {
        "web_processes": workers,
        "web_threads": threads,
        "worker_pool_processes": pools,
        "beat": beats,
        "bound": workers * threads + sum(pools.values()) + beats,
        "processes": {
            "web": 1 + workers,
            **{name: 1 + n for name, n in pools.items()},
            **{name: 1 for name, cmd in entries.items() if " beat " in f" {cmd} "},
        },
    }


def totp(key_hex: str, *, step: int = 30, digits: int = 6, at: float | None = None) -> tuple:
    """RFC 6238 (what django_otp.oath.TOTP computes): the code and its time step."""
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{code:0{digits}d}", counter


# --- traffic ---------------------------------------------------------------------------------


class Traffic:
    """Poisson arrivals at `rate` per second, a weighted mix of what staff, clients and an
    integrator do, on a few client threads. Every request's latency and status is recorded."""

    MIX = (
        ("ingest", 0.15),
        ("api_reviews", 0.15),
        ("api_review_detail", 0.05),
        ("api_incidents", 0.10),
        ("staff_page", 0.25),
        ("portal_page", 0.15),
        ("health", 0.15),
    )
    STAFF_PAGES = (
        "/agency/",
        f"/clinics/{CLINIC}/",
        f"/clinics/{CLINIC}/inbox/",
        f"/clinics/{CLINIC}/incidents/",
        f"/clinics/{SURGE_CLINIC}/incidents/",
        f"/clinics/{SURGE_CLINIC}/inbox/",
    )
    PORTAL_PAGES = (
        f"/clinics/{CLINIC}/portal/",
        f"/clinics/{CLINIC}/portal/approvals/",
        f"/clinics/{CLINIC}/portal/incidents/",
        f"/clinics/{CLINIC}/portal/statements/",
    )

    def __init__(self, base: str, creds: dict, rate: float, threads: int, seed: int) -> None:
        self.base, self.creds, self.rate = base, creds, rate
        self.rng = random.Random(seed)
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="soak-client")
        self.local = threading.local()
        self.lock = threading.Lock()
        self.records: list[tuple] = []  # (kind, path, status, ms, error)
        self.stop_event = threading.Event()
        self.review_ids: list[int] = []
        self.ingested = 0
        self.external = 0
        self.cookies: dict[str, dict] = {}
        self.totp_step_used = -1
        self.logins = 0
        self.in_flight = 0
        self.thread = threading.Thread(target=self._run, daemon=True, name="soak-scheduler")
        self.reviews_pool = demo_reviews(
            seed=seed, specialty="dental", count=400, now=datetime.now(UTC)
        )

    # sessions
    def _session(self, role: str) -> requests.Session:
        """This client thread's session for `role`. Signed-in roles carry no cookie jar of
        their own: each request sends the role's cookies from its sign-in (below)."""
        sessions = getattr(self.local, "sessions", None)
        if sessions is None:
            sessions = self.local.sessions = {}
        if role not in sessions:
            session = requests.Session()
            if role == "api_rw":
                session.headers["Authorization"] = f"Bearer {self.creds['key_rw']}"
            elif role == "api_ro":
                session.headers["Authorization"] = f"Bearer {self.creds['key_ro']}"
            sessions[role] = session
        return sessions[role]

    def login(self, role: str) -> None:
        """Sign in through the pages, as a browser would: password, then (agency staff) the
        current code of the authenticator app whose key setup stored on the person's device."""
        with self.lock:
            self.logins += 1
        session = requests.Session()
        email = STAFF_EMAIL if role == "staff" else CLIENT_EMAIL
        landing = "/agency/" if role == "staff" else f"/clinics/{CLINIC}/portal/"
        session.get(f"{self.base}/login/", timeout=30).raise_for_status()
        answer = session.post(
            f"{self.base}/login/",
            data={"username": email, "password": PASSWORD, "next": landing,
                  "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            allow_redirects=False, timeout=30,
        )  # fmt: skip
        if answer.status_code != 302:
            raise RuntimeError(f"{role} sign-in: {answer.status_code} {answer.text[:300]}")
        if "/two-factor/verify/" in answer.headers["Location"]:
            while True:  # django-otp accepts each step's code once
                code, counter = totp(self.creds["totp_key"], step=self.creds["totp_step"])
                if counter > self.totp_step_used:
                    break
                time.sleep(1)
            self.totp_step_used = counter
            verify = session.post(
                f"{self.base}{answer.headers['Location']}",
                data={"otp_token": code, "next": landing,
                      "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                allow_redirects=False, timeout=30,
            )  # fmt: skip
            if verify.status_code != 302:
                raise RuntimeError(f"{role} TOTP step: {verify.status_code} {verify.text[:300]}")
        check = session.get(f"{self.base}{landing}", allow_redirects=False, timeout=30)
        if check.status_code != 200:
            raise RuntimeError(f"{role} landing {landing}: {check.status_code}")
        self.cookies[role] = session.cookies.get_dict()

    # requests
    def _ingest_body(self) -> tuple[dict, str]:
        rng = self.rng
        items = []
        now = datetime.now(UTC)
        if self.external and rng.random() < 0.1:  # an engagement update of an earlier post
            n = rng.randrange(self.external)
            items.append({"source": "facebook", "external_id": f"soak-{n}", "kind": "mention",
                          "published_at": (now - timedelta(hours=1)).isoformat(),
                          "likes": rng.randint(0, 50), "shares": rng.randint(0, 10)})  # fmt: skip
        else:
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                row = rng.choice(self.reviews_pool)
                with self.lock:
                    n, self.external = self.external, self.external + 1
                source = rng.choice(("google", "google", "yelp", "facebook"))
                item = {
                    "source": source,
                    "external_id": f"soak-{n}",
                    "author_name": row["author_name"],
                    "text": row["text"],
                    "published_at": (now - timedelta(minutes=rng.randint(0, 30))).isoformat(),
                    "likes": row["likes"],
                }
                if source == "facebook":
                    item.update(kind="mention", external_id=f"soak-{n}")
                else:
                    item["rating"] = row["rating"]
                items.append(item)
        return {"items": items}, str(uuid.uuid4())

    def _one(self, kind: str) -> None:
        rng, base = self.rng, self.base
        method, body, headers, role = "GET", None, {}, "anon"
        if kind == "ingest":
            role, method = "api_rw", "POST"
            body, key = self._ingest_body()
            headers["Idempotency-Key"] = key
            path = f"/clinics/{CLINIC}/api/v1/reviews/ingest/"
        elif kind == "api_reviews":
            role = "api_rw"
            path = f"/clinics/{CLINIC}/api/v1/reviews/?page_size=20" + rng.choice(
                ("", "", "&sentiment=negative", "&rating=1", "&status=needs_reply", "&q=wait")
            )
        elif kind == "api_review_detail":
            role = "api_rw"
            ids = self.review_ids
            path = f"/clinics/{CLINIC}/api/v1/reviews/{rng.choice(ids) if ids else 1}/"
        elif kind == "api_incidents":
            if rng.random() < 0.5:
                role, path = "api_rw", f"/clinics/{CLINIC}/api/v1/incidents/"
            else:
                role, path = "api_ro", f"/clinics/{SURGE_CLINIC}/api/v1/incidents/"
        elif kind == "staff_page":
            role = "staff"
            path = rng.choice(self.STAFF_PAGES)
            if self.review_ids and rng.random() < 0.2:
                path = f"/clinics/{CLINIC}/inbox/{rng.choice(self.review_ids)}/"
        elif kind == "portal_page":
            role, path = "client", rng.choice(self.PORTAL_PAGES)
        else:
            path = "/health/"
        started = time.perf_counter()
        status, error = 0, ""
        try:
            session = self._session(role)
            answer = session.request(
                method, base + path, json=body, headers=headers, allow_redirects=False,
                timeout=60, cookies=dict(self.cookies.get(role, {})),
            )  # fmt: skip
            session.cookies.clear()  # what the server set (the same session) is not kept
            status = answer.status_code
            if kind == "ingest" and status == 200:
                created = [r["id"] for r in answer.json()["results"] if r.get("id")]
                with self.lock:
                    self.ingested += sum(
                        1 for r in answer.json()["results"] if r["status"] == "created"
                    )
                    self.review_ids = (self.review_ids + created)[-500:]
            if status >= 300:
                error = f"{status} {answer.headers.get('Location', '')} {answer.text[:200]}"
            if status == 302 and "/login/" in answer.headers.get("Location", ""):
                self.login(role)  # the session ended: sign in again (counted as an error)
        except Exception as exc:  # noqa: BLE001 - recorded as this request's error
            error = f"{type(exc).__name__}: {exc}"[:300]
        ms = (time.perf_counter() - started) * 1000
        with self.lock:
            self.records.append((kind, path.split("?")[0], status, ms, error))
            self.in_flight -= 1

    def _run(self) -> None:
        kinds, weights = zip(*self.MIX, strict=True)
        next_at = time.monotonic()
        while not self.stop_event.is_set():
            next_at += self.rng.expovariate(self.rate)
            delay = next_at - time.monotonic()
            if delay > 0 and self.stop_event.wait(delay):
                break
            with self.lock:
                self.in_flight += 1
            self.pool.submit(self._one, self.rng.choices(kinds, weights)[0])

    def start(self) -> Traffic:
        self.login("staff")
        self.login("client")
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(5)
        self.pool.shutdown(wait=True, cancel_futures=True)

    def take(self) -> list[tuple]:
        with self.lock:
            out, self.records = self.records, []
        return out


# --- sampling --------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


class PeakConnections:
    """The most connections to the bench database in each interval, by application_name,
    polled every second (a 30 s sample misses a worker's short-lived connection)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.total, self.by_app = 0, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="soak-peaks")

    def _run(self) -> None:
        with psycopg.connect(
            f"{BASE}/postgres", autocommit=True, application_name=SAMPLER_APP
        ) as conn:
            while not self._stop.wait(1.0):
                rows = conn.execute(
                    "SELECT application_name, count(*) FROM pg_stat_activity "
                    "WHERE datname = %s AND application_name <> %s GROUP BY 1",
                    [DB, SAMPLER_APP],
                ).fetchall()
                with self.lock:
                    self.total = max(self.total, sum(n for _, n in rows))
                    for app, n in rows:
                        self.by_app[app] = max(self.by_app.get(app, 0), n)

    def start(self) -> PeakConnections:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def take(self) -> dict:
        with self.lock:
            out = {"total": self.total, "by_app": dict(self.by_app)}
            self.total, self.by_app = 0, {}
        return out


class Sampler:
    def __init__(self, groups: list[Group], redis_port: int, logs: dict[str, Path]) -> None:
        self.groups = groups
        self.redis = redis.Redis(port=redis_port, socket_timeout=5)
        self.redis_port = redis_port
        self.pg = psycopg.connect(f"{BASE}/{DB}", autocommit=True, application_name=SAMPLER_APP)
        self.logs = logs
        self.offsets = dict.fromkeys(logs, 0)
        self.evidence: dict[str, list[str]] = {}
        self.log_totals: dict[str, dict[str, int]] = {name: {} for name in logs}

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.pg.close()
        with contextlib.suppress(Exception):
            self.redis.close()

    def _scan_logs(self) -> dict:
        counts = {}
        for name, path in self.logs.items():
            try:
                with path.open("rb") as f:
                    f.seek(self.offsets[name])
                    chunk = f.read()
                    self.offsets[name] = f.tell()
            except OSError:
                continue
            found = dict.fromkeys(PATTERNS, 0)
            for line in chunk.decode(errors="replace").splitlines():
                for key, pattern in PATTERNS.items():
                    if pattern.search(line):
                        found[key] += 1
                        if key in EVIDENCE:
                            kept = self.evidence.setdefault(f"{name}:{key}", [])
                            if len(kept) < 10:
                                kept.append(line[:500])
            counts[name] = {k: v for k, v in found.items() if v}
            for key, value in found.items():
                self.log_totals[name][key] = self.log_totals[name].get(key, 0) + value
        return counts

    def sample(self, t: float, records: list[tuple], traffic: Traffic, peaks: dict) -> dict:
        # the connections first, then who holds them (a connection opened in between would
        # have no owner: a worker's lives for one task)
        rows = self.pg.execute(
            "SELECT pid, application_name, state, client_port, "
            "extract(epoch FROM now() - backend_start), "
            "extract(epoch FROM now() - xact_start), extract(epoch FROM now() - state_change) "
            "FROM pg_stat_activity WHERE datname = %s AND application_name <> %s",
            [DB, SAMPLER_APP],
        ).fetchall()
        table = proc_table()
        pg_inodes = tcp_ports_to_inode(5432)
        redis_inodes = tcp_ports_to_inode(self.redis_port)
        inode_owner: dict[int, int] = {}
        groups = {}
        for group in self.groups:
            members = sorted(
                pid for pid, p in table.items() if p["pgrp"] == group.pgid and p["state"] != "Z"
            )
            zombies = sum(
                1 for p in table.values() if p["pgrp"] == group.pgid and p["state"] == "Z"
            )
            procs = []
            for pid in members:
                status = proc_status(pid)
                fds, inodes = proc_fds(pid)
                for inode in inodes:
                    inode_owner[inode] = pid
                procs.append({"pid": pid, "rss_kb": status.get("VmRSS", 0),
                              "pss_kb": status.get("Pss", 0),
                              "private_dirty_kb": status.get("Private_Dirty", 0),
                              "threads": status.get("Threads", 0), "fds": fds})  # fmt: skip
            escaped = [
                pid for pid, p in table.items()
                if p["ppid"] in members and p["pgrp"] != group.pgid
            ]  # fmt: skip
            groups[group.name] = {
                "leader_alive": group.alive(),
                "procs": len(members),
                "zombies": zombies,
                "escaped": escaped,
                "rss_mb": round(sum(p["rss_kb"] for p in procs) / 1024, 1),
                # PSS splits shared pages among every process mapping them, on the whole
                # machine: it moves when other people's processes start or stop. Dirty pages
                # private to a process (its heap, copy-on-write breaks) do not.
                "pss_mb": round(sum(p["pss_kb"] for p in procs) / 1024, 1),
                "private_dirty_mb": round(sum(p["private_dirty_kb"] for p in procs) / 1024, 1),
                "rss_max_proc_mb": round(max((p["rss_kb"] for p in procs), default=0) / 1024, 1),
                "fds": sum(p["fds"] for p in procs),
                "threads": sum(p["threads"] for p in procs),
                "per_process": procs,
            }
        for inode in proc_fds(os.getpid())[1]:  # the bench's own clients
            inode_owner.setdefault(inode, os.getpid())
        by_app: dict[str, int] = {}
        by_state: dict[str, int] = {}
        by_pid: dict[int, int] = {}
        unowned = 0
        pid_group = {p["pid"]: name for name, g in groups.items() for p in g["per_process"]}
        by_group_owner: dict[str, int] = {}
        idle_tx, idle_tx_age, oldest = 0, 0.0, 0.0
        for _, app, state, port, age, _xact_age, state_age in rows:
            app = app or "(none)"
            by_app[app] = by_app.get(app, 0) + 1
            by_state[state or "(none)"] = by_state.get(state or "(none)", 0) + 1
            oldest = max(oldest, float(age or 0))
            if state and state.startswith("idle in transaction"):
                idle_tx += 1
                idle_tx_age = max(idle_tx_age, float(state_age or 0))
            owner = inode_owner.get(pg_inodes.get(port or -1, -1))
            if owner is None:
                unowned += 1
            else:
                by_pid[owner] = by_pid.get(owner, 0) + 1
                name = pid_group.get(owner, "?")
                by_group_owner[name] = by_group_owner.get(name, 0) + 1
        for g in groups.values():
            for p in g["per_process"]:
                p["pg_conns"] = by_pid.get(p["pid"], 0)
        reviews, unscored = self.pg.execute(UNSCORED_SQL).fetchone()
        info = self.redis.info()
        redis_by_group: dict[str, int] = {}
        for client in self.redis.client_list():
            port = int(client["addr"].rsplit(":", 1)[1])
            owner = inode_owner.get(redis_inodes.get(port, -1))
            name = pid_group.get(owner, "bench" if owner == os.getpid() else "?")
            redis_by_group[name] = redis_by_group.get(name, 0) + 1
        latencies = [r[3] for r in records]
        statuses: dict[str, int] = {}
        for r in records:
            statuses[str(r[2])] = statuses.get(str(r[2]), 0) + 1
        errors = [r for r in records if r[4]]
        return {
            "t_s": round(t, 1),
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "loadavg_1m": os.getloadavg()[0],
            "groups": groups,
            "pg": {
                "total": len(rows),
                "by_app": by_app,
                "peak_in_interval": peaks["total"],
                "peak_in_interval_by_app": peaks["by_app"],
                "by_state": by_state,
                "by_owner_group": by_group_owner,
                "unowned": unowned,
                "idle_in_transaction": idle_tx,
                "idle_in_transaction_max_s": round(idle_tx_age, 1),
                "oldest_connection_s": round(oldest, 1),
            },
            "redis": {
                "connected_clients": info["connected_clients"],
                "clients_by_group": redis_by_group,
                "used_memory_mb": round(info["used_memory"] / 2**20, 2),
                "keys_db0": info.get("db0", {}).get("keys", 0),
                "keys_db1": info.get("db1", {}).get("keys", 0),
                "queue_default": self.redis.llen("default"),
                "queue_ml": self.redis.llen("ml"),
            },
            "http": {
                "requests": len(records),
                "p50_ms": pct(latencies, 0.5),
                "p95_ms": pct(latencies, 0.95),
                "max_ms": round(max(latencies), 1) if latencies else None,
                "errors": len(errors),
                "5xx": sum(1 for r in records if r[2] >= 500),
                "timeouts_or_resets": sum(1 for r in records if r[2] == 0),
                "statuses": statuses,
                "error_samples": [list(r) for r in errors[:5]],
                "in_flight": traffic.in_flight,
            },
            "reviews": {"total": reviews, "unscored": unscored, "ingested": traffic.ingested},
            "logs": self._scan_logs(),
        }


# --- summary ---------------------------------------------------------------------------------

VERDICT_RULE = (
    "A metric 'grows' when, over the second half of the run (the first half is warm-up), its "
    "least-squares slope exceeds its tolerance per hour AND the median of the run's last "
    "quarter is above the median of its third quarter (one spike, or the saw-tooth of a "
    "recycled process, is not growth); else 'flat'. Tolerance per hour = max(floor, share x "
    "the second half's median), (floor, share) per kind of metric: "
)
TOLERANCE = {
    "pg_conn": (1.0, 0.0),
    "procs": (0.5, 0.0),
    "rss_mb": (10.0, 0.05),
    "private_dirty_mb": (10.0, 0.05),
    "fds": (2.0, 0.0),
    "threads": (1.0, 0.0),
    "redis_clients": (1.0, 0.0),
    "redis_used_mb": (1.0, 0.10),
    "redis_keys": (10.0, 0.10),
    "http_p95_ms": (20.0, 0.25),
    "unscored": (5.0, 0.0),
}


def slope_per_hour(points: list[tuple[float, float]]) -> float | None:
    if len(points) < 2:
        return None
    mean_t = statistics.fmean(t for t, _ in points)
    mean_v = statistics.fmean(v for _, v in points)
    den = sum((t - mean_t) ** 2 for t, _ in points)
    if not den:
        return None
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / den * 3600


def series(samples: list[dict]) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {}

    def add(name: str, t: float, value) -> None:
        if value is not None:
            out.setdefault(name, []).append((t, float(value)))

    for s in samples:
        t = s["t_s"]
        add("pg_conn total", t, s["pg"]["total"])
        add("pg_conn idle_in_tx", t, s["pg"]["idle_in_transaction"])
        add("pg_conn peak_1s_poll", t, s["pg"]["peak_in_interval"])
        for app, n in s["pg"]["by_app"].items():
            add(f"pg_conn {app}", t, n)
        for name, g in s["groups"].items():
            if name == "redis":
                continue
            add(f"procs {name}", t, g["procs"])
            add(f"rss_mb {name}", t, g["rss_mb"])
            add(f"private_dirty_mb {name}", t, g["private_dirty_mb"])
            add(f"fds {name}", t, g["fds"])
            add(f"threads {name}", t, g["threads"])
        add("redis_clients", t, s["redis"]["connected_clients"])
        add("redis_used_mb", t, s["redis"]["used_memory_mb"])
        add("redis_keys", t, s["redis"]["keys_db0"] + s["redis"]["keys_db1"])
        add("http_p95_ms", t, s["http"]["p95_ms"])
        add("unscored", t, s["reviews"]["unscored"])
    # an app seen in some samples only counts 0 in the others
    times = [s["t_s"] for s in samples]
    for name, points in out.items():
        if name.startswith("pg_conn "):
            have = dict(points)
            out[name] = [(t, have.get(t, 0.0)) for t in times]
    return out


def verdict(name: str, points: list[tuple[float, float]], duration: float) -> dict:
    kind = name.split()[0]
    floor, rel = TOLERANCE.get(kind, (1.0, 0.0))
    second = [p for p in points if p[0] >= duration / 2] or points[-2:]
    med = statistics.median(v for _, v in second)
    tol = max(floor, rel * abs(med))
    slope2 = slope_per_hour(second)
    third = [v for t, v in points if duration / 2 <= t < duration * 3 / 4] or [second[0][1]]
    fourth = [v for t, v in points if t >= duration * 3 / 4] or [second[-1][1]]
    grows = (
        slope2 is not None and slope2 > tol and statistics.median(fourth) > statistics.median(third)
    )
    return {
        "first": points[0][1],
        "last": points[-1][1],
        "max": max(v for _, v in points),
        "min": min(v for _, v in points),
        "slope_per_h": _r(slope_per_hour(points)),
        "slope_per_h_2nd_half": _r(slope2),
        "tolerance_per_h": _r(tol),
        "verdict": "grows" if grows else "flat",
    }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def summarize(samples: list[dict], duration: float, bound: dict, all_records: list) -> dict:
    metrics = {name: verdict(name, pts, duration) for name, pts in series(samples).items()}
    conn_max = max(max(s["pg"]["total"], s["pg"]["peak_in_interval"]) for s in samples)
    per_kind: dict[str, dict] = {}
    for kind in sorted({r[0] for r in all_records}):
        lat = [r[3] for r in all_records if r[0] == kind]
        per_kind[kind] = {
            "requests": len(lat),
            "p50_ms": pct(lat, 0.5),
            "p95_ms": pct(lat, 0.95),
            "max_ms": round(max(lat), 1),
            "errors": sum(1 for r in all_records if r[0] == kind and r[4]),
            "5xx": sum(1 for r in all_records if r[0] == kind and r[2] >= 500),
        }
    expected = bound["processes"]
    proc_checks = {
        name: {
            "expected": expected.get(name),
            "pids_seen": len({p["pid"] for s in samples for p in s["groups"][name]["per_process"]}),
            "zombies_max": max(s["groups"][name]["zombies"] for s in samples),
            "min": metrics[f"procs {name}"]["min"],
            "max": metrics[f"procs {name}"]["max"],
            "last": metrics[f"procs {name}"]["last"],
        }
        for name in expected
        if f"procs {name}" in metrics
    }
    targets = {
        "connections_bounded": {
            "bound": bound["bound"],
            "max_seen": conn_max,
            "ok": conn_max <= bound["bound"],
        },
        "no_idle_in_transaction_growth": metrics["pg_conn idle_in_tx"]["verdict"] == "flat",
        "idle_in_transaction_longest_s": {
            "seen": max(s["pg"]["idle_in_transaction_max_s"] for s in samples),
            "ok": max(s["pg"]["idle_in_transaction_max_s"] for s in samples) < 10,
        },
        "process_count_constant": {
            "ok": all(c["min"] == c["max"] == c["expected"] for c in proc_checks.values()),
            "ok_at_end": all(c["last"] == c["expected"] for c in proc_checks.values()),
            "groups": proc_checks,
        },
        "rss_flat_after_warm_up": all(
            m["verdict"] == "flat" for n, m in metrics.items() if n.startswith("rss_mb")
        ),
        "no_process_left_its_group": not any(
            g["escaped"] for s in samples for g in s["groups"].values()
        ),
        "no_5xx": sum(s["http"]["5xx"] for s in samples) == 0,
        "no_timeouts": sum(s["http"]["timeouts_or_resets"] for s in samples) == 0,
    }
    return {"metrics": metrics, "per_request_kind": per_kind, "targets": targets}


def print_table(summary: dict) -> None:
    header = ["metric", "first", "last", "max", "slope/h", "slope/h 2nd half", "tol/h", "verdict"]
    print()
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for name, m in summary["metrics"].items():
        print(
            " | ".join(
                str(x)
                for x in (name, m["first"], m["last"], m["max"], m["slope_per_h"],
                          m["slope_per_h_2nd_half"], m["tolerance_per_h"], m["verdict"])
            )
        )  # fmt: skip
    print()
    print("request | n | p50 ms | p95 ms | max ms | errors | 5xx")
    print("--- | --- | --- | --- | --- | --- | ---")
    for kind, k in summary["per_request_kind"].items():
        print(f"{kind} | {k['requests']} | {k['p50_ms']} | {k['p95_ms']} | {k['max_ms']} | "
              f"{k['errors']} | {k['5xx']}")  # fmt: skip
    print()
    print("targets:", json.dumps(summary["targets"], indent=1))


# --- main ------------------------------------------------------------------------------------


def wait_ready(groups: dict[str, Group], base: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = {"web", *(n for n, g in groups.items() if " worker " in f" {' '.join(g.argv)} ")}
    while pending:
        if time.monotonic() > deadline:
            raise RuntimeError(f"not ready after {timeout:.0f} s: {sorted(pending)}")
        for name, group in groups.items():
            if not group.alive():
                tail = group.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited at start:\n{tail}")
        if "web" in pending:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{base}/health/", timeout=5).status_code == 200:
                    pending.discard("web")
        for name in list(pending - {"web"}):
            if " ready." in groups[name].log.read_text(errors="replace"):
                pending.discard(name)
        time.sleep(1)


def main() -> int:  # noqa: C901, PLR0915 - one sequential run, kept in one place
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--interval", type=float, default=30, help="seconds between samples")
    parser.add_argument("--rate", type=float, default=3.0, help="requests per second (mean)")
    parser.add_argument("--client-threads", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--logs", type=Path, help="folder for the processes' logs (default: tmp)")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument("--ready-timeout", type=float, default=300)
    parser.add_argument(
        "--web-max-requests",
        type=int,
        help="recycle web workers after this many requests (GUNICORN_CMD_ARGS; default: "
        "config/gunicorn.py's 2000 + jitter, which 3 req/s reaches after ~45 min)",
    )
    opts = parser.parse_args()

    def _leave(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _leave)
    signal.signal(signal.SIGHUP, _leave)
    marker = uuid.uuid4().hex
    logs_dir = opts.logs or Path(tempfile.mkdtemp(prefix="cw-soak-"))
    logs_dir.mkdir(parents=True, exist_ok=True)
    print(f"logs: {logs_dir}", flush=True)
    redis_port, web_port = free_port(), free_port()
    base = f"http://127.0.0.1:{web_port}"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env |= {
        "DATABASE_URL": f"{BASE}/{DB}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CACHE_URL": f"redis://127.0.0.1:{redis_port}/1",
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "DEBUG": "false",
        "PUBLIC_BASE_URL": f"http://localhost:{web_port}",
        "WEBHOOKS_PRIVATE_HOSTS_ALLOWED": "127.0.0.1:9000,localhost:9000",  # as scripts/run.sh
        "PORT": str(web_port),
        "CW_SOAK_RUN": marker,
        "PGAPPNAME": f"{APP_PREFIX}setup",
    }
    if opts.web_max_requests:
        env["GUNICORN_CMD_ARGS"] = f"--max-requests {opts.web_max_requests}"
    entries = procfile()
    bound = connection_bound(entries, env)
    groups: dict[str, Group] = {}
    traffic: Traffic | None = None
    sampler: Sampler | None = None
    peaks: PeakConnections | None = None
    samples: list[dict] = []
    all_records: list[tuple] = []
    interrupted = ""
    stopped: dict = {}
    started_at = time.monotonic()
    setup_s: dict[str, float] = {}
    try:
        groups["redis"] = Group(
            "redis",
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(logs_dir)],
            env, logs_dir / "redis.log",
        ).start()  # fmt: skip
        r = redis.Redis(port=redis_port)
        for _ in range(100):
            with contextlib.suppress(redis.RedisError):
                if r.ping():
                    break
            time.sleep(0.05)
        r.close()
        t = time.monotonic()
        reset_db()
        manage(env, "migrate_all", log=logs_dir / "setup.log")
        setup_s["migrate_all"] = round(time.monotonic() - t, 1)
        t = time.monotonic()
        manage(env, "seed_demo", log=logs_dir / "setup.log")
        setup_s["seed_demo"] = round(time.monotonic() - t, 1)
        code = SETUP % {"staff": STAFF_EMAIL, "clinic": CLINIC, "surge": SURGE_CLINIC}
        creds = json.loads(
            manage(env, "shell", "-c", code, log=logs_dir / "setup.log").strip().splitlines()[-1]
        )
        t = time.monotonic()
        for name, command in entries.items():
            # as honcho runs them: through the shell, PORT set; one process group each
            groups[name] = Group(
                name, ["bash", "-c", f"exec {command}" if "=" not in command.split()[0]
                       else command],
                env | {"PGAPPNAME": f"{APP_PREFIX}{name}"}, logs_dir / f"{name}.log",
            ).start()  # fmt: skip
        wait_ready(groups, base, opts.ready_timeout)
        setup_s["processes_ready"] = round(time.monotonic() - t, 1)
        print(f"ready: {json.dumps(setup_s)}; bound {bound['bound']} connections", flush=True)
        sampler = Sampler(
            list(groups.values()),
            redis_port,
            {name: g.log for name, g in groups.items() if name != "redis"},
        )
        peaks = PeakConnections().start()
        traffic = Traffic(base, creds, opts.rate, opts.client_threads, seed=7).start()
        t0 = time.monotonic()
        end = t0 + opts.minutes * 60
        next_sample = t0 + opts.interval
        while True:
            time.sleep(max(0.0, min(next_sample, end) - time.monotonic()))
            now = time.monotonic()
            records = traffic.take()
            all_records += records
            s = sampler.sample(now - t0, records, traffic, peaks.take())
            samples.append(s)
            g = s["groups"]
            print(
                f"{s['t_s']:7.0f}s pg={s['pg']['total']} (peak {s['pg']['peak_in_interval']}) "
                f"{s['pg']['by_app']} "
                f"idle_tx={s['pg']['idle_in_transaction']} "
                f"procs={ {n: x['procs'] for n, x in g.items()} } "
                f"rss={ {n: x['rss_mb'] for n, x in g.items()} } "
                f"redis={s['redis']['connected_clients']} "
                f"http n={s['http']['requests']} p50={s['http']['p50_ms']} "
                f"p95={s['http']['p95_ms']} err={s['http']['errors']} 5xx={s['http']['5xx']} "
                f"unscored={s['reviews']['unscored']} load={s['loadavg_1m']:.1f}",
                flush=True,
            )
            dead = [n for n, grp in groups.items() if not grp.alive()]
            if dead:
                print(f"!! process group leader exited: {dead}", flush=True)
            if now >= end - 0.5:
                break
            next_sample += opts.interval
    except KeyboardInterrupt as exc:
        interrupted = str(exc) or "SIGINT"
        print(f"\ninterrupted ({interrupted}): cleaning up", flush=True)
    finally:
        if traffic is not None:
            traffic.stop()
            all_records += traffic.take()
        if sampler is not None:
            sampler.close()
        if peaks is not None:
            peaks.stop()
        procfile_groups = [g for n, g in groups.items() if n != "redis"]
        stopped = stop_groups(procfile_groups)
        if "redis" in groups:
            stopped["redis"] = stop_groups([groups["redis"]], grace=10)
        leftover = procs_with_marker(marker)
        for pid in leftover:  # should never happen: reported below
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        stopped["orphans_after_stop"] = leftover
        if not opts.keep:
            with contextlib.suppress(Exception):
                drop_db()
        print(f"stopped: {json.dumps(stopped)}", flush=True)

    if not samples:
        return 1
    duration = samples[-1]["t_s"]
    summary = summarize(samples, duration, bound, all_records)
    summary["targets"]["no_orphans"] = not stopped.get("orphans_after_stop")
    print_table(summary)
    result = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join(shlex.quote(a) for a in sys.argv),
        "options": {k: str(v) for k, v in vars(opts).items()},
        "interrupted": interrupted or None,
        "run_s": round(time.monotonic() - started_at, 1),
        "setup_s": setup_s,
        "procfile": entries,
        "connection_bound": bound,
        "verdict_rule": VERDICT_RULE + json.dumps(TOLERANCE),
        "summary": summary,
        "stop": stopped,
        "log_totals": sampler.log_totals if sampler else {},
        "log_evidence": sampler.evidence if sampler else {},
        "logs_dir": str(logs_dir),
        "samples": samples,
    }
    opts.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nwrote {opts.out}; logs in {logs_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
