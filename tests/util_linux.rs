//! Differential test: `nslab lsns|unshare|nsenter` against util-linux's own
//! `lsns`, `unshare` and `nsenter`, run with the same arguments on the same
//! namespaces, comparing exit code, stdout (byte for byte unless a case says
//! what it masks) and what stderr says. Cases for options newer than the
//! machine's util-linux (2.38.1 when this was written) compare nslab against
//! the output util-linux's current source and test suite expect, written
//! down here.
//!
//! Everything runs in a throwaway sandbox of this test's own: new mount,
//! pid, net, uts and ipc namespaces with their own /proc, /run and /tmp, so
//! lsns sees only the processes this test started, `ip netns add` touches no
//! host file, and nothing outlives the sandbox's init (this test).
//!
//! A plain `fn main` (harness = false): the same binary is the outer test,
//! the sandbox's init that runs the cases (`--inner`), and the small helper
//! processes some cases need (`--helper NAME`).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const NSLAB: &str = env!("CARGO_BIN_EXE_nslab");

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--inner") => inner(),
        Some("--helper") => helper(&args[2..]),
        // libtest's protocol, for runners that list tests first.
        _ if args.iter().any(|a| a == "--list") => {
            println!("util_linux: test");
            ExitCode::SUCCESS
        }
        _ => outer(),
    }
}

/// Starts the sandbox and reports what its init found.
fn outer() -> ExitCode {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        if std::env::var_os("CI").is_some() {
            eprintln!("util_linux: needs root, and CI must run it as root");
            return ExitCode::FAILURE;
        }
        eprintln!("util_linux: skipped (needs root; run the tests as root)");
        return ExitCode::SUCCESS;
    }
    let version = Command::new("lsns").arg("--version").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default();
    let start = Instant::now();
    let me = std::env::current_exe().expect("own path");
    let child = Command::new("unshare")
        .args(["--mount", "--pid", "--net", "--uts", "--ipc", "--fork", "--mount-proc", "--kill-child", "--propagation", "private"])
        .arg(&me)
        .arg("--inner")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the sandbox with util-linux unshare");
    let out = wait_bounded(child, Duration::from_secs(120));
    print!("{}", out.stdout);
    eprint!("{}", out.stderr);
    println!("util_linux: against {version}, {:.1} s", start.elapsed().as_secs_f64());
    if out.code == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// What a finished command gave.
#[derive(Debug, Clone)]
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Waits at most `limit`, then kills; a killed run reports code -9.
fn wait_bounded(mut child: Child, limit: Duration) -> Out {
    let mut so = child.stdout.take();
    let mut se = child.stderr.take();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = so.as_mut() {
            let _ = p.read_to_string(&mut s);
        }
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = se.as_mut() {
            let _ = p.read_to_string(&mut s);
        }
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().expect("waiting") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break child.wait().expect("reaping");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    use std::os::unix::process::ExitStatusExt;
    let code = status.code().unwrap_or_else(|| -status.signal().unwrap_or(0));
    Out { code, stdout: t_out.join().unwrap_or_default(), stderr: t_err.join().unwrap_or_default() }
}

/// Runs a command line, with a 20 s bound.
fn run(argv: &[String]) -> Out {
    let child = Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir("/tmp")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{argv:?}: {e}"));
    wait_bounded(child, Duration::from_secs(20))
}

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_string).collect()
}

// ---------------------------------------------------------------------------
// The cases.
// ---------------------------------------------------------------------------

/// What a case must show for stderr: nothing, or text that names these.
#[derive(Clone, Copy)]
enum Err<'a> {
    /// Empty.
    Empty,
    /// Both non-empty, each mentioning every one of these.
    Names(&'a [&'a str]),
}

struct Suite {
    cases: usize,
    failures: Vec<String>,
}

impl Suite {
    fn fail(&mut self, name: &str, why: String) {
        self.failures.push(format!("--- {name}\n{why}"));
    }

    fn check_err(&mut self, name: &str, who: &str, stderr: &str, err: Err) -> bool {
        let ok = match err {
            Err::Empty => stderr.is_empty(),
            Err::Names(needles) => !stderr.is_empty() && needles.iter().all(|n| stderr.contains(n)),
        };
        if !ok {
            self.fail(name, format!("{who} stderr does not say what it should:\n{stderr}"));
        }
        ok
    }

    /// util-linux `tool args` and `nslab tool args`, compared after `mask`.
    fn same_with(&mut self, name: &str, tool: &str, args: &[String], err: Err, mask: &dyn Fn(&str) -> String) {
        self.cases += 1;
        let mut ul = vec![tool.to_string()];
        ul.extend(args.iter().cloned());
        let mut ours = vec![NSLAB.to_string(), tool.to_string()];
        ours.extend(args.iter().cloned());
        let (a, b) = (run(&ul), run(&ours));
        if a.code != b.code {
            self.fail(name, format!("exit code: util-linux {} nslab {}\nutil-linux stderr: {}nslab stderr: {}", a.code, b.code, a.stderr, b.stderr));
            return;
        }
        let (sa, sb) = (mask(&a.stdout), mask(&b.stdout));
        if sa != sb {
            self.fail(name, format!("stdout differs\n=== util-linux\n{sa}=== nslab\n{sb}==="));
            return;
        }
        if self.check_err(name, "util-linux", &a.stderr, err) {
            self.check_err(name, "nslab", &b.stderr, err);
        }
    }

    fn same(&mut self, name: &str, tool: &str, args: &str, err: Err) {
        self.same_with(name, tool, &words(args), err, &|s| s.to_string());
    }

    /// `nslab tool args` against what util-linux's current source prints.
    fn expect(&mut self, name: &str, argv: &[String], code: i32, stdout: &str) {
        self.cases += 1;
        let mut ours = vec![NSLAB.to_string()];
        ours.extend(argv.iter().cloned());
        let b = run(&ours);
        if b.code != code || b.stdout != stdout {
            self.fail(name, format!("expected exit {code} and {stdout:?}\ngot exit {} and {:?}\nstderr: {}", b.code, b.stdout, b.stderr));
        }
    }
}

/// A process this test started and waits on: killed when dropped.
struct Helper {
    child: Child,
    /// The first line it printed.
    line: String,
}

impl Helper {
    fn start(argv: &[&str]) -> Helper {
        let mut child = Command::new(argv[0])
            .args(&argv[1..])
            .current_dir("/tmp")
            .env("ULTEST", "inside")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("{argv:?}: {e}"));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("helper's first line");
        Helper { child, line: line.trim().to_string() }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The pid of its only child (the program util-linux unshare forked),
    /// once that has become `sleep`.
    fn child_pid(&self) -> u32 {
        let pid = self.pid();
        let text = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).expect("children");
        let child = text.split_whitespace().next().and_then(|p| p.parse().ok()).expect("a forked child");
        wait_for_sleep(child);
        child
    }
}

/// Waits until `pid` has exec'd `sleep` (the helpers say ready just before).
fn wait_for_sleep(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim() != "sleep" {
        assert!(Instant::now() < deadline, "pid {pid} never became sleep");
        std::thread::sleep(Duration::from_millis(1));
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ino(path: &str) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{path}: {e}")).ino()
}

fn sh(script: &str) {
    let out = run(&["sh".to_string(), "-c".to_string(), script.to_string()]);
    assert_eq!(out.code, 0, "{script}: {}", out.stderr);
}

/// Masks `ps -ef`'s start time and CPU time, which no two runs share.
fn mask_ps(text: &str) -> String {
    text.lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split_whitespace().collect();
            if f.len() > 7 {
                f[4] = "STIME";
                f[6] = "TIME";
            }
            f.join(" ") + "\n"
        })
        .collect()
}

/// The sandbox's init: prepares namespaces to look at, runs every case.
fn inner() -> ExitCode {
    // Private, empty /run and /tmp: `ip netns add` and pins land here only.
    // The binaries under test stay reachable when the checkout is under /tmp
    // (their folder is bound back into the new, empty /tmp).
    let built = Path::new(NSLAB).parent().expect("a folder");
    let keep = match built.strip_prefix("/tmp") {
        Ok(rel) => format!("mkdir -p {0} && mount --bind /run/outer-tmp/{1} {0} && ", built.display(), rel.display()),
        Err(_) => String::new(),
    };
    sh(&format!(
        "mount -t tmpfs ul-run /run && mkdir /run/outer-tmp && mount --bind /tmp /run/outer-tmp && mount -t tmpfs ul-tmp /tmp && {keep}\
         umount -l /run/outer-tmp && rmdir /run/outer-tmp && ip link set lo up && hostname ul-sandbox"
    ));
    let mut s = Suite { cases: 0, failures: Vec::new() };

    // A process in new uts, ipc, net, mount, pid and cgroup namespaces.
    let boxed = Helper::start(&[
        "unshare",
        "-u",
        "-i",
        "-n",
        "-m",
        "-p",
        "-C",
        "--fork",
        "--kill-child",
        "sh",
        "-c",
        "hostname inner-host; echo ready; exec sleep 1000",
    ]);
    let t = boxed.child_pid();
    // A process in a new user and pid namespace, mapped to root there.
    let user = Helper::start(&["unshare", "-U", "-r", "-p", "--mount-proc", "--fork", "--kill-child", "sh", "-c", "echo ready; exec sleep 1000"]);
    let u = user.child_pid();

    // ---- lsns: util-linux's formats, byte for byte --------------------------
    // First with namespaces that processes hold (2.38 lists nothing else).
    for args in [
        "",
        "-l",
        "-J",
        "-r",
        "-n -n",
        "-l -o NS,TYPE,PATH,NPROCS,PID,PPID,COMMAND,UID,USER,NETNSID,NSFS",
        "-T",
        "--tree=owner",
        "--tree=process",
        "--tree=parent",
        "-Tparent -J",
        "-T -J",
        "-T=owner -t user -t pid",
        "-l -t user -t pid -o NS,TYPE,PNS,ONS",
        "--output-all -l",
        "-J -l -t user -o NS,NPROCS,USER,UID",
        "-u -l -t uts",
        "-l -o +PPID",
        "-p 999999",
        "-J -p 999999",
    ] {
        s.same(&format!("lsns {args}"), "lsns", args, Err::Empty);
    }
    // A net namespace with two nsfs mounts and a process, and one with a
    // NETNSID and nothing but a mount.
    sh("ip netns add ul-a && touch /run/ul-pin && mount --bind /run/netns/ul-a /run/ul-pin && ip netns add ul-b && ip netns set ul-b 7");
    let in_a = Helper::start(&["ip", "netns", "exec", "ul-a", "sh", "-c", "echo ready; exec sleep 1000"]);
    let a_pid = in_a.child.id();
    wait_for_sleep(a_pid);
    for args in ["-t net", "-t net -t uts", "-t net -W", "-t net -r", "-t net -J", "-t net -l -o NS,TYPE,PATH,NPROCS,PID,PPID,COMMAND,UID,USER,NETNSID,NSFS"] {
        s.same(&format!("lsns {args} -p PID"), "lsns", &format!("{args} -p {a_pid}"), Err::Empty);
    }
    // Master lists namespaces held only by a mount (ts/lsns/nsfs, -P).
    let b_ino = ino("/run/netns/ul-b");
    s.expect("lsns -P", &words("lsns -P -n -l -t net -o NS,NPROCS,PID,USER,NETNSID,NSFS"), 0, &format!("{b_ino}      0     root       7 /run/netns/ul-b\n"));
    s.same(&format!("lsns -p {t}"), "lsns", &format!("-p {t}"), Err::Empty);
    s.same(&format!("lsns -J -p {u}"), "lsns", &format!("-J -p {u}"), Err::Empty);
    let t_uts = ino(&format!("/proc/{t}/ns/uts"));
    s.same("lsns NAMESPACE", "lsns", &t_uts.to_string(), Err::Empty);
    s.same("lsns -l NAMESPACE", "lsns", &format!("-l -o PID,NS,TYPE {t_uts}"), Err::Empty);
    // ts/lsns/nsfs: both mounts of one namespace, one per line (or with commas).
    s.same("lsns nsfs per line", "lsns", &format!("-n -o NSFS --type net --task {a_pid}"), Err::Empty);
    s.same("lsns nsfs nowrap", "lsns", &format!("-n -o NSFS --nowrap --type net --task {a_pid}"), Err::Empty);
    // ts/lsns/ioctl_ns: ownership and hierarchy of a child user and pid namespace.
    let (cu, cp) = (ino(&format!("/proc/{u}/ns/user")), ino(&format!("/proc/{u}/ns/pid")));
    let uniq = |t: &str| {
        let mut lines: Vec<&str> = t.lines().collect();
        lines.dedup();
        lines.join("\n")
    };
    s.same_with("lsns ioctl_ns user", "lsns", &words(&format!("--type user --noheadings --output NS,PNS,ONS {cu}")), Err::Empty, &uniq);
    s.same_with("lsns ioctl_ns pid", "lsns", &words(&format!("-t pid -n -o NS,PNS,ONS {cp}")), Err::Empty, &uniq);
    // Bad input: exit 1, and the message names the problem.
    s.same("lsns -t bogus", "lsns", "-t bogus", Err::Names(&["bogus"]));
    s.same("lsns --bogus", "lsns", "--bogus", Err::Names(&["bogus"]));
    s.same("lsns -o NS,BOGUS", "lsns", "-o NS,BOGUS", Err::Names(&["BOGUS"]));
    s.same("lsns -T owner", "lsns", "-T owner", Err::Names(&["owner"]));
    s.same("lsns 12345", "lsns", "12345", Err::Names(&["12345"]));

    // ---- unshare ---------------------------------------------------------------
    for args in [
        "-r id",
        "-r -r --map-root-user id",
        "-u sh -c hostname~x;hostname",
        "-c id -u",
        "--map-user=1000 --map-group=1000 id",
        "-U --map-user=0 cat /proc/self/uid_map",
        "-U --setgroups=deny cat /proc/self/setgroups",
        "-U --setgroups allow cat /proc/self/setgroups",
        "-r -R / -w /tmp pwd",
        "-m --propagation slave findmnt -n -o PROPAGATION /",
        "-m --propagation unchanged findmnt -n -o PROPAGATION /",
        "--kill-child=SIGTERM -p true",
        "-p -f --mount-proc --kill-child=TERM readlink /proc/self",
        "--map-user=1000 --keep-caps grep CapAmb /proc/self/status",
        "-r --keep-caps grep CapAmb /proc/self/status",
        "-f -p sh -c exit~3",
        "-n ip -o link",
    ] {
        let argv: Vec<String> = args.split(' ').map(|w| w.replace('~', " ")).collect();
        s.same_with(&format!("unshare {args}"), "unshare", &argv, Err::Empty, &|x| x.to_string());
    }
    s.same_with("unshare -pf --mount-proc ps -ef", "unshare", &words("-pf --mount-proc ps -ef"), Err::Empty, &mask_ps);
    // Uptime moves between the two runs: the first figure within a second.
    for args in ["-T --monotonic 1000 cat /proc/uptime", "-T --boottime 1000 cat /proc/uptime"] {
        s.cases += 1;
        let mut ours = vec![NSLAB.to_string(), "unshare".to_string()];
        ours.extend(words(args));
        let mut theirs = vec!["unshare".to_string()];
        theirs.extend(words(args));
        let (a, b) = (run(&theirs), run(&ours));
        let up = |o: &Out| o.stdout.split_whitespace().next().and_then(|x| x.parse::<f64>().ok());
        match (up(&a), up(&b)) {
            (Some(x), Some(y)) if a.code == 0 && b.code == 0 && (x - y).abs() < 1.0 && b.stderr.is_empty() => {}
            _ => s.fail(&format!("unshare {args}"), format!("util-linux {a:?}\nnslab {b:?}")),
        }
    }
    s.same("unshare --bogus", "unshare", "--bogus", Err::Names(&["bogus"]));
    // setgroups is denied after -r: -G cannot drop the groups, and says so.
    s.same("unshare -r -S 0 -G 0", "unshare", "-r -S 0 -G 0 id", Err::Names(&["setgroups"]));
    s.same("unshare --propagation sideways", "unshare", "-m --propagation sideways true", Err::Names(&["sideways"]));
    s.same("unshare --kill-child=BOGUS", "unshare", "--kill-child=BOGUS true", Err::Names(&["BOGUS"]));
    s.same("unshare no such program", "unshare", "-u no-such-program-ul", Err::Names(&["no-such-program-ul"]));
    // --net=FILE keeps the namespace on FILE, and lsns shows it there.
    for (who, file) in [("util-linux", "/run/ul-net-1"), ("nslab", "/run/ul-net-2")] {
        s.cases += 1;
        // util-linux wants the file to exist (nslab creates it).
        sh(&format!("touch {file}"));
        let mut argv = if who == "nslab" { vec![NSLAB.to_string()] } else { Vec::new() };
        argv.extend(["unshare".to_string(), format!("--net={file}"), "true".to_string()]);
        let o = run(&argv);
        let fs = run(&words(&format!("stat -f -c %T {file}")));
        if o.code != 0 || fs.stdout.trim() != "nsfs" {
            s.fail(&format!("unshare --net=FILE ({who})"), format!("exit {} {}, {file} is {}", o.code, o.stderr, fs.stdout));
        }
    }
    // Master (not 2.38) lists them, held by their mounts only.
    s.cases += 1;
    let pins = run(&words(&format!("{NSLAB} lsns -P -t net -n -r -o NPROCS,NSFS")));
    if !(pins.stdout.contains("0 /run/ul-net-1\n") && pins.stdout.contains("0 /run/ul-net-2\n")) {
        s.fail("lsns -P sees both pins", format!("{pins:?}"));
    }
    sh("umount /run/ul-net-1; umount /run/ul-net-2; true");

    // ---- nsenter ---------------------------------------------------------------
    for args in [
        format!("-t {t} -u hostname"),
        format!("-t {t} -a hostname"),
        format!("-t {t} -a readlink /proc/self/ns/net /proc/self/ns/pid"),
        format!("-t {t} -u/proc/{t}/ns/uts hostname"),
        format!("-t {t} --uts=/proc/{t}/ns/uts hostname"),
        format!("-t {t} -n -n -u readlink /proc/self/ns/net"),
        format!("-t {t} -S 1000 -G 1000 -u id"),
        format!("-t {t} -F -u hostname"),
        format!("-t {t} -m --wdns=/proc pwd"),
        format!("-t {t} -m -W/proc pwd"),
        format!("-t {t} -r -w -m pwd"),
        format!("-t {u} -U id"),
        format!("-t {u} -U --preserve-credentials id -u"),
        format!("-t {u} -a id"),
        "--net=/run/netns/ul-a readlink /proc/self/ns/net".to_string(),
        format!("-t {t} -u sh -c exit~5"),
    ] {
        let argv: Vec<String> = args.split(' ').map(|w| w.replace('~', " ")).collect();
        s.same_with(&format!("nsenter {args}"), "nsenter", &argv, Err::Empty, &|x| x.to_string());
    }
    s.same("nsenter -t 999999", "nsenter", "-t 999999 -n true", Err::Names(&["999999"]));
    s.same("nsenter --bogus", "nsenter", "--bogus", Err::Names(&["bogus"]));
    // util-linux says the setns failed; nslab also names the file. Both fail.
    s.same("nsenter --net=not-a-namespace", "nsenter", "--net=/etc/hostname true", Err::Names(&[]));

    // ---- newer than 2.38: what util-linux's master prints ----------------------
    let nsl = |args: String| -> Vec<String> {
        let mut v = vec!["lsns".to_string()];
        v.extend(words(&args));
        v
    };
    // ts/lsns/filter: a process in a user namespace of its own.
    let lone = Helper::start(&["unshare", "-U", "sh", "-c", "echo $$; read x"]);
    let lone_ns = ino(&format!("/proc/{}/ns/user", lone.pid()));
    for opt in ["-Q", "--filter"] {
        let mut argv = nsl(format!("-n --raw -o PID {opt}"));
        argv.push(format!("NS == {lone_ns} && NPROCS == 1"));
        s.expect(&format!("lsns {opt}"), &argv, 0, &format!("{}\n", lone.pid()));
    }
    let mut argv = nsl("-n -r -o NS,TYPE".into());
    argv.extend(["-Q".to_string(), format!("(TYPE == \"user\" or TYPE eq 'uts') && !(NPROCS < 1) && NS == {lone_ns}")]);
    s.expect("lsns -Q with or, not, parentheses", &argv, 0, &format!("{lone_ns} user\n"));
    s.expect("lsns -Q syntax error", &nsl("-Q NS~==".into()).into_iter().map(|w| w.replace('~', " ")).collect::<Vec<_>>(), 1, "");
    // ts/lsns/netnsid-for-persistent-namespaces: NETNSID, TYPE, NSFS of ul-b.
    for (col, want) in [("NETNSID", "7"), ("TYPE", "net"), ("NSFS", "/run/netns/ul-b")] {
        let mut argv = nsl(format!("--raw --noheadings --output {col} --filter"));
        argv.push("NETNSID == '7'".into());
        s.expect(&format!("lsns NETNSID filter {col}"), &argv, 0, &format!("{want}\n"));
    }
    // ts/lsns/filedesc: a namespace held only by a descriptor opened through
    // a mount that is gone (the descriptor's link reads `/`).
    sh("ip netns add ul-c");
    let c_ino = ino("/run/netns/ul-c");
    let holder = Helper::start(&["sh", "-c", "exec 4</run/netns/ul-c; echo ready; read x"]);
    sh("ip netns delete ul-c");
    let mut argv = nsl("--noheadings --raw --output TYPE,NPROCS,USER -Q".into());
    argv.push(format!("NS == {c_ino}"));
    s.expect("lsns descriptor through a gone mount", &argv, 0, "net 0 root\n");
    drop(holder);
    // ts/lsns/netns-from-sock and ts/nsenter/enter-via-socket: a net
    // namespace held only by sockets.
    let me = std::env::current_exe().expect("own path");
    let sock = Helper::start(&[me.to_str().unwrap(), "--helper", "foreign-sockets"]);
    let sock_ns: u64 = sock.line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("helper prints PID NETNS");
    for (col, want) in [
        ("NS", sock_ns.to_string()),
        ("TYPE", "net".into()),
        ("NPROCS", "0".into()),
        ("PID", String::new()),
        ("USER", "root".into()),
        ("COMMAND", String::new()),
    ] {
        let mut argv = nsl(format!("--noheadings --raw --output {col} --filter"));
        argv.push(format!("NS == {sock_ns}"));
        s.expect(&format!("lsns socket {col}"), &argv, 0, &format!("{want}\n"));
    }
    let argv = words(&format!("nsenter --target {} --net-socket 3 readlink /proc/self/ns/net", sock.pid()));
    s.expect("nsenter --net-socket", &argv, 0, &format!("net:[{sock_ns}]\n"));
    drop(sock);
    // ts/unshare/env.
    s.expect("unshare --clear-env", &["unshare".into(), "--clear-env".into(), "sh".into(), "-c".into(), "echo ${UL_TEST_ENV:-CLEARED}".into()], 0, "CLEARED\n");
    let mut o = Command::new(NSLAB);
    o.args(["unshare", "--whitelist-env", "UL_TEST_ENV1", "sh", "-c", "echo ${UL_TEST_ENV1}${UL_TEST_ENV2}"])
        .env("UL_TEST_ENV1", "foo")
        .env("UL_TEST_ENV2", "bar");
    s.cases += 1;
    let got = o.output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    if got != "foo\n" {
        s.fail("unshare --whitelist-env", format!("got {got:?}"));
    }
    // ts/unshare/forward-signals(-kill-child): SIGTERM reaches the program,
    // which exits with 15, and so does unshare.
    for extra in [&[][..], &["--kill-child"][..]] {
        s.cases += 1;
        let mut argv = vec![NSLAB, "unshare", "--user", "--map-root-user", "--pid", "--mount-proc", "--fork", "--forward-signals"];
        argv.extend(extra);
        argv.extend([me.to_str().unwrap(), "--helper", "sigreceive"]);
        let h = Helper::start(&argv);
        // SAFETY: a signal to the process we started.
        unsafe { libc::kill(h.pid() as i32, libc::SIGTERM) };
        let out = wait_bounded(h.into_child(), Duration::from_secs(10));
        if out.code != 15 {
            s.fail(&format!("unshare --forward-signals {extra:?}"), format!("exit {} (want 15): {}", out.code, out.stderr));
        }
    }
    // --map-users in master's INNER:OUTER:COUNT (2.38 has OUTER,INNER,COUNT and
    // needs newuidmap even as root); the kernel prints maps in %10u columns.
    s.expect(
        "unshare --map-users",
        &words("unshare --map-users=0:1000:10 --map-groups=0:1000:10 cat /proc/self/uid_map"),
        0,
        "         0       1000         10\n",
    );
    s.expect("unshare --map-users (2.38 form)", &words("unshare --map-users=1000,0,10 cat /proc/self/uid_map"), 0, "         0       1000         10\n");
    s.expect(
        "unshare --map-user with --map-users: a hole",
        &words("unshare --map-user=0 --map-users=0:100000:3 cat /proc/self/uid_map"),
        0,
        "         0          0          1\n         1     100001          2\n",
    );
    // nsenter with no namespace (master refuses it; 2.38 ran the program as it was).
    s.expect("nsenter without a namespace", &words(&format!("nsenter -t {t} -r true")), 1, "");
    // nsenter --env (master): the target's environment.
    s.expect("nsenter --env", &words(&format!("nsenter -t {t} --env -u printenv ULTEST")), 0, "inside\n");
    // nsenter --join-cgroup (master): the program lands in the target's cgroup.
    let cg = std::fs::read_to_string(format!("/proc/{t}/cgroup")).unwrap_or_default();
    s.expect("nsenter --join-cgroup", &words(&format!("nsenter -t {t} --join-cgroup -u cat /proc/self/cgroup")), 0, &cg);

    drop((boxed, user, in_a, lone));
    println!("util_linux: {} cases, {} failed", s.cases, s.failures.len());
    for f in &s.failures {
        println!("{f}");
    }
    if s.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

impl Helper {
    fn into_child(self) -> Child {
        let me = std::mem::ManuallyDrop::new(self);
        // SAFETY: `me` is never dropped; its child is moved out exactly once.
        unsafe { std::ptr::read(&me.child) }
    }
}

// ---------------------------------------------------------------------------
// Helpers: small programs some cases need, run from this same binary.
// ---------------------------------------------------------------------------

fn helper(args: &[String]) -> ExitCode {
    match args.first().map(String::as_str) {
        // Two sockets (fds 3 and 4) in a new net namespace that nothing
        // else holds: prints `PID NETNS`, waits for stdin to close.
        Some("foreign-sockets") => {
            // SAFETY: plain system calls in a fresh single-threaded process.
            unsafe {
                // Kept out of the way of fds 3 and 4.
                let opened = libc::open(c"/proc/self/ns/net".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
                let home = libc::fcntl(opened, libc::F_DUPFD_CLOEXEC, 100);
                libc::close(opened);
                assert!(home >= 0 && libc::unshare(libc::CLONE_NEWNET) == 0, "unshare: {}", std::io::Error::last_os_error());
                let ns = ino("/proc/self/ns/net");
                for want in [3, 4] {
                    let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
                    assert!(fd >= 0 && (fd == want || libc::dup2(fd, want) == want));
                }
                assert_eq!(libc::setns(home, libc::CLONE_NEWNET), 0, "setns back");
                libc::close(home);
                println!("{} {ns}", std::process::id());
            }
            let _ = std::io::stdout().flush();
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
            ExitCode::SUCCESS
        }
        // Says ready, then exits with the number of the first SIGTERM or SIGINT it gets.
        Some("sigreceive") => {
            use nix::sys::signal::{SigSet, Signal};
            let mut set = SigSet::empty();
            set.add(Signal::SIGTERM);
            set.add(Signal::SIGINT);
            set.thread_block().expect("blocking");
            println!("ready");
            let _ = std::io::stdout().flush();
            let sig = set.wait().expect("sigwait");
            ExitCode::from(sig as i32 as u8)
        }
        other => {
            eprintln!("unknown helper {other:?}");
            ExitCode::FAILURE
        }
    }
}
