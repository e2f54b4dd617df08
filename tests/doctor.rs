//! `nslab doctor`'s probe: settings and explanations read from fake `/proc`
//! trees, the report as text and JSON (insta snapshots), and real runs on this
//! machine, as root and as `nobody`, that must leave nothing behind.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use nslab::doctor::{
    Capability, Check, ContainerHint, Explanation, LessonReport, Outcome, Probe, Report, Requirements, Settings, Sources, Verdict, Way, explain,
};
use nslab::lesson::{KernelVersion, Lesson, Needs, check_file};
use nslab::ns::{KindSet, NsKind};
use support::serial;

/// Set for the run of this binary as `nobody` that `probe_as_nobody` starts.
const INNER: &str = "NSLAB_DOCTOR_TEST_INNER";
/// Where that run finds the fixture lessons (a world-readable copy).
const INNER_LESSONS: &str = "NSLAB_DOCTOR_TEST_LESSONS";

/// A fake machine: a `/proc` tree and a file system root in a tempdir.
struct FakeMachine {
    dir: tempfile::TempDir,
}

impl FakeMachine {
    /// A tree with the `/proc/self/ns` links of every kind but those in `lacking`.
    fn new(lacking: &[NsKind]) -> FakeMachine {
        let machine = FakeMachine { dir: tempfile::tempdir().unwrap() };
        for kind in NsKind::ALL.into_iter().filter(|k| !lacking.contains(k)) {
            machine.write(&format!("proc/self/ns/{kind}"), "");
        }
        fs::create_dir_all(machine.dir.path().join("root")).unwrap();
        machine
    }

    fn write(&self, rel: &str, text: &str) -> &FakeMachine {
        let path = self.dir.path().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        self
    }

    /// A sysctl, as `/proc/sys/<dotted name with slashes>`.
    fn sysctl(&self, name: &str, value: &str) -> &FakeMachine {
        self.write(&format!("proc/sys/{}", name.replace('.', "/")), &format!("{value}\n"))
    }

    fn sources(&self) -> Sources {
        Sources { proc_root: self.dir.path().join("proc"), fs_root: self.dir.path().join("root"), container_env: None, path: None }
    }

    fn settings(&self) -> Settings {
        Settings::read(&self.sources())
    }
}

/// The fixture lessons that parse, sorted by file name.
fn fixture_lessons(dir: &Path) -> Vec<Lesson> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    paths.iter().filter(|p| p.extension().is_some_and(|e| e == "md")).map(|p| check_file(p).unwrap()).collect()
}

/// What the runner needs around every lesson: its lab's namespaces, and a
/// /proc of the lab's own.
fn lab() -> Requirements {
    Requirements { kinds: nslab::run::session::LAB_KINDS.into_iter().collect(), mount_proc: true, ..Requirements::default() }
}

fn fixture_dir() -> PathBuf {
    std::env::var_os(INNER_LESSONS).map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lessons/ok"))
}

// ---------------------------------------------------------------------------
// Settings and explanations, from fake trees.
// ---------------------------------------------------------------------------

/// The machines whose settings explain a failure, and what the doctor says.
#[test]
fn explanations_from_fake_proc_trees() {
    struct Case {
        machine: &'static str,
        setup: fn() -> FakeMachine,
        capability: Capability,
        way: Way,
        errno: i32,
        why: &'static str,
        fix: &'static str,
    }
    let cases = [
        Case {
            machine: "Ubuntu 24.04, AppArmor restricting unprivileged user namespaces",
            setup: || {
                let m = FakeMachine::new(&[]);
                m.sysctl("user.max_user_namespaces", "63432")
                    .sysctl("kernel.unprivileged_userns_clone", "1")
                    .sysctl("kernel.apparmor_restrict_unprivileged_userns", "1")
                    .sysctl("kernel.osrelease", "6.8.0-45-generic");
                m
            },
            capability: Capability::IdMaps,
            way: Way::Rootless,
            errno: libc::EPERM,
            why: "AppArmor restricts unprivileged user namespaces: kernel.apparmor_restrict_unprivileged_userns is 1 (Ubuntu 23.10 and later)",
            fix: "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0",
        },
        Case {
            machine: "user namespaces switched off by max_user_namespaces = 0",
            setup: || {
                let m = FakeMachine::new(&[]);
                m.sysctl("user.max_user_namespaces", "0").sysctl("kernel.osrelease", "6.1.0-26-amd64");
                m
            },
            capability: Capability::Namespace(NsKind::Net),
            way: Way::Rootless,
            errno: libc::ENOSPC,
            why: "user namespaces are switched off: user.max_user_namespaces is 0",
            fix: "sudo sysctl -w user.max_user_namespaces=15000",
        },
        Case {
            machine: "Debian 10, unprivileged_userns_clone = 0",
            setup: || {
                let m = FakeMachine::new(&[NsKind::Time]);
                m.sysctl("user.max_user_namespaces", "31632").sysctl("kernel.unprivileged_userns_clone", "0").sysctl("kernel.osrelease", "4.19.0-27-amd64");
                m
            },
            capability: Capability::Namespace(NsKind::User),
            way: Way::Rootless,
            errno: libc::EPERM,
            why: "unprivileged user namespaces are switched off: kernel.unprivileged_userns_clone is 0 (a Debian/Ubuntu setting)",
            fix: "sudo sysctl -w kernel.unprivileged_userns_clone=1",
        },
        Case {
            machine: "Ubuntu 20.04, Linux 5.4: no time namespaces",
            setup: || {
                let m = FakeMachine::new(&[NsKind::Time]);
                m.sysctl("user.max_user_namespaces", "63432").sysctl("kernel.osrelease", "5.4.0-150-generic");
                m
            },
            capability: Capability::Namespace(NsKind::Time),
            way: Way::AsRoot,
            errno: libc::EINVAL,
            why: "this kernel has no time namespaces (they came with Linux 5.6, CONFIG_TIME_NS)",
            fix: "needs Linux 5.6 or later (CONFIG_TIME_NS)",
        },
        Case {
            machine: "Linux 6.1 built without CONFIG_TIME_NS",
            setup: || {
                let m = FakeMachine::new(&[NsKind::Time]);
                m.sysctl("kernel.osrelease", "6.1.0");
                m
            },
            capability: Capability::Namespace(NsKind::Time),
            way: Way::Rootless,
            errno: libc::EINVAL,
            why: "this kernel has no time namespaces (they came with Linux 5.6, CONFIG_TIME_NS)",
            fix: "needs Linux 5.6 or later (CONFIG_TIME_NS)",
        },
    ];
    for case in cases {
        let machine = (case.setup)();
        let mut settings = machine.settings();
        // A tempdir is no procfs, and a fake /proc explains any failure;
        // the machines described have a real one.
        settings.proc_is_procfs = true;
        let got = explain(&settings, case.capability, case.way, Some(case.errno));
        assert_eq!(got, Some(Explanation { why: case.why.into(), fix: case.fix.into() }), "{}: {settings:#?}", case.machine);
        // The same machine has nothing to say about a kind it has, as root.
        assert_eq!(explain(&settings, Capability::Namespace(NsKind::Uts), Way::AsRoot, Some(libc::EINVAL)), None, "{}", case.machine);
    }
}

#[test]
fn settings_read_from_a_fake_tree() {
    let m = FakeMachine::new(&[NsKind::Time, NsKind::Cgroup]);
    m.sysctl("user.max_user_namespaces", "63432")
        .sysctl("kernel.apparmor_restrict_unprivileged_userns", "1")
        .sysctl("kernel.osrelease", "5.4.0-150-generic")
        .write("proc/self/status", "Name:\tnslab\nUid:\t0\t0\t0\t0\nCapEff:\t00000000a80425fb\nSeccomp:\t2\n")
        .write("proc/self/mountinfo", "22 27 0:21 / /proc rw - proc proc rw\n31 22 0:5 /null /proc/kcore rw - devtmpfs udev rw\n")
        .write("proc/1/cgroup", "0::/system.slice/docker-3f1e.scope\n");
    let s = m.settings();
    assert_eq!(s.max_user_namespaces, Some(63432));
    assert_eq!(s.unprivileged_userns_clone, None, "absent: not a Debian/Ubuntu kernel");
    assert_eq!(s.apparmor_restrict_unprivileged_userns, Some(true));
    assert_eq!(s.kernel_release.as_deref(), Some("5.4.0-150-generic"));
    assert_eq!(s.kernel, Some(KernelVersion { major: 5, minor: 4 }));
    assert_eq!(s.namespace_kinds.map(|k| k.to_string()), Some("ipc mnt net pid user uts".to_string()));
    assert!(!s.proc_is_procfs, "a tempdir is not a procfs");
    assert_eq!(s.proc_covered, vec!["/proc/kcore"]);
    assert_eq!(s.cap_sys_admin, Some(false), "docker's default capabilities lack CAP_SYS_ADMIN");
    assert_eq!(s.seccomp, Some(2));
    assert_eq!(s.container, Some(ContainerHint { runtime: "docker".into(), evidence: "/proc/1/cgroup".into() }));

    // Stronger evidence first: the environment variable, then the marker files.
    m.write("root/.dockerenv", "");
    assert_eq!(m.settings().container.unwrap().evidence, "/.dockerenv");
    let mut sources = m.sources();
    sources.container_env = Some("podman".into());
    assert_eq!(Settings::read(&sources).container.unwrap().runtime, "podman");

    // Root in that container, without CAP_SYS_ADMIN: the doctor says so.
    let e = explain(&s, Capability::Namespace(NsKind::Net), Way::AsRoot, Some(libc::EPERM)).unwrap();
    assert_eq!(e.why, "this root lacks CAP_SYS_ADMIN, which creating namespaces needs");
    assert_eq!(e.fix, "start the docker container with --privileged (or --cap-add SYS_ADMIN)");

    // An empty tree: everything unknown, nothing invented.
    let empty = tempfile::tempdir().unwrap();
    let none = Settings::read(&Sources { proc_root: empty.path().into(), fs_root: empty.path().into(), container_env: None, path: None });
    assert_eq!(none, Settings::default());
}

// ---------------------------------------------------------------------------
// The report: text and JSON.
// ---------------------------------------------------------------------------

/// What a root run on Ubuntu 24.04 with AppArmor's restriction finds: as root
/// everything works; rootless, the setting refuses every check.
fn ubuntu_apparmor_probe() -> Probe {
    let settings = Settings {
        max_user_namespaces: Some(63432),
        unprivileged_userns_clone: Some(true),
        apparmor_restrict_unprivileged_userns: Some(true),
        kernel_release: Some("6.8.0-45-generic".into()),
        kernel: Some(KernelVersion { major: 6, minor: 8 }),
        namespace_kinds: Some(KindSet::ALL),
        proc_is_procfs: true,
        cap_sys_admin: Some(true),
        seccomp: Some(0),
        ..Settings::default()
    };
    let explanation = nslab::doctor::unprivileged_block(&settings);
    let mut checks = Vec::new();
    for way in Way::BOTH {
        for capability in Capability::ALL {
            let outcome = match way {
                Way::AsRoot => Outcome::Works,
                Way::Rootless => {
                    Outcome::Fails { error: "works as root, but the kernel refuses it to unprivileged users".into(), explanation: explanation.clone() }
                }
            };
            checks.push(Check::new(capability, way, outcome));
        }
    }
    Probe { settings, as_root: true, checks }
}

/// Lessons of three kinds, judged against `probe` (made here rather than read
/// from the fixtures, so the snapshots do not follow their wording).
fn three_lessons(probe: &Probe) -> Vec<LessonReport> {
    let net_uts: KindSet = [NsKind::Net, NsKind::Uts].into_iter().collect();
    let rootless = Requirements { needs: Needs { userns: true, ..Needs::default() }, kinds: net_uts, ..Requirements::default() };
    let pins = Requirements {
        needs: Needs { root: true, userns: false, min_kernel: Some(KernelVersion { major: 5, minor: 6 }), ..Needs::default() },
        kinds: net_uts,
        pins: true,
        mount_proc: false,
    };
    let time = Requirements { kinds: [NsKind::Time].into_iter().collect(), ..Requirements::default() };
    vec![
        LessonReport::new("uts", "The UTS namespace", &rootless, probe),
        LessonReport::new("pins", "Keeping a namespace alive with a pin", &pins, probe),
        LessonReport::new("time", "Clocks of your own", &time, probe),
    ]
}

#[test]
fn report_as_text_and_json() {
    // insta starts `cargo` to find the workspace: a child the real runs must not see.
    let _guard = serial();
    let probe = ubuntu_apparmor_probe();
    let report = Report { lessons: three_lessons(&probe), probe };
    assert_eq!(report.exit_code(), 0, "as root every lesson runs");
    let text = report.render(false);
    assert!(!text.contains('\u{1b}'), "no colour when not asked");
    insta::assert_snapshot!("report_ubuntu_apparmor", text);
    insta::assert_snapshot!("report_ubuntu_apparmor_json", report.to_json());
    assert!(report.render(true).contains("\u{1b}["), "colour when asked");
}

#[test]
fn report_of_a_user_whose_rootless_pins_fail() {
    // insta starts `cargo` to find the workspace: a child the real runs must not see.
    let _guard = serial();
    let mut probe = ubuntu_apparmor_probe();
    probe.as_root = false;
    probe.settings.apparmor_restrict_unprivileged_userns = Some(false);
    for check in &mut probe.checks {
        check.outcome = match (check.way, check.capability) {
            (Way::AsRoot, _) => Outcome::NotTried { reason: "needs root; run `sudo nslab doctor` to try it".into() },
            (Way::Rootless, Capability::NsfsBind) => Outcome::Fails { error: "mount --bind: exit status 32".into(), explanation: None },
            _ => Outcome::Works,
        };
    }
    let pins = Requirements { pins: true, kinds: [NsKind::Net].into_iter().collect(), ..Requirements::default() };
    let report = Report {
        lessons: vec![LessonReport::new("pins", "Pins", &pins, &probe), LessonReport::new("plain", "Plain", &Requirements::default(), &probe)],
        probe,
    };
    assert!(matches!(report.lessons[0].rootless, Verdict::Blocked { .. }));
    assert_eq!(report.lessons[1].rootless, Verdict::Runs);
    assert_eq!(report.exit_code(), nslab::doctor::EXIT_SOME_CANNOT_RUN);
    insta::assert_snapshot!("report_rootless_user", report.render(false));
}

// ---------------------------------------------------------------------------
// Real runs on this machine.
// ---------------------------------------------------------------------------

/// What the probe may hold only while it runs: its children (of every
/// thread), nsfs mounts in our mount namespace, open namespace files, and its
/// scratch files. A namespace the probe leaked would need one of these to
/// stay alive. (The system-wide namespace list is not compared: other
/// programs on a shared machine change it.)
#[derive(Debug, PartialEq, Eq)]
struct Holders {
    children: Vec<String>,
    nsfs_mounts: Vec<String>,
    ns_fds: Vec<String>,
    scratch_files: Vec<PathBuf>,
}

impl Holders {
    fn now() -> Holders {
        let mut children: Vec<String> = fs::read_dir("/proc/self/task")
            .unwrap()
            .flatten()
            .flat_map(|t| {
                let text = fs::read_to_string(t.path().join("children")).unwrap_or_default();
                text.split_whitespace().map(str::to_owned).collect::<Vec<_>>()
            })
            .collect();
        children.sort();
        let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap();
        let nsfs_mounts = mountinfo.lines().filter(|l| l.contains(" - nsfs ") || l.contains("nslab-doctor")).map(str::to_owned).collect();
        let ns_fds = fs::read_dir("/proc/self/fd")
            .unwrap()
            .flatten()
            .filter_map(|e| fs::read_link(e.path()).ok())
            .map(|t| t.to_string_lossy().into_owned())
            .filter(|t| NsKind::ALL.iter().any(|k| t.starts_with(&format!("{k}:["))))
            .collect();
        let prefix = format!("nslab-doctor-{}-", std::process::id());
        let scratch_files =
            fs::read_dir(std::env::temp_dir()).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().starts_with(&prefix)).map(|e| e.path()).collect();
        Holders { children, nsfs_mounts, ns_fds, scratch_files }
    }

    /// Asserts that nothing is held any more, giving just-killed children a
    /// moment to be reaped.
    fn assert_released(&self, what: &str) {
        let mut now = Holders::now();
        for _ in 0..50 {
            if &now == self {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            now = Holders::now();
        }
        assert_eq!(&now, self, "{what} left something behind");
    }
}

#[test]
fn probe_as_root_every_check_works() {
    if !support::require_root("probe_as_root_every_check_works") {
        return;
    }
    let _guard = serial();
    let before = Holders::now();
    let probe = Probe::run(Settings::read(&Sources::host()));
    let report = Report::new(probe, &fixture_lessons(&fixture_dir()), lab());
    let text = report.render(false);
    println!("{text}");
    assert!(report.probe.as_root);
    assert!(report.probe.settings.proc_is_procfs, "{text}");
    assert_eq!(report.probe.checks.len(), 34);
    // The sandbox's rows need nslab's own binary: `the_sandbox_is_tried_with_a_real_lab`.
    for check in report.probe.checks.iter().filter(|c| !matches!(c.capability, Capability::Sandbox(_))) {
        assert!(check.works(), "{} ({}): {:?}\n{text}", check.name, check.way.label(), check.outcome);
    }
    for lesson in &report.lessons {
        assert_eq!(lesson.as_root, Verdict::Runs, "{}\n{text}", lesson.id);
    }
    assert_eq!(report.exit_code(), 0, "{text}");
    before.assert_released("the probe as root");
}

/// As root, but with the settings of a machine whose AppArmor restricts
/// unprivileged user namespaces: the root checks are tried and work, and the
/// rootless ones are refused with the setting and its fix.
#[test]
fn probe_as_root_applies_settings_that_spare_root() {
    if !support::require_root("probe_as_root_applies_settings_that_spare_root") {
        return;
    }
    let _guard = serial();
    let before = Holders::now();
    let machine = FakeMachine::new(&[]);
    machine.sysctl("kernel.apparmor_restrict_unprivileged_userns", "1").sysctl("kernel.osrelease", "6.8.0-45-generic");
    let probe = Probe::run(machine.settings());
    for check in probe.checks.iter().filter(|c| !matches!(c.capability, Capability::Sandbox(_))) {
        match check.way {
            Way::AsRoot => assert!(check.works(), "{}: {:?}", check.name, check.outcome),
            Way::Rootless => match &check.outcome {
                Outcome::Fails { explanation: Some(e), .. } => {
                    assert_eq!(e.fix, "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0", "{}", check.name)
                }
                other => panic!("{}: {other:?}", check.name),
            },
        }
    }
    let rootless = probe.verdict(&Requirements::default(), Way::Rootless);
    assert!(matches!(&rootless, Verdict::Blocked { fix: Some(f), .. } if f.contains("apparmor")), "{rootless:?}");
    before.assert_released("the probe with fake settings");
}

/// Runs the test `inner` of a world-readable copy of this test binary as
/// `nobody` (with a copy of the fixture lessons), through `wrapper` if given,
/// with [`INNER`] set to `inner`, and asserts that it passed.
fn run_inner_as_nobody(inner: &str, wrapper: &[&str]) {
    let dir = tempfile::Builder::new().prefix("nslab-doctor-test-").tempdir().unwrap();
    support::set_mode(dir.path(), 0o755);
    let exe = dir.path().join("doctor-tests");
    fs::copy(std::env::current_exe().unwrap(), &exe).unwrap();
    support::set_mode(&exe, 0o755);
    let lessons = dir.path().join("lessons");
    fs::create_dir(&lessons).unwrap();
    for entry in fs::read_dir(fixture_dir()).unwrap().flatten() {
        fs::copy(entry.path(), lessons.join(entry.file_name())).unwrap();
    }
    let exe = exe.to_str().unwrap();
    let mut command: Vec<&str> = wrapper.to_vec();
    command.extend([exe, "--exact", inner, "--test-threads=1", "--nocapture"]);
    let out = support::command_as(support::As::Nobody, Path::new(command[0]), &command[1..]).env(INNER, inner).env(INNER_LESSONS, &lessons).output().unwrap();
    let text = format!("{}\n{}", support::stdout(&out), support::stderr(&out));
    assert!(out.status.success() && text.contains("1 passed"), "{text}");
}

/// True when this run is the inner run `name`; false (skip) otherwise.
fn is_inner(name: &str) -> bool {
    std::env::var(INNER).is_ok_and(|v| v == name)
}

#[test]
fn probe_as_nobody_every_rootless_check_works() {
    if !support::require_root("probe_as_nobody_every_rootless_check_works") {
        return;
    }
    let _guard = serial();
    run_inner_as_nobody("rootless_probe_inner", &[]);
}

/// A real failure, without touching the host: `nobody` in a user namespace
/// of its own whose `user.max_user_namespaces` (a per-user-namespace limit)
/// it has set to 0. There it is root, so the plain namespaces work, and every
/// check that needs a further user namespace fails with the sysctl as fix.
#[test]
fn probe_where_user_namespaces_are_off() {
    if !support::require_root("probe_where_user_namespaces_are_off") {
        return;
    }
    let _guard = serial();
    const SWITCH_OFF: &str = r#"echo 0 > /proc/sys/user/max_user_namespaces && exec "$0" "$@""#;
    run_inner_as_nobody("no_userns_probe_inner", &["unshare", "--user", "--map-root-user", "sh", "-c", SWITCH_OFF]);
}

#[test]
fn no_userns_probe_inner() {
    if !is_inner("no_userns_probe_inner") {
        return; // run by probe_where_user_namespaces_are_off
    }
    let _guard = serial();
    let before = Holders::now();
    let probe = Probe::run(Settings::read(&Sources::host()));
    let report = Report::new(probe, &fixture_lessons(&fixture_dir()), lab());
    let text = report.render(false);
    println!("{text}");
    assert_eq!(report.probe.settings.max_user_namespaces, Some(0));
    assert_eq!(report.probe.settings.initial_user_namespace, Some(false));
    for check in report.probe.checks.iter().filter(|c| !matches!(c.capability, Capability::Sandbox(_))) {
        let needs_userns =
            check.way == Way::Rootless || matches!(check.capability, Capability::Namespace(NsKind::User) | Capability::IdMaps | Capability::Sandbox(_));
        if needs_userns {
            match &check.outcome {
                Outcome::Fails { explanation: Some(e), .. } => {
                    assert_eq!(e.why, "user namespaces are switched off: user.max_user_namespaces is 0", "{}", check.name);
                    assert_eq!(e.fix, "sudo sysctl -w user.max_user_namespaces=15000", "{}", check.name);
                }
                other => panic!("{} ({}): {other:?}\n{text}", check.name, check.way.label()),
            }
        } else {
            assert!(check.works(), "{} ({}): {:?}\n{text}", check.name, check.way.label(), check.outcome);
        }
    }
    for lesson in &report.lessons {
        assert!(matches!(&lesson.rootless, Verdict::Blocked { .. }), "{}: {:?}", lesson.id, lesson.rootless);
    }
    assert!(text.contains("every rootless check: user namespaces are switched off"), "{text}");
    before.assert_released("the probe without user namespaces");
}

/// The rootless half, run as `nobody` by `probe_as_nobody_every_rootless_check_works`
/// (or directly by a developer who is not root).
#[test]
fn rootless_probe_inner() {
    if support::is_root() {
        assert!(!is_inner("rootless_probe_inner"), "the inner run must not be root");
        return; // probe_as_nobody_every_rootless_check_works runs this as nobody
    }
    if std::env::var_os(INNER).is_some_and(|v| v != "rootless_probe_inner") {
        return; // another inner run
    }
    let _guard = serial();
    let before = Holders::now();
    let probe = Probe::run(Settings::read(&Sources::host()));
    let report = Report::new(probe, &fixture_lessons(&fixture_dir()), lab());
    let text = report.render(false);
    println!("{text}");
    assert!(!report.probe.as_root);
    for check in report.probe.checks.iter().filter(|c| !matches!(c.capability, Capability::Sandbox(_))) {
        match check.way {
            Way::AsRoot => assert!(matches!(check.outcome, Outcome::NotTried { .. }), "{}: {:?}", check.name, check.outcome),
            Way::Rootless => assert!(check.works(), "{}: {:?}\n{text}", check.name, check.outcome),
        }
    }
    for lesson in &report.lessons {
        let want_blocked = lesson.needs.root;
        match &lesson.rootless {
            Verdict::Runs => assert!(!want_blocked, "{}", lesson.id),
            Verdict::Blocked { reason, .. } => assert!(want_blocked && reason == "needs root", "{}: {reason}", lesson.id),
            other => panic!("{}: {other:?}", lesson.id),
        }
        assert!(matches!(lesson.as_root, Verdict::NotTried { .. }), "{}", lesson.id);
    }
    let some_need_root = report.lessons.iter().any(|l| l.needs.root);
    assert_eq!(report.exit_code(), if some_need_root { nslab::doctor::EXIT_SOME_CANNOT_RUN } else { 0 });
    before.assert_released("the rootless probe");
}

/// The runner gives the doctor's reason, and the fix, when a lesson or its
/// lab cannot run here — not a raw errno.
#[test]
fn the_runner_explains_in_the_doctors_words() {
    use nslab::run::session::SessionError;
    use nslab::run::{lab_blocked, lesson_blocked};
    let lesson =
        nslab::lesson::parse_lesson("---\nid: t\ntitle: T\n---\n\n```nslab\nstart box: time\nexpect: box time differs from host\n```\n", Path::new("t.md"))
            .unwrap();
    // A 6.1 kernel built without CONFIG_TIME_NS: refused before anything runs.
    let mut settings = Settings {
        kernel: Some(KernelVersion { major: 6, minor: 1 }),
        namespace_kinds: Some(KindSet::ALL.iter().filter(|k| *k != NsKind::Time).collect()),
        proc_is_procfs: true,
        ..Settings::default()
    };
    assert_eq!(
        lesson_blocked(&lesson, &settings, true).as_deref(),
        Some(
            "it uses time namespaces, but this kernel has no time namespaces (they came with Linux 5.6, CONFIG_TIME_NS) — fix: needs Linux 5.6 or later (CONFIG_TIME_NS)"
        )
    );
    settings.namespace_kinds = Some(KindSet::ALL);
    assert_eq!(lesson_blocked(&lesson, &settings, true), None);

    // user.max_user_namespaces = 0: the rootless lab fails with ENOSPC.
    let no_userns = Settings { max_user_namespaces: Some(0), ..settings.clone() };
    let err = SessionError::Lab(std::io::Error::from_raw_os_error(libc::ENOSPC));
    assert_eq!(
        lab_blocked(&err, &no_userns, false),
        "user namespaces are switched off: user.max_user_namespaces is 0 — fix: sudo sysctl -w user.max_user_namespaces=15000 (`nslab doctor` tells more)"
    );
    // The sandbox needs a user namespace as root too.
    assert!(lab_blocked(&err, &no_userns, true).starts_with("user namespaces are switched off"), "{}", lab_blocked(&err, &no_userns, true));
    // Root without CAP_SYS_ADMIN (a container): EPERM.
    let no_cap = Settings { cap_sys_admin: Some(false), ..settings.clone() };
    let err = SessionError::Lab(std::io::Error::from_raw_os_error(libc::EPERM));
    assert!(
        lab_blocked(&err, &no_cap, true).starts_with("this root lacks CAP_SYS_ADMIN, which creating namespaces needs — fix: "),
        "{}",
        lab_blocked(&err, &no_cap, true)
    );
    // Ubuntu's AppArmor restriction, for an unprivileged user.
    let apparmor = Settings { apparmor_restrict_unprivileged_userns: Some(true), ..settings.clone() };
    assert!(lab_blocked(&err, &apparmor, false).contains("fix: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"));
}

/// The sandbox's parts are tried by `nslab doctor` itself, which starts a
/// real lab each way: as root both columns work (but the rootless lab's
/// cgroup), and as `nobody` the rootless one does (the as-root one is not
/// tried).
#[test]
fn the_sandbox_is_tried_with_a_real_lab() {
    if !support::require_root("the_sandbox_is_tried_with_a_real_lab") {
        return;
    }
    let _guard = serial();
    for who in support::As::BOTH {
        let out = support::nslab(who, &["doctor", "--json"]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{who:?}: {e}: {}", support::stdout(&out)));
        let checks = json["checks"].as_array().expect("checks");
        let sandbox: Vec<&serde_json::Value> = checks.iter().filter(|c| c["capability"].as_str().is_some_and(|id| id.starts_with("sandbox-"))).collect();
        assert_eq!(sandbox.len(), 10, "five parts, two ways: {json}");
        for check in sandbox {
            let tried = who == support::As::Caller || check["way"] == "rootless";
            // An ordinary user has no cgroup to make one in here (this
            // machine delegates none): that optional part is absent, saying why.
            let cgroup = check["capability"] == "sandbox-cgroup" && check["way"] == "rootless";
            let want = if !tried {
                "not_tried"
            } else if cgroup {
                "absent"
            } else {
                "works"
            };
            assert_eq!(check["outcome"]["result"], want, "{who:?}: {check}");
        }
    }
}
