"""A real single-node SLURM on localhost, private to one directory, for the SLURM profile test.

Debian's `slurm-wlm`, `slurmdbd`, `munge` and `mariadb-server` provide the programs; this module
writes every configuration file, socket, spool, state and log below one directory, starts
munged, MariaDB, slurmdbd, slurmctld and slurmd there (free ports on 127.0.0.1, nothing in
/etc touched), and stops exactly the processes it started.

The node: 2 CPUs, the machine's memory, and two "fake" GPUs declared as a count-only GRES
(nothing is bound; JAX still runs on the CPU), so that GPU requests (`--gpus=fake:1`) are
scheduled and accounted as on a GPU cluster. No cgroups (proctrack/linuxproc, task/none).
Accounting goes through slurmdbd into MariaDB, so `sacct` works as on a real cluster.

One file outside that directory: while the cluster runs, /etc/slurm/slurm.conf is a symbolic
link to its slurm.conf (removed at the end; the start refuses if that path holds a real
configuration). SLURM_CONF alone does not do: the slurm-jobstep plugin strips every SLURM_*
variable but the job's ids before the `srun` that runs a rule inside its job, so that `srun`
looks for the configuration where real clusters keep it.

Because that path is one per machine, two test clusters on one machine (two CI runs at once)
take turns: each holds an exclusive lock on LOCK_FILE from before it links the configuration
until it has stopped; the next one waits (up to LOCK_WAIT_SECONDS, printing why). The kernel
drops the lock when its holder dies, so a link left by a killed run (its target still names
CLUSTER_NAME) is replaced by whoever holds the lock next.

Run by hand (root needed, as for any slurmctld/slurmd; a cluster started this way does not
hold the lock once `up` returns, so do not run the test beside it):

    python tests/slurm/slurm_cluster.py up /tmp/slurm     # prints `export SLURM_CONF=...`
    python tests/slurm/slurm_cluster.py down /tmp/slurm
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("slurm-wlm", "slurmdbd", "munge", "mariadb-server")
PROGRAMS = ("munged", "mungekey", "mariadbd", "mariadb-install-db", "mariadb", "slurmdbd",
            "slurmctld", "slurmd", "sbatch", "sacct", "sacctmgr", "squeue", "scancel", "sinfo")

CLUSTER_NAME = "ogntest"
NODE_NAME = "ogn1"
PARTITION = "ogn"
ACCOUNT = "ogn_test"
GPU_MODEL = "fake"
N_GPUS = 2
N_CPUS = 2
DB_USER, DB_PASSWORD = "slurm", "ogn-test-only"
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")  # where srun looks without SLURM_CONF
LOCK_FILE = Path("/run/lock/ogn-slurm-test.lock")  # one private cluster per machine at a time
LOCK_WAIT_SECONDS = 1800.0


@dataclass(frozen=True)
class Cluster:
    """A running private SLURM: its directory, the environment its clients need, its daemons."""

    root: Path
    env: dict
    processes: tuple  # ((name, subprocess.Popen), ...) in start order
    lock_fd: int  # holds LOCK_FILE until stop_cluster closes it

    @property
    def slurm_conf(self) -> Path:
        return self.root / "etc" / "slurm.conf"


# ----------------------------------------------------------------------------- prerequisites

def missing_programs() -> list[str]:
    """Programs of PACKAGES not on PATH (or in /usr/sbin)."""
    search = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin" + os.pathsep + "/sbin"
    return [name for name in PROGRAMS if shutil.which(name, path=search) is None]


def why_not_runnable() -> str | None:
    """None if a private SLURM can be started here, else the reason and the fix."""
    missing = missing_programs()
    if missing:
        return (f"missing programs {', '.join(missing)}: install the Debian packages "
                f"{' '.join(PACKAGES)} (as root: apt-get install -y {' '.join(PACKAGES)}; "
                ".ci/slurm_test.sh does this)")
    if os.geteuid() != 0:
        return ("slurmd must run as root to start jobs (it switches to the submitting "
                "user); run the SLURM test as root, e.g. `sudo -E .ci/slurm_test.sh`")
    return None


def free_ports(count: int) -> list[int]:
    """Distinct TCP ports on 127.0.0.1 that were free a moment ago."""
    sockets = []
    try:
        for _ in range(count):
            handle = socket.socket()
            handle.bind(("127.0.0.1", 0))
            sockets.append(handle)
        return [handle.getsockname()[1] for handle in sockets]
    finally:
        for handle in sockets:
            handle.close()


def node_memory_mb() -> int:
    """Memory SLURM may hand out on this node (MB): what slurmd itself detects, less 5 %."""
    output = subprocess.run([_program("slurmd"), "-C"], capture_output=True, text=True,
                            check=True).stdout
    for field in output.split():
        if field.startswith("RealMemory="):
            return int(int(field.split("=", 1)[1]) * 0.95)
    raise RuntimeError(f"`slurmd -C` reported no RealMemory:\n{output}")


# ----------------------------------------------------------------------------- files

def slurm_conf_text(root: Path, ports: dict, memory_mb: int) -> str:
    host = socket.gethostname().split(".")[0]
    return f"""\
# Private single-node SLURM for the OGN workflow's SLURM profile test (tests/slurm/).
ClusterName={CLUSTER_NAME}
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ports['slurmctld']}
SlurmdPort={ports['slurmd']}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={root}/munge/munge.socket
CredType=cred/munge
StateSaveLocation={root}/state/slurmctld
SlurmdSpoolDir={root}/state/slurmd
SlurmctldPidFile={root}/run/slurmctld.pid
SlurmdPidFile={root}/run/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups: processes tracked through /proc, no task confinement.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
MpiDefault=none
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=5
InactiveLimit=0
MinJobAge=300
# Accounting through slurmdbd (MariaDB): sacct and sacctmgr work as on a real cluster.
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort={ports['slurmdbd']}
# (for slurmdbd, "Pass" names the MUNGE socket; without it clients use the system one)
AccountingStoragePass={root}/munge/munge.socket
AccountingStorageTRES=gres/gpu,gres/gpu:{GPU_MODEL}
AccountingStoreFlags=job_comment
AccountingStorageEnforce=associations
JobCompType=jobcomp/none
GresTypes=gpu
NodeName={NODE_NAME} NodeAddr=127.0.0.1 NodeHostname={host} CPUs={N_CPUS} \
RealMemory={memory_mb} Gres=gpu:{GPU_MODEL}:{N_GPUS} State=UNKNOWN
PartitionName={PARTITION} Nodes={NODE_NAME} Default=YES MaxTime=INFINITE State=UP
"""


def gres_conf_text(root: Path) -> str:
    # slurmd drops GPUs without a device file: each fake GPU is a link to a harmless
    # character device (/dev/null, /dev/zero), so nothing is bound and JAX stays on the CPU.
    return (f"NodeName={NODE_NAME} Name=gpu Type={GPU_MODEL} "
            f"File={root}/dev/fakegpu[0-{N_GPUS - 1}]\n")


def fake_gpu_devices(root: Path) -> None:
    devices = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random")[:N_GPUS]
    (root / "dev").mkdir(exist_ok=True)
    for index, target in enumerate(devices):
        link = root / "dev" / f"fakegpu{index}"
        if not link.is_symlink():
            link.symlink_to(target)


def slurmdbd_conf_text(root: Path, ports: dict) -> str:
    return f"""\
AuthType=auth/munge
AuthInfo=socket={root}/munge/munge.socket
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort={ports['slurmdbd']}
SlurmUser=root
PidFile={root}/run/slurmdbd.pid
LogFile={root}/log/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort={ports['mariadb']}
StorageUser={DB_USER}
StoragePass={DB_PASSWORD}
StorageLoc=slurm_acct_db
"""


def write_files(root: Path) -> dict:
    """Create the directory tree and configuration files below ``root``; return the ports."""
    # munged wants its socket directory (and the way to it) open to all users to enter and
    # writable by its owner only.
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    for sub in ("etc", "munge", "run", "log", "state/slurmctld", "state/slurmd", "db"):
        (root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(root / sub, 0o755 if sub == "munge" else 0o700)
    ports = dict(zip(("slurmctld", "slurmd", "slurmdbd", "mariadb"), free_ports(4),
                     strict=True))
    (root / "etc" / "slurm.conf").write_text(slurm_conf_text(root, ports, node_memory_mb()))
    fake_gpu_devices(root)
    (root / "etc" / "gres.conf").write_text(gres_conf_text(root))
    dbd_conf = root / "etc" / "slurmdbd.conf"
    dbd_conf.write_text(slurmdbd_conf_text(root, ports))
    os.chmod(dbd_conf, 0o600)  # slurmdbd refuses a readable password file
    (root / "ports.json").write_text(json.dumps(ports))
    return ports


# ----------------------------------------------------------------------------- processes

def _program(name: str) -> str:
    search = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin" + os.pathsep + "/sbin"
    found = shutil.which(name, path=search)
    if found is None:
        raise FileNotFoundError(why_not_runnable() or name)
    return found


def client_env(root: Path) -> dict:
    """Environment for SLURM clients (sbatch, sacct, ...) and daemons of this cluster."""
    env = dict(os.environ)
    env["SLURM_CONF"] = str(root / "etc" / "slurm.conf")
    for name in list(env):
        if name.startswith("SLURM_") and name != "SLURM_CONF":
            del env[name]
    return env


def _spawn(name: str, argv: list, env: dict, root: Path) -> subprocess.Popen:
    log = open(root / "log" / f"{name}.out", "ab")
    return subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def _wait_until(check, what: str, processes, root: Path, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode} while waiting "
                                   f"for {what}; logs in {root / 'log'}:\n"
                                   + _tail_logs(root))
        if check():
            return
        time.sleep(0.2)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s; logs in {root / 'log'}:\n"
                       + _tail_logs(root))


def _tail_logs(root: Path, lines: int = 15) -> str:
    parts = []
    for path in sorted((root / "log").glob("*")):
        text = path.read_text(errors="replace").splitlines()[-lines:]
        parts.append(f"--- {path.name}\n" + "\n".join(text))
    return "\n".join(parts)


def _succeeds(argv, env) -> bool:
    return subprocess.run(argv, env=env, capture_output=True, timeout=30).returncode == 0


def run(cluster_or_env, *argv, check=True, timeout=60) -> subprocess.CompletedProcess:
    """Run a SLURM client command against the cluster; return the completed process."""
    env = cluster_or_env.env if isinstance(cluster_or_env, Cluster) else cluster_or_env
    result = subprocess.run([_program(argv[0]), *argv[1:]], env=env, capture_output=True,
                            text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}):\n"
                           f"{result.stdout}{result.stderr}")
    return result


def start_cluster(root) -> Cluster:
    """Write the files and start munged, MariaDB, slurmdbd, slurmctld and slurmd below root.

    Returns when the node is idle and the test account exists. On any failure the daemons
    already started are stopped before the error propagates.
    """
    root = Path(root).resolve()
    problem = why_not_runnable()
    if problem:
        raise RuntimeError(problem)
    ports = write_files(root)
    env = client_env(root)
    processes: list = []
    lock_fd = acquire_machine_lock()
    try:
        link_system_conf(root)
    except BaseException:
        os.close(lock_fd)
        raise
    try:
        _start_munge(root, env, processes)
        _start_mariadb(root, env, processes, ports)
        processes.append(("slurmdbd", _spawn("slurmdbd", [_program("slurmdbd"), "-D"],
                                             env, root)))
        _wait_until(lambda: _succeeds([_program("sacctmgr"), "-n", "list", "cluster"], env),
                    "slurmdbd", processes, root)
        # Cluster, account and user association before slurmctld starts (enforced).
        run(env, "sacctmgr", "-i", "add", "cluster", CLUSTER_NAME)
        run(env, "sacctmgr", "-i", "add", "account", ACCOUNT, f"cluster={CLUSTER_NAME}",
            "description=OGN SLURM test", "organization=ogn")
        run(env, "sacctmgr", "-i", "add", "user", _user(), f"account={ACCOUNT}",
            f"cluster={CLUSTER_NAME}")
        processes.append(("slurmctld", _spawn("slurmctld", [_program("slurmctld"), "-D", "-i"],
                                              env, root)))
        _wait_until(lambda: _succeeds([_program("scontrol"), "ping"], env),
                    "slurmctld", processes, root)
        processes.append(("slurmd", _spawn("slurmd", [_program("slurmd"), "-D", "-N",
                                                      NODE_NAME], env, root)))
        _wait_until(lambda: _node_state(env) in ("idle", "mixed", "allocated"),
                    "the node to become idle", processes, root)
    except BaseException:
        _stop_processes(processes, root)
        unlink_system_conf(root)
        os.close(lock_fd)
        raise
    return Cluster(root=root, env=env, processes=tuple(processes), lock_fd=lock_fd)


def acquire_machine_lock(path: Path = LOCK_FILE, wait: float = LOCK_WAIT_SECONDS) -> int:
    """Take the machine-wide lock of the test clusters; returns its file descriptor.

    Waits while another test cluster holds it (a second run on the same machine) and raises
    after ``wait`` seconds with the holder's pid. The lock goes when the descriptor is closed
    or its process ends.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    announced = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            if time.monotonic() > deadline:
                os.close(fd)
                raise RuntimeError(
                    f"another SLURM test cluster (pid {holder}) has held {path} for more than "
                    f"{wait:.0f} s. Wait for it to finish, or stop it, then run the test again.") from None
            if not announced:
                print(f"waiting for the SLURM test cluster of pid {holder} to finish "
                      f"(it holds {path})", file=sys.stderr, flush=True)
                announced = True
            time.sleep(2.0)
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd


def _is_test_cluster_conf(path: Path) -> bool:
    """True if path is a slurm.conf written by this module (names CLUSTER_NAME)."""
    try:
        return f"ClusterName={CLUSTER_NAME}\n" in path.read_text()
    except OSError:
        return False


def link_system_conf(root: Path) -> None:
    """Point /etc/slurm/slurm.conf at this cluster's slurm.conf (see the module docstring).

    Call with the machine lock held: a link to another test cluster's configuration is then
    one its killed owner left behind, and is replaced.
    """
    ours = root / "etc" / "slurm.conf"
    if SYSTEM_CONF.is_symlink() and (not SYSTEM_CONF.exists()
                                     or _is_test_cluster_conf(SYSTEM_CONF)):
        SYSTEM_CONF.unlink()  # left by an earlier run that was killed
    if SYSTEM_CONF.exists() or SYSTEM_CONF.is_symlink():
        if SYSTEM_CONF.is_symlink() and SYSTEM_CONF.resolve() == ours:
            return
        raise RuntimeError(
            f"{SYSTEM_CONF} exists: this machine has a SLURM configuration of its own "
            f"({SYSTEM_CONF.resolve()}), which the test will not replace. Run the SLURM test "
            "on a machine without one (CI's), or move it aside while the test runs.")
    SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
    SYSTEM_CONF.symlink_to(ours)


def unlink_system_conf(root: Path) -> None:
    if SYSTEM_CONF.is_symlink() and os.readlink(SYSTEM_CONF) == str(root / "etc" / "slurm.conf"):
        SYSTEM_CONF.unlink()


def _user() -> str:
    import pwd
    return pwd.getpwuid(os.geteuid()).pw_name


def _node_state(env) -> str:
    result = subprocess.run([_program("sinfo"), "-h", "-N", "-o", "%T"], env=env,
                            capture_output=True, text=True, timeout=30)
    return result.stdout.strip().rstrip("*~#").lower()


def _start_munge(root: Path, env: dict, processes: list) -> None:
    key = root / "munge" / "munge.key"
    if not key.exists():
        subprocess.run([_program("mungekey"), "--create", f"--keyfile={key}"], check=True,
                       capture_output=True)
    os.chmod(key, 0o600)
    argv = [_program("munged"), "--foreground", f"--socket={root}/munge/munge.socket",
            f"--key-file={key}", f"--pid-file={root}/run/munged.pid",
            f"--log-file={root}/log/munged.log", f"--seed-file={root}/munge/munged.seed"]
    processes.append(("munged", _spawn("munged", argv, env, root)))
    _wait_until(lambda: (root / "munge" / "munge.socket").exists(), "munged", processes, root)


def _start_mariadb(root: Path, env: dict, processes: list, ports: dict) -> None:
    datadir, sock = root / "db" / "data", root / "db" / "mysqld.sock"
    if not (datadir / "mysql").exists():
        subprocess.run([_program("mariadb-install-db"), "--no-defaults", f"--datadir={datadir}",
                        "--user=root", "--auth-root-authentication-method=normal",
                        "--skip-test-db"], check=True, capture_output=True, env=env)
    argv = [_program("mariadbd"), "--no-defaults", f"--datadir={datadir}", f"--socket={sock}",
            f"--port={ports['mariadb']}", "--bind-address=127.0.0.1", "--user=root",
            f"--pid-file={root}/run/mariadb.pid", f"--log-error={root}/log/mariadb.log",
            "--skip-log-bin", "--innodb-buffer-pool-size=64M",
            "--innodb-lock-wait-timeout=900"]
    processes.append(("mariadbd", _spawn("mariadbd", argv, env, root)))
    client = [_program("mariadb"), "--no-defaults", f"--socket={sock}", "-uroot"]
    _wait_until(lambda: _succeeds([*client, "-e", "SELECT 1"], env), "MariaDB", processes, root)
    sql = (f"CREATE USER IF NOT EXISTS '{DB_USER}'@'127.0.0.1' IDENTIFIED BY '{DB_PASSWORD}';"
           f"GRANT ALL ON slurm_acct_db.* TO '{DB_USER}'@'127.0.0.1'; FLUSH PRIVILEGES;")
    subprocess.run([*client, "-e", sql], check=True, capture_output=True, env=env)


def _cancel_all_jobs(env: dict, timeout: float = 60.0) -> None:
    subprocess.run([_program("scancel"), "--full", f"--user={_user()}"], env=env,
                   capture_output=True, timeout=30)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queue = subprocess.run([_program("squeue"), "-h", "-o", "%i"], env=env,
                               capture_output=True, text=True, timeout=30)
        if queue.returncode != 0 or not queue.stdout.strip():
            return
        time.sleep(0.5)


def _stop_processes(processes: list, root: Path, grace: float = 30.0) -> None:
    """SIGTERM each daemon we started (newest first), wait, SIGKILL what is left."""
    for _name, process in reversed(processes):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def job_step_daemons(root: Path) -> list[int]:
    """PIDs of slurmstepd processes of this cluster (they outlive slurmd if it dies first)."""
    pids = []
    marker = str(root / "etc" / "slurm.conf").encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            if not command.startswith(b"slurmstepd"):
                continue
            if marker in (entry / "environ").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def stop_cluster(cluster: Cluster) -> list[str]:
    """Cancel every job, stop the daemons, and return the names of processes still alive."""
    try:
        _cancel_all_jobs(cluster.env)
    finally:
        _stop_processes(list(cluster.processes), cluster.root)
        unlink_system_conf(cluster.root)
        left = [name for name, process in cluster.processes if process.poll() is None]
        deadline = time.monotonic() + 15
        while job_step_daemons(cluster.root) and time.monotonic() < deadline:
            time.sleep(0.5)
        left += [f"slurmstepd (pid {pid})" for pid in job_step_daemons(cluster.root)]
        os.close(cluster.lock_fd)
    return left


# ----------------------------------------------------------------------------- command line

def _main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in ("up", "down"):
        print(__doc__)
        return 2
    root = Path(argv[2]).resolve()
    if argv[1] == "up":
        cluster = start_cluster(root)
        pids = {name: process.pid for name, process in cluster.processes}
        (root / "pids.json").write_text(json.dumps(pids))
        print(f"export SLURM_CONF={cluster.slurm_conf}")
        print(f"# daemons: {pids}; stop with: python {argv[0]} down {root}")
        return 0
    pids = json.loads((root / "pids.json").read_text())
    env = client_env(root)
    _cancel_all_jobs(env)
    for name in ("slurmd", "slurmctld", "slurmdbd", "mariadbd", "munged"):
        pid = pids.get(name)
        if pid is None:
            continue
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        for _ in range(300):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
    (root / "pids.json").unlink()
    unlink_system_conf(root)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
