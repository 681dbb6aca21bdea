"""Helpers shared by the bench/*.py benchmarks: the results directory and metadata of a run (frozen sluice binary,
commit, machine), its report and its generated section of docs/benchmarks.md, and stopping a process.

bench/ is on sys.path of every bench/*.py (it is the directory of the script Python runs), so `import common` works.
"""
import datetime
import hashlib
import json
import os
import pathlib
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BENCH = pathlib.Path(__file__).resolve().parent
REPO = BENCH.parent
# Sources of the sluice binary: uncommitted changes here are noted beside the commit of a run
SOURCES = ("broker", "storage", "connect", "appliance", "Cargo.toml", "Cargo.lock")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def terminate(proc, timeout=20):
    """SIGTERM, wait up to timeout s, then SIGKILL. Returns False when it had to be killed."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False


# ---------------------------------------------------------------------------------------------- run metadata

def results_dir(prefix):
    """A new bench/results/<prefix><timestamp>/."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    rdir = BENCH / "results" / f"{prefix}{stamp}"
    rdir.mkdir(parents=True)
    return rdir


def freeze_binary(src, rdir):
    """Copies the sluice binary into rdir for the whole run (target/release may be rebuilt meanwhile)."""
    frozen = rdir / "sluice"
    shutil.copy2(src, frozen)
    return frozen


def sluice_version(src, frozen, sources=SOURCES, show_name=False):
    """`<commit>[ + uncommitted changes] (binary [<name> ]built <mtime of src>, sha256 <of frozen>)`; sources=None:
    no check for uncommitted changes."""
    sha = hashlib.sha256(frozen.read_bytes()).hexdigest()[:12]
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    dirty = sources is not None and subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", *sources],
                                                   capture_output=True, text=True).stdout.strip()
    built = datetime.datetime.fromtimestamp(src.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    return (f"{head}{' + uncommitted changes' if dirty else ''} (binary {src.name + ' ' if show_name else ''}built "
            f"{built}, sha256 {sha})")


def machine():
    mem_kb = int(next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1])
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    return f"{os.cpu_count()} CPUs ({cpu}), {mem_kb / 1024 / 1024:.1f} GiB RAM, Linux {platform.release()}"


def data_fs():
    """$TMPDIR (where the runs keep their data) and its filesystem."""
    tmpdir = tempfile.gettempdir()
    fs = subprocess.run(["df", "-T", tmpdir], capture_output=True, text=True).stdout.splitlines()[-1].split()
    return f"{tmpdir} ({fs[1]} on {fs[0]})" if len(fs) > 1 else tmpdir


def run_meta(name, args, src, frozen, **version):
    """What every run of bench/<name>.sh records first: date, machine, data filesystem, command, Sluice version
    (sluice_version's options in `version`)."""
    return {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "fs": data_fs(),
        "command": (args.command or f"bench/{name}.sh " + " ".join(sys.argv[1:])).strip(),
        "sluice_version": sluice_version(src, frozen, **version),
    }


def save_results(rdir, meta, res, t_all):
    """rdir/results.json, with the run's duration so far."""
    meta["duration_s"] = round(time.time() - t_all)
    with open(rdir / "results.json", "w") as f:
        json.dump({"meta": meta, "results": res}, f, indent=1, default=str)


# ---------------------------------------------------------------------------------------------- report

def mark(ok):
    return "—" if ok is None else ("✓" if ok else "✗")


def results_head(meta):
    """The first lines of a report: when, where, which command."""
    return ["### Results (latest run)", "",
            f"Run {meta['date']} on {meta['machine']}, data on {meta['fs']}.", "",
            "Command: `" + meta["command"] + "`", ""]


def update_doc(path, name, section, intro=""):
    """Replaces the generated section between the bench/<name>.sh markers of path; without the markers, appends
    intro, the markers and the section."""
    begin = f"<!-- bench/{name}.sh:begin (generated, do not edit by hand) -->"
    end = f"<!-- bench/{name}.sh:end -->"
    text = path.read_text() if path.exists() else ""
    block = f"{begin}\n{section}\n{end}"
    if begin in text and end in text:
        pre, rest = text.split(begin, 1)
        text = pre + block + rest.split(end, 1)[1]
    else:
        text = (text or "# Benchmarks\n").rstrip("\n") + "\n\n" + intro + block + "\n"
    path.write_text(text)


def publish(rdir, section, name, args, intro=""):
    """rdir/report.md, the section on stdout, and (unless --no-doc) the bench/<name>.sh section of args.doc."""
    (rdir / "report.md").write_text(section + "\n")
    print(section)
    if not args.no_doc:
        update_doc(pathlib.Path(args.doc), name, section, intro)
        log(f"updated {args.doc}")
