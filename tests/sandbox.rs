//! The lab is a sandbox: hostile lessons, steps and exercises, each run as
//! root and as `nobody`, change nothing of the machine and read none of its
//! secrets.
//!
//! Everything runs inside a throwaway outer sandbox of this test's own
//! (new mount, pid, net, uts, ipc and cgroup namespaces; `/` bound
//! read-only; tmpfs for every writable place), so that a regression harms
//! that sandbox and not the machine that runs the tests. "The machine" is
//! what this outer sandbox sees: its files, mounts, host name, network
//! links and settings, processes, a daemon's socket, a terminal's input
//! queue, an inherited descriptor, a secret in the environment.
//!
//! Each attempt prints `ESCAPED:NAME` when the forbidden thing worked; the
//! machine's state is compared before and after. The same battery, minus
//! the attempts that would reach outside even the outer sandbox, is run once
//! with `--no-sandbox`, where it must be caught: that proves the checks can
//! fail.

mod support;

use std::path::Path;
use std::process::Command;

use support::require_root;

/// One hostile attempt: a name, the shell command of a step, and whether it
/// is harmless outside the lab's sandbox when run inside the outer one (only
/// those run in the `--no-sandbox` proof).
struct Attempt {
    name: &'static str,
    command: &'static str,
    contained: bool,
}

const fn a(name: &'static str, command: &'static str, contained: bool) -> Attempt {
    Attempt { name, command, contained }
}

/// The attempts, by class. Paths under /mnt/w, /tmp, /var/tmp, /run and /opt
/// are the outer sandbox's (see `OUTER`).
const ATTEMPTS: &[Attempt] = &[
    // Files of the machine.
    a("write-etc", "echo pwned > /etc/nslab-pwned && echo ESCAPED:write-etc", false),
    a("append-tmp-canary", "echo pwned >> /tmp/canary && grep -q original /tmp/canary && echo ESCAPED:append-tmp-canary", true),
    a("fill-tmp", "head -c 8M /dev/zero > /tmp/filler && grep -q original /tmp/canary && echo ESCAPED:fill-tmp", true),
    a("write-var-tmp", "echo pwned > /var/tmp/pwned && ls /var/tmp/outer-var-canary && echo ESCAPED:write-var-tmp", true),
    a("bashrc", "echo 'echo pwned' >> /mnt/w/home/.bashrc && echo ESCAPED:bashrc", true),
    a("bashrc-home", "test -e $HOME/.outer-profile && echo ESCAPED:bashrc-home; echo 'echo pwned' >> $HOME/.bashrc", true),
    a("read-secret-file", "cat /mnt/w/secret.txt /mnt/w/home/.bashrc 2>&1 | grep -q -e secret-file-content -e original && echo ESCAPED:read-secret-file", true),
    a("write-opt", "echo pwned > /opt/outer-opt-canary && echo ESCAPED:write-opt", true),
    a("remount-rw-opt", "mount -o remount,rw,bind /opt && echo pwned > /opt/outer-opt-canary && echo ESCAPED:remount-rw-opt", true),
    a("remount-superblock", "mount -o remount,ro /opt && echo ESCAPED:remount-superblock", true),
    a("umount-var-tmp", "umount /var/tmp && echo pwned > /var/tmp/pwned && echo ESCAPED:umount-var-tmp", true),
    a("umount-tmp", "umount /tmp && echo pwned > /tmp/pwned && echo ESCAPED:umount-tmp", true),
    a("read-shadow", "grep -q '^root:' /etc/shadow && echo ESCAPED:read-shadow", false),
    a("mknod-disk", "mknod /tmp/disk b 8 0 && head -c 1 /tmp/disk >/dev/null && echo ESCAPED:mknod-disk", false),
    // Unix sockets of the machine's daemons.
    a(
        "daemon-socket",
        "python3 -c \"import socket;s=socket.socket(socket.AF_UNIX);s.connect('/run/outer-daemon.sock');s.send(b'pwned')\" && echo ESCAPED:daemon-socket",
        true,
    ),
    a(
        "abstract-socket",
        "python3 -c \"import socket;s=socket.socket(socket.AF_UNIX);s.connect('\\0outer-abstract');s.send(b'pwned')\" && echo ESCAPED:abstract-socket",
        true,
    ),
    // Pins outside the lab's /run, or after `umount /run`.
    a(
        "pin-in-tmp",
        "touch /tmp/pin && mount --bind /proc/self/ns/net /tmp/pin && findmnt /tmp/pin >/dev/null && grep -q original /tmp/canary && echo ESCAPED:pin-in-tmp",
        true,
    ),
    a(
        "pin-after-umount-run",
        "umount -l /run; mkdir -p /run/netns && touch /run/netns/p && mount --bind /proc/self/ns/net /run/netns/p; ls /run/outer-daemon.sock && echo ESCAPED:pin-after-umount-run",
        true,
    ),
    // /proc and what is under it.
    a(
        "umount-proc",
        "umount -l /proc; ls /proc | grep -q . && cat /proc/*/cmdline 2>/dev/null | tr '\\0' ' ' | grep -q outer-sentinel && echo ESCAPED:umount-proc",
        true,
    ),
    a("proc-sees-machine", "cat /proc/*/cmdline 2>/dev/null | tr '\\0' ' ' | grep -q outer-sentinel && echo ESCAPED:proc-sees-machine", true),
    a(
        "new-proc-sees-machine",
        "mkdir -p /tmp/p && mount -t proc proc /tmp/p && cat /tmp/p/*/cmdline | tr '\\0' ' ' | grep -q outer-sentinel && echo ESCAPED:new-proc-sees-machine",
        true,
    ),
    a("proc-1-root", "ls /proc/1/root/mnt/w 2>/dev/null | grep -q secret && echo ESCAPED:proc-1-root", true),
    // Settings of the machine.
    a("global-sysctl", "v=$(cat /proc/sys/vm/swappiness) && echo $v > /proc/sys/vm/swappiness && echo ESCAPED:global-sysctl", true),
    a("kernel-sysctl", "v=$(cat /proc/sys/kernel/sysrq) && echo $v > /proc/sys/kernel/sysrq && echo ESCAPED:kernel-sysctl", true),
    a("outer-ip-forward", "echo 1 > /proc/sys/net/ipv4/ip_forward; ip -o link | grep -q canary0 && echo ESCAPED:outer-ip-forward", true),
    a("sys-netdev", "echo 1280 > /sys/class/net/canary0/mtu && echo ESCAPED:sys-netdev", true),
    a("sys-sees-canary", "ls /sys/class/net /sys/devices/virtual/net 2>/dev/null | grep -q canary0 && echo ESCAPED:sys-sees-canary", true),
    a("hostname", "hostname pwned; nsenter -t 1 -u hostname pwned2; cat /proc/sys/kernel/hostname | grep -q outer-host && echo ESCAPED:hostname", true),
    a(
        "cgroup-v1-release-agent",
        "mkdir -p /tmp/cg && mount -t cgroup -o pids cgroup /tmp/cg && echo /tmp/x > /tmp/cg/release_agent && echo ESCAPED:cgroup-v1-release-agent",
        false,
    ),
    a("cgroup-outside", "mkdir -p /tmp/c2 && mount -t cgroup2 none /tmp/c2 && mkdir /tmp/c2/nslab-escape && echo ESCAPED:cgroup-outside", false),
    a("sysfs-cgroup", "ls /sys/fs/cgroup/pids 2>/dev/null | grep -q . && echo ESCAPED:sysfs-cgroup", true),
    a("load-module", "modprobe dummy 2>/dev/null && echo ESCAPED:load-module", false),
    // The terminal.
    a(
        "tiocsti-stdio",
        "python3 -c \"exec('import fcntl,termios\\nfor fd in (0,1,2):\\n  try: fcntl.ioctl(fd, termios.TIOCSTI, b\\'#\\'); print(\\'ESCAPED:tiocsti-stdio\\')\\n  except OSError: pass')\"",
        true,
    ),
    a(
        "tiocsti-dev-tty",
        "python3 -c \"import fcntl,termios,os; fd=os.open('/dev/tty', os.O_RDWR); fcntl.ioctl(fd, termios.TIOCSTI, b'#'); print('ESCAPED:tiocsti-dev-tty')\"",
        true,
    ),
    a(
        "tiocsti-pts",
        "python3 -c \"exec('import fcntl,termios,os,glob\\nfor p in glob.glob(\\'/dev/pts/[0-9]*\\'):\\n  try:\\n    fd=os.open(p, os.O_RDWR|os.O_NOCTTY); fcntl.ioctl(fd, termios.TIOCSTI, b\\'#\\'); print(\\'ESCAPED:tiocsti-pts\\')\\n  except OSError: pass')\"",
        // Without the sandbox, root may push input to every terminal of
        // the machine: never run there.
        false,
    ),
    // Descriptors and environment of whatever started nslab.
    a("inherited-fd-uts", "nsenter --uts=/proc/self/fd/7 hostname pwned-by-fd && echo ESCAPED:inherited-fd-uts", true),
    a("inherited-fd-list", "ls /proc/self/fd | grep -qx 7 && echo ESCAPED:inherited-fd-list", true),
    a("inherited-fd-mnt", "nsenter --mount=/proc/self/fd/8 ls /mnt/w | grep -q secret && echo ESCAPED:inherited-fd-mnt", true),
    a("env-secret", "env | grep -q canary-secret && echo ESCAPED:env-secret", true),
    a("environ-secret", "cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n' | grep -q canary-secret && echo ESCAPED:environ-secret", true),
    // Processes of the machine.
    a("kill-sentinel", "kill -9 $(cat /mnt/w/sentinel.pid 2>/dev/null || echo 999999) 2>/dev/null && echo ESCAPED:kill-sentinel", true),
    a("ptrace-visible", "ps -e -o args= | grep -q outer-sentinel && echo ESCAPED:ptrace-visible", true),
    // /proc/sys: only the lab's own namespaces' settings are writable (net,
    // user, mqueue, the ipc/uts/pid ones under kernel/, pid_max being per pid
    // namespace since Linux 6.14); the kernel refuses the rest to the lab's root.
    a(
        "proc-sys-writable",
        "find /proc/sys -type f -writable 2>/dev/null | grep -v -E '^/proc/sys/(net|user|fs/mqueue)/|^/proc/sys/kernel/(hostname|domainname|shm[a-z_]*|msg[a-z_]*|sem|sem_next_id|auto_msgmni|ns_last_pid|pid_max)$' | sed 's/^/ESCAPED:proc-sys-writable /'",
        true,
    ),
    // Limits.
    // The lab's own cgroup (as root): the lab may mount its hierarchies, where
    // its cgroup is the root, but not raise its limits or make cgroups in it.
    a(
        "raise-cgroup-limits",
        "mkdir -p /tmp/cm /tmp/cp; mount -t cgroup -o memory none /tmp/cm; mount -t cgroup -o pids none /tmp/cp; \
         echo 99999999999 > /tmp/cm/memory.limit_in_bytes && echo ESCAPED:raise-cgroup-limits; \
         echo max > /tmp/cp/pids.max && echo ESCAPED:raise-cgroup-limits; mkdir /tmp/cm/sub && echo ESCAPED:raise-cgroup-limits; true",
        false,
    ),
    a("fork-many", "n=0; for i in $(seq 1500); do sleep 20 & n=$((n+1)); done 2>/dev/null; [ $(ps -e | wc -l) -gt 600 ] && echo ESCAPED:fork-many; true", true),
    a("big-file", "head -c 600M /dev/zero > /tmp/big 2>/dev/null && echo ESCAPED:big-file; rm -f /tmp/big", true),
    a("big-memory", "python3 -c \"b = bytearray(3 << 30); print('ESCAPED:big-memory')\" 2>/dev/null", true),
    a("many-files", "python3 -c \"fs=[open('/dev/null') for _ in range(20000)]; print('ESCAPED:many-files')\" 2>/dev/null", true),
];

/// Attempts that end the lab's processes or its view: each runs in a lesson
/// of its own, after which the machine is looked at.
const ENDINGS: &[Attempt] = &[
    a("kill-everything", "eval \"kill -9 -\"\"1\"; sleep 1; echo done", true),
    a("reboot-pid-ns", "python3 -c \"import ctypes; ctypes.CDLL(None).reboot(0x4321fedc)\"; sleep 1", true),
    a("mount-over-root", "m=mount; $m -t tmpfs none /; ls /", true),
];

/// The outer sandbox: run by `unshare` as root, it sets the machine up,
/// snapshots it, runs nslab on the lessons as root and as nobody, and
/// snapshots it again. Arguments: the work folder and nslab's extra flags.
const OUTER: &str = r#"
set -u
W=$1; shift
FLAGS="$*"
mount --make-rprivate /
hostname outer-host
ip link set lo up
ip link add canary0 type dummy && ip link set canary0 mtu 1400
echo 0 > /proc/sys/net/ipv4/ip_forward
# The machine's writable places, private to this sandbox.
mount -t tmpfs outer-mnt /mnt && mkdir -p /mnt/w /mnt/out && cp -a "$W"/. /mnt/w/ && chmod 755 /mnt/w
mount -t tmpfs -o mode=1777 outer-tmp /tmp
mount -t tmpfs outer-run /run
mount -t tmpfs -o mode=1777 outer-vartmp /var/tmp
mount -t tmpfs outer-opt /opt
echo original > /tmp/canary
echo outer > /var/tmp/outer-var-canary
echo secret-file-content > /mnt/w/secret.txt
echo system-file-content > /opt/outer-opt-canary
mkdir -p /mnt/w/home && chmod 1777 /mnt/out && echo original > /mnt/w/home/.bashrc && touch /mnt/w/home/.outer-profile
chmod -R a+rX /mnt/w
# Everything else of the machine read-only (a bind remount: this mount only).
mount -o remount,bind,ro /
# A daemon's sockets: whoever reaches them leaves a mark.
python3 -c "
import socket, os
a = socket.socket(socket.AF_UNIX); a.bind('/run/outer-daemon.sock'); os.chmod('/run/outer-daemon.sock', 0o777); a.listen(8)
b = socket.socket(socket.AF_UNIX); b.bind('\0outer-abstract'); b.listen(8)
import select
while True:
    r, _, _ = select.select([a, b], [], [])
    for s in r:
        c, _ = s.accept(); open('/mnt/w/daemon-contacted', 'a').write('x')
" &
DAEMON=$!
sh -c 'exec -a outer-sentinel sleep 1000' &
echo $! > /mnt/w/sentinel.pid
for i in $(seq 100); do [ -S /run/outer-daemon.sock ] && break; sleep 0.05; done
snapshot() {
  echo "hostname $(hostname) $(cat /proc/sys/kernel/domainname)"
  ip -o link | cut -d' ' -f2-5 | sed 's/@[^:]*//'
  echo "ip_forward $(cat /proc/sys/net/ipv4/ip_forward) swappiness $(cat /proc/sys/vm/swappiness) sysrq $(cat /proc/sys/kernel/sysrq)"
  cat /sys/fs/cgroup/*/release_agent 2>/dev/null | sed 's/^/release_agent /'
  ls /sys/fs/cgroup/pids /sys/fs/cgroup/unified 2>/dev/null | grep -i nslab-escape
  cut -d' ' -f5,6,9- /proc/self/mountinfo | sort
  for f in /tmp /var/tmp /run /mnt/w /mnt/w/home /opt /etc; do echo "== $f"; ls -A "$f"; done
  cat /tmp/canary /var/tmp/outer-var-canary /opt/outer-opt-canary /mnt/w/home/.bashrc
  ls /mnt/w/daemon-contacted 2>/dev/null
  ps -e -o args= | grep -v -e '^ps ' -e '^cut ' -e '^sort' -e 'snapshot' | sort
}
snapshot > /mnt/out/before
# What whatever started nslab leaves open: descriptors to the machine's
# namespaces, and a secret in the environment.
exec 7</proc/self/ns/uts 8</proc/self/ns/mnt
export AWS_SECRET_ACCESS_KEY=canary-secret-123 NSLAB_SECRET=canary-secret-456
cd /mnt/w
for who in root nobody; do
  for l in lessons/*.md; do
    if [ $who = root ]; then run=""; else run="setpriv --reuid=65534 --regid=65534 --clear-groups --"; fi
    # On a terminal of its own, whose input queue is read afterwards.
    HOME=/mnt/w/home XDG_STATE_HOME=/mnt/out/state-$who python3 /mnt/w/pty.py $run ./nslab run --yes --timeout 8 $FLAGS "$l" >> /mnt/out/out-$who 2>&1
  done
done
exec 7<&- 8<&-
snapshot > /mnt/out/after
kill $DAEMON 2>/dev/null; wait $DAEMON 2>/dev/null
echo "=== before"; cat /mnt/out/before
echo "=== after"; cat /mnt/out/after
echo "=== output"; cat /mnt/out/out-root /mnt/out/out-nobody
"#;

/// Runs a command on a new pseudo-terminal (its controlling terminal), and
/// reports what is left in the terminal's input queue afterwards: input
/// pushed with TIOCSTI would be read by the learner's shell once nslab exits.
const PTY: &str = r#"
import fcntl, os, struct, subprocess, sys, termios
m, s = os.openpty()
def ctty():
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
p = subprocess.Popen(sys.argv[1:], stdin=s, stdout=sys.stdout, stderr=sys.stderr, preexec_fn=ctty)
p.wait()
n = struct.unpack('i', fcntl.ioctl(s, termios.FIONREAD, b'\0\0\0\0'))[0]
print(f"terminal-input-queue {n}")
"#;

/// A lesson of one step per attempt.
fn lesson(id: &str, attempts: &[&Attempt]) -> String {
    let mut text = format!("---\nid: {id}\ntitle: Hostile steps\n---\n\n# Hostile steps\n\n");
    for at in attempts {
        text.push_str(&format!("```nslab\nid: {}\ntimeout: 10s\nrun: {}\nexpect: host uts same\n```\n\n", at.name, at.command));
    }
    text
}

/// An exercise whose reference solution and probe are hostile: they run in
/// the lab as a learner's shell would.
const HOSTILE_EXERCISE: &str = "---\nid: hostile-exercise\ntitle: A hostile exercise\n---\n\n# A hostile exercise\n\n\
```nslab exercise\ngoal: anything\nsolution: echo pwned >> /tmp/canary; echo pwned >> /mnt/w/home/.bashrc; hostname pwned; env | grep -q canary-secret && echo ESCAPED:exercise-env; check\n\
probe: ls /mnt/w 2>/dev/null | grep -q secret && echo ESCAPED:exercise-probe; echo probed\nexpect: stdout: probed\n```\n";

/// An exercise whose learner leaves a user namespace with no map: nslab's
/// probe joins it as the lab's root, never as the worker (root on the
/// machine, when nslab runs as root).
const HOSTILE_PROBE: &str = "---\nid: hostile-probe\ntitle: A probe in an unmapped user namespace\n---\n\n# A probe\n\n\
```nslab exercise\ngoal: anything\nsolution: unshare --user sh -c check\n\
probe: grep -q '^root:' /etc/shadow && echo ESCAPED:probe-as-machine-root; touch /etc/probe-was-here && echo ESCAPED:probe-writes-etc; echo probed\nexpect: stdout: probed\n```\n";

/// Runs the battery in a fresh outer sandbox with `flags`; returns the
/// (before, after, output) sections.
fn run_outer(attempts: &[&Attempt], flags: &[&str]) -> (String, String, String) {
    let work = tempfile::Builder::new().prefix("nslab-sandbox-test-").tempdir().unwrap();
    let w = work.path();
    support::set_mode(w, 0o755);
    std::fs::create_dir(w.join("lessons")).unwrap();
    std::fs::copy(support::nslab_path(), w.join("nslab")).unwrap();
    std::fs::write(w.join("pty.py"), PTY).unwrap();
    std::fs::write(w.join("lessons/10-hostile.md"), lesson("hostile", attempts)).unwrap();
    let endings: Vec<&Attempt> = ENDINGS.iter().filter(|e| flags.is_empty() || e.contained).collect();
    for (i, e) in endings.iter().enumerate() {
        std::fs::write(w.join(format!("lessons/2{i}-{}.md", e.name)), lesson(e.name, &[e])).unwrap();
    }
    if flags.is_empty() {
        std::fs::write(w.join("lessons/30-exercise.md"), HOSTILE_EXERCISE).unwrap();
        std::fs::write(w.join("lessons/31-probe.md"), HOSTILE_PROBE).unwrap();
    }
    let out = Command::new("unshare")
        .args(["--mount", "--uts", "--ipc", "--net", "--pid", "--cgroup", "--fork", "--mount-proc", "--kill-child", "--", "bash", "-c", OUTER, "outer"])
        .arg(w)
        .args(flags)
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .expect("running the outer sandbox");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let section = |name: &str| {
        let start = text.find(&format!("=== {name}\n")).map(|i| i + name.len() + 5);
        let start = start.unwrap_or_else(|| panic!("no {name} section; stdout:\n{text}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr)));
        let end = text[start..].find("\n=== ").map_or(text.len(), |e| start + e + 1);
        text[start..end].to_string()
    };
    (section("before"), section("after"), section("output"))
}

fn escapes(output: &str) -> Vec<String> {
    let mut names: Vec<String> = output
        .split("ESCAPED:")
        .skip(1)
        .map(|rest| rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect())
        // The command lines themselves are echoed in reports: only output
        // lines count, which hold the name alone.
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Names whose marker was printed by a command (a line of output that
/// starts with the marker, as the reports show command output), not the
/// command text.
fn printed_escapes(output: &str) -> Vec<String> {
    let lines: Vec<&str> = output.lines().filter(|l| l.trim_start_matches(['│', ' ', '"', '|']).starts_with("ESCAPED:")).collect();
    escapes(&lines.join("\n"))
}

fn diff(before: &str, after: &str) -> Vec<String> {
    let b: std::collections::BTreeSet<&str> = before.lines().collect();
    let a: std::collections::BTreeSet<&str> = after.lines().collect();
    b.symmetric_difference(&a).map(|l| if b.contains(l) { format!("- {l}") } else { format!("+ {l}") }).collect()
}

#[test]
fn hostile_lessons_change_nothing_as_root_and_as_nobody() {
    if !require_root("hostile_lessons_change_nothing_as_root_and_as_nobody") {
        return;
    }
    assert!(ATTEMPTS.len() + ENDINGS.len() + 3 >= 40, "at least 40 hostile attempts");
    let all: Vec<&Attempt> = ATTEMPTS.iter().collect();
    let (before, after, output) = run_outer(&all, &[]);
    if let Some(log) = std::env::var_os("NSLAB_SANDBOX_TEST_LOG") {
        std::fs::write(log, &output).unwrap();
    }
    let escaped = printed_escapes(&output);
    let changed = diff(&before, &after);
    assert!(
        escaped.is_empty() && changed.is_empty(),
        "the sandbox let these through: {escaped:?}\nthe machine changed:\n{}\n--- output ---\n{output}",
        changed.join("\n")
    );
    // Every lesson ran, as both users: the attempts were made, not refused.
    let ran = output.matches("hostile: ").count();
    assert_eq!(ran, 2, "the hostile lesson ran once as root and once as nobody:\n{output}");
    assert!(!output.contains("cannot run here"), "a lesson could not run:\n{output}");
    assert!(
        output.lines().filter(|l| l.starts_with("terminal-input-queue ")).all(|l| l == "terminal-input-queue 0"),
        "input was pushed to the terminal:\n{output}"
    );
    assert!(!output.contains("canary-secret-123") && !output.contains("canary-secret-456"), "a secret of the environment reached the lab:\n{output}");
}

/// The same checks catch a lab without the sandbox: they can fail.
#[test]
fn without_the_sandbox_the_same_attempts_get_through() {
    if !require_root("without_the_sandbox_the_same_attempts_get_through") {
        return;
    }
    let contained: Vec<&Attempt> = ATTEMPTS.iter().filter(|a| a.contained).collect();
    let (before, after, output) = run_outer(&contained, &["--no-sandbox"]);
    let escaped = printed_escapes(&output);
    let changed = diff(&before, &after);
    // As root, without a user namespace or a root of its own, a step writes
    // the machine's files, reads its secrets and processes, and changes its
    // settings.
    for expected in
        ["append-tmp-canary", "bashrc", "read-secret-file", "global-sysctl", "write-var-tmp", "proc-sees-machine", "remount-superblock", "proc-sys-writable"]
    {
        assert!(escaped.iter().any(|e| e == expected), "{expected} was not caught without the sandbox: {escaped:?}\n{output}");
    }
    assert!(!changed.is_empty(), "nothing changed without the sandbox:\n{output}");
    assert!(Path::new("/tmp").exists());
}

/// An ordinary user with subordinate ids (`/etc/subuid`, `/etc/subgid`)
/// gets them in the lab through `newuidmap` and `newgidmap`, as rootless
/// podman does: 65,537 ids, not one. The two files are replaced in a mount
/// namespace of this test's own, never on the machine.
#[test]
fn a_user_with_subordinate_ids_gets_them_in_the_lab() {
    if !require_root("a_user_with_subordinate_ids_gets_them_in_the_lab") {
        return;
    }
    assert!(Path::new("/usr/bin/newuidmap").exists() || std::env::var_os("CI").is_none(), "CI installs uidmap (newuidmap)");
    if !Path::new("/usr/bin/newuidmap").exists() {
        eprintln!("skipping: newuidmap is not installed (Debian: uidmap)");
        return;
    }
    let work = tempfile::Builder::new().prefix("nslab-subid-test-").tempdir().unwrap();
    let w = work.path();
    support::set_mode(w, 0o755);
    std::fs::copy(support::nslab_path(), w.join("nslab")).unwrap();
    std::fs::write(w.join("subuid"), "nobody:200000:65536\n").unwrap();
    std::fs::write(w.join("subgid"), "nobody:300000:65536\n").unwrap();
    let lesson = "---\nid: subid\ntitle: Subordinate ids\n---\n\n```nslab\nrun: cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //'; unshare --user --map-user=1234 id -u\nexpect: stdout:\n| 0 0 1\n| 1 1 65536\n| 1234\n```\n";
    std::fs::write(w.join("subid.md"), lesson).unwrap();
    for f in ["subuid", "subgid", "subid.md"] {
        support::set_mode(&w.join(f), 0o644);
    }
    let script = format!(
        "mount --make-rprivate / && touch /etc/subuid /etc/subgid 2>/dev/null; mount --bind {w}/subuid /etc/subuid && mount --bind {w}/subgid /etc/subgid && \
         cd {w} && HOME={w} XDG_STATE_HOME={w} setpriv --reuid=65534 --regid=65534 --clear-groups ./nslab run --yes subid.md",
        w = w.display()
    );
    let out = Command::new("unshare").args(["--mount", "--", "sh", "-c", &script]).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.contains("subid: 1 passed"), "{text}");
}

/// `kill -9` of nslab in the middle of a lesson leaves no process of the lab
/// behind: the worker dies with nslab, and the lab's init, whose ids changed
/// when it became the lab's root (which clears a parent-death signal), dies
/// with the worker. Judged in a pid namespace of this test's own.
#[test]
fn killing_nslab_leaves_no_process_of_the_lab() {
    if !require_root("killing_nslab_leaves_no_process_of_the_lab") {
        return;
    }
    let work = tempfile::Builder::new().prefix("nslab-kill-test-").tempdir().unwrap();
    let w = work.path();
    support::set_mode(w, 0o755);
    std::fs::copy(support::nslab_path(), w.join("nslab")).unwrap();
    let lesson = "---\nid: slow\ntitle: Slow\n---\n\n```nslab\nstart box: uts net\nexpect: box uts differs from host\n```\n\n```nslab\nrun: sleep 30\nexpect: status 0\n```\n";
    std::fs::write(w.join("slow.md"), lesson).unwrap();
    support::set_mode(&w.join("slow.md"), 0o644);
    for who in ["", "setpriv --reuid=65534 --regid=65534 --clear-groups"] {
        let script = format!(
            "cd {w} && HOME={w} XDG_STATE_HOME={w} {who} ./nslab run --yes slow.md >/dev/null 2>&1 & \
             for i in $(seq 100); do ps -e -o args= | grep -q '^sleep 30' && break; sleep 0.05; done; \
             ps -e -o args= | grep -c '^/proc/self/exe lab-init'; kill -9 $!; sleep 1; echo left; ps -e -o args= | grep -c -e '^/proc/self/exe lab-init' -e '^sleep 30$'",
            w = w.display()
        );
        let out = Command::new("unshare").args(["--pid", "--fork", "--mount-proc", "--", "sh", "-c", &script]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (during, after) = text.split_once("left\n").unwrap_or_else(|| panic!("{who:?}: {text}"));
        assert!(during.trim().parse::<u32>().unwrap_or(0) >= 2, "{who:?}: the lab was not running: {text}");
        assert_eq!(after.trim(), "0", "{who:?}: processes of the lab were left behind:\n{text}");
    }
}

/// As root, the lab has a cgroup of its own: its memory is bounded as a
/// whole (three processes of 400 MiB, each well within its own address
/// space limit, cannot all live under the lab's 1 GiB), the kernel shows
/// the lab's processes in it while the lesson runs, and it is gone after.
/// Run in a pid, mount and cgroup namespace of the test's own.
#[test]
fn as_root_the_lab_has_a_cgroup_that_bounds_it_as_a_whole() {
    if !require_root("as_root_the_lab_has_a_cgroup_that_bounds_it_as_a_whole") {
        return;
    }
    let work = tempfile::Builder::new().prefix("nslab-cgroup-test-").tempdir().unwrap();
    let w = work.path();
    support::set_mode(w, 0o755);
    std::fs::copy(support::nslab_path(), w.join("nslab")).unwrap();
    let hog = "python3 -c \\\"b = b'x' * (400 << 20); import time; time.sleep(2)\\\"";
    let lesson = format!(
        "---\nid: together\ntitle: Together\n---\n\n```nslab\nrun: sleep 1; n=0; pids=; for i in 1 2 3; do sh -c \"{hog}\" & pids=\"$pids $!\"; done; \
         for p in $pids; do wait $p || n=$((n+1)); done; echo killed=$n\nexpect: status 0\n```\n"
    );
    std::fs::write(w.join("together.md"), lesson).unwrap();
    // While the step runs, the lab's init and its step are members of the
    // lab's cgroups, which carry the limits (ours: the ones with members
    // this pid namespace can see; other tests' labs may be beside them).
    // A stale one, named for a worker that does not exist, is put beside
    // them. Afterwards ours are gone, and the next lab sweeps the stale one.
    let script = format!(
        "cd {w} && (./nslab run --yes together.md > {w}/out.txt 2>&1; touch {w}/done) & \
         sleep 0.5; ours=; for d in $(find /sys/fs/cgroup -maxdepth 4 -type d -name 'nslab-lab-*'); do \
           [ -n \"$(cat $d/cgroup.procs)\" ] || continue; ours=\"$ours $d\"; \
           echo \"cgroup $(cat $d/memory.limit_in_bytes $d/memory.max $d/pids.max 2>/dev/null) members $(wc -l < $d/cgroup.procs)\"; \
           mkdir $(dirname $d)/nslab-lab-999999-1 && touch -d \"1 min ago\" $(dirname $d)/nslab-lab-999999-1; done; \
         for i in $(seq 300); do [ -e {w}/done ] && break; sleep 0.1; done; cat {w}/out.txt; \
         echo left; for d in $ours; do ls -d $d 2>/dev/null; done; \
         {w}/nslab run --yes {w}/together.md >{w}/out2.txt 2>&1; for d in $ours; do ls -d $(dirname $d)/nslab-lab-999999-1 2>/dev/null; done; echo ===; cat {w}/out2.txt",
        w = w.display()
    );
    let out = Command::new("unshare").args(["--pid", "--mount", "--cgroup", "--fork", "--mount-proc", "--", "sh", "-c", &script]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (during, after) = text.split_once("left\n").unwrap_or_else(|| panic!("{text}\n{}", String::from_utf8_lossy(&out.stderr)));
    let (after, second) = after.split_once("===\n").unwrap_or((after, ""));
    let cgroups: Vec<&str> = during.lines().filter(|l| l.starts_with("cgroup ")).collect();
    assert!(!cgroups.is_empty(), "no cgroup of the lab's while it ran:\n{text}");
    for line in &cgroups {
        let members: u32 = line.rsplit(' ').next().unwrap_or("0").parse().unwrap_or(0);
        assert!(members >= 2, "the lab's processes are not in its cgroup: {line}\n{text}");
        assert!(line.contains("1073741824") || line.contains("512"), "no limit on the lab's cgroup: {line}");
    }
    let killed = during.lines().find_map(|l| l.trim().strip_prefix("│ killed=")).unwrap_or_else(|| panic!("no count of killed hogs:\n{text}"));
    assert!(killed.parse::<u32>().unwrap_or(0) >= 1, "three hogs of 400 MiB all lived in a lab of 1 GiB:\n{text}");
    assert_eq!(after.trim(), "", "the lab's cgroup, or the stale one, was left behind:\n{text}");
    assert!(second.contains("together: 1 passed"), "the second lab did not run:\n{second}");
}
