"""A private MariaDB server for the CDC tests: its own data directory, socket and loopback port, ROW binlog with
FULL row images and metadata, GTIDs, UTC. Started once per test session (the `mariadb` fixture in conftest.py);
each test works in its own database. Uses Debian's mariadb-server (tests/provision.sh installs it).

    db = MariaDB(workdir); db.start()
    db.sql("CREATE DATABASE x"); db.query("SELECT 1")  -> [["1"]]
    db.stop()

Set MYSQL_URL (mysql://user:pass@host:port) to run the same tests against another server instead (it must already
have binlog_format=ROW and binlog_row_image=FULL, and the user the Debezium grants plus CREATE/DROP)."""
import os
import pathlib
import shutil
import socket
import subprocess
import time
import urllib.parse

from helpers import preexec_die_with_parent


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CNF = """[mariadbd]
user={user}
datadir={dir}/data
socket={dir}/mysqld.sock
pid-file={dir}/mysqld.pid
log-error={dir}/error.log
port={port}
bind-address=127.0.0.1
skip-name-resolve
server_id=1
log_bin={dir}/data/mysql-bin
binlog_format=ROW
binlog_row_image=FULL
binlog_row_metadata=FULL
binlog_annotate_row_events=ON
gtid_strict_mode=ON
gtid_domain_id=0
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
default-time-zone=+00:00
innodb_buffer_pool_size=64M
innodb_log_file_size=32M
performance_schema=OFF
max_connections=200
"""

GRANTS = """
CREATE USER IF NOT EXISTS 'cdc'@'%' IDENTIFIED BY 'cdc';
GRANT SELECT, RELOAD, SHOW DATABASES, LOCK TABLES, REPLICATION SLAVE, REPLICATION CLIENT, BINLOG MONITOR ON *.* TO 'cdc'@'%';
CREATE USER IF NOT EXISTS 'nogrant'@'%' IDENTIFIED BY 'nogrant';
GRANT SELECT ON *.* TO 'nogrant'@'%';
"""


class MariaDB:
    def __init__(self, workdir):
        self.dir = pathlib.Path(workdir)
        self.external = os.environ.get("MYSQL_URL")
        if self.external:
            u = urllib.parse.urlparse(self.external)
            self.host, self.port = u.hostname or "127.0.0.1", u.port or 3306
            self.user, self.password = urllib.parse.unquote(u.username or "root"), urllib.parse.unquote(u.password or "")
        else:
            self.host, self.port = "127.0.0.1", _free_port()
            self.user, self.password = "cdc", "cdc"
        self.proc = None

    @property
    def socket(self):
        return str(self.dir / "mysqld.sock")

    def _client(self, *extra):
        if self.external:
            return ["mariadb", "--no-defaults", "-h", self.host, "-P", str(self.port), "-u", self.user,
                    f"-p{self.password}", *extra]
        return ["mariadb", "--no-defaults", f"--socket={self.socket}", "-uroot", *extra]

    def start(self):
        if self.external:
            return self
        run_as = "mysql" if os.geteuid() == 0 else os.environ.get("USER", "")
        first = not (self.dir / "data" / "mysql").is_dir()
        self.dir.mkdir(parents=True, exist_ok=True)
        cnf = self.dir / "my.cnf"
        cnf.write_text(CNF.format(user=run_as, dir=self.dir, port=self.port))
        if os.geteuid() == 0:
            shutil.chown(self.dir, "mysql", "mysql")
        if first:
            p = subprocess.run(["mariadb-install-db", f"--defaults-file={cnf}", "--skip-test-db",
                                "--auth-root-authentication-method=socket"], capture_output=True, text=True)
            assert p.returncode == 0, f"mariadb-install-db failed: {p.stdout[-2000:]} {p.stderr[-2000:]}"
        self.proc = subprocess.Popen(["mariadbd", f"--defaults-file={cnf}"], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=preexec_die_with_parent)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"mariadbd exited {self.proc.returncode}: {self.error_log()}")
            if subprocess.run(["mariadb-admin", "--no-defaults", f"--socket={self.socket}", "-uroot", "ping"],
                              capture_output=True).returncode == 0:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"mariadbd did not start: {self.error_log()}")
        if first:
            self.sql(GRANTS)
        return self

    def error_log(self):
        try:
            return "\n".join((self.dir / "error.log").read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return "(no error log)"

    def sql(self, statements, db=None, check=True):
        """Runs SQL text (several statements allowed) as root; returns the completed process."""
        args = self._client("--default-character-set=utf8mb4", "-N", "-B")
        if db:
            args.append(db)
        p = subprocess.run(args, input=statements, capture_output=True, text=True, timeout=120)
        if check:
            assert p.returncode == 0, f"SQL failed ({p.returncode}): {p.stderr}\n{statements[:2000]}"
        return p

    def query(self, statement, db=None):
        out = self.sql(statement, db).stdout
        return [line.split("\t") for line in out.splitlines()]

    def stop(self):
        if self.proc is None:
            return
        subprocess.run(["mariadb-admin", "--no-defaults", f"--socket={self.socket}", "-uroot", "shutdown"],
                       capture_output=True)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def connector_config(self, **extra):
        c = {"database.hostname": self.host, "database.port": str(self.port),
             "database.user": self.user, "database.password": self.password}
        c.update(extra)
        return c
