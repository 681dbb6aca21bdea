"""The binary as a user runs it: built by docker/build.sh (the Dockerfile's own build step), configured
only through environment variables and a connectors directory, checked with `sluice health`, stopped with
SIGTERM; and one-line errors for bad settings."""
import json
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import free_port
from connecthelpers import kcat_values, wait_for
from helpers import REPO, preexec_die_with_parent, run


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory):
    out = tmp_path_factory.mktemp("rootfs")
    res = run(["bash", str(REPO / "docker" / "build.sh"), str(out / "fs")], timeout=1800)
    assert res.returncode == 0, res.stderr[-3000:]
    binary = out / "fs" / "usr" / "local" / "bin" / "sluice"
    assert binary.exists()
    assert (out / "fs" / "var" / "lib" / "sluice").is_dir()
    # The image's base (distroless/base-nossl) has glibc only: every other library the binary links
    # must be bundled in /usr/local/lib/sluice (LD_LIBRARY_PATH in the Dockerfile) and resolve from there.
    libdir = out / "fs" / "usr" / "local" / "lib" / "sluice"
    ldd = run(["env", f"LD_LIBRARY_PATH={libdir}", "ldd", str(binary)], timeout=30)
    glibc = ("linux-vdso", "libc.so", "libm.so", "libpthread.so", "libdl.so", "librt.so", "ld-linux", "/lib64/ld-linux")
    for line in ldd.stdout.splitlines():
        name = line.strip().split(" ")[0]
        if not name.startswith(glibc):
            assert f"=> {libdir}/" in line, f"{name} is not bundled in the image's rootfs:\n{ldd.stdout}"
    assert (libdir / "libgcc_s.so.1").exists(), ldd.stdout
    return binary


def start(binary, env, cwd):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_CFG_", "CONNECT_", "SLUICE_"))}
    full.update(env)
    full["LD_LIBRARY_PATH"] = str(binary.parent.parent / "lib" / "sluice")  # as the Dockerfile sets it
    return subprocess.Popen([str(binary)], env=full, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, preexec_fn=preexec_die_with_parent)


def health(binary, kport, rport):
    return subprocess.run([str(binary), "health", "--broker", f"127.0.0.1:{kport}", "--connect", f"127.0.0.1:{rport}"],
                          capture_output=True, text=True, timeout=30)


def test_env_only_start_with_connectors_dir_health_and_sigterm(rootfs, tmp_path):
    kport, rport = free_port(), free_port()
    src = tmp_path / "in.txt"
    src.write_text("first\nsecond 한글\n", encoding="utf-8")
    conns = tmp_path / "connectors"
    conns.mkdir()
    (conns / "lines.json").write_text(json.dumps({"name": "lines", "config": {
        "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "file": "${env:LINES_FILE}", "topic": "lines", "tasks.max": 1}}))
    env = {
        "KAFKA_CFG_LISTENERS": f"PLAINTEXT://127.0.0.1:{kport}",
        "KAFKA_CFG_ADVERTISED_LISTENERS": f"PLAINTEXT://127.0.0.1:{kport}",
        "KAFKA_CFG_LOG_DIRS": str(tmp_path / "data"),
        "KAFKA_KRAFT_CLUSTER_ID": "appliance-test-cluster",
        "CONNECT_LISTENERS": f"http://127.0.0.1:{rport}",
        "CONNECT_OFFSET_FLUSH_INTERVAL_MS": "1000",
        "SLUICE_CONNECTORS_DIR": str(conns),
        "LINES_FILE": str(src),
    }
    p = start(rootfs, env, tmp_path)
    try:
        wait_for(lambda: health(rootfs, kport, rport).returncode == 0, 60, "sluice health to pass")
        assert "healthy" in health(rootfs, kport, rport).stdout
        values = wait_for(lambda: (v := kcat_values(f"127.0.0.1:{kport}", "lines")) and len(v) >= 2 and v, 60,
                          "the file's lines in the topic")
        payloads = [json.loads(v)["payload"] for v in values]
        assert payloads == ["first", "second 한글"]
        md = run(["kcat", "-b", f"127.0.0.1:{kport}", "-L"], timeout=30)
        assert f"at 127.0.0.1:{kport}" in md.stdout, md.stdout
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=60)
        assert p.returncode == 0, out[-3000:]
        assert "stopped" in out
    finally:
        if p.poll() is None:
            p.kill()
    # Health fails once it is down.
    assert health(rootfs, kport, rport).returncode == 1


@pytest.mark.parametrize("env,key", [
    ({"KAFKA_CFG_NUM_PARTITIONS": "many"}, "num.partitions"),
    ({"KAFKA_CFG_LISTENERS": "PLAINTEXT://127.0.0.1"}, "listeners"),
    ({"KAFKA_CFG_LOG_CLEANUP_POLICY": "shred"}, "log.cleanup.policy"),
    ({"SLUICE_MEMORY_BUDGET_MB": "8"}, "sluice.memory.budget.mb"),
])
def test_bad_setting_is_one_line_naming_it(rootfs, tmp_path, env, key):
    env = dict(env, KAFKA_CFG_LOG_DIRS=str(tmp_path / "data"))
    p = start(rootfs, env, tmp_path)
    out, _ = p.communicate(timeout=60)
    assert p.returncode != 0
    errors = [line for line in out.splitlines() if line.startswith("sluice:")]
    assert len(errors) == 1 and key in errors[0], out
    assert not (tmp_path / "data").exists(), "nothing may be written for a start that fails validation"


def test_port_in_use_names_the_listener(rootfs, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        p = start(rootfs, {"KAFKA_CFG_LISTENERS": f"PLAINTEXT://127.0.0.1:{busy}",
                           "KAFKA_CFG_LOG_DIRS": str(tmp_path / "data")}, tmp_path)
        out, _ = p.communicate(timeout=60)
    assert p.returncode != 0
    assert f"127.0.0.1:{busy}" in out and "listeners" in out, out


def test_version(rootfs):
    res = run([str(rootfs), "--version"], timeout=30)
    assert res.returncode == 0 and res.stdout.startswith("sluice "), res.stdout
