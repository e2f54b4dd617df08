//! Commands that plainly aim at the machine, which `nslab check` warns about:
//! a lesson runs in a sandboxed lab, so they reach only the lab, but they are
//! a mistake or an attack either way. A courtesy to authors, never the wall.

use super::syntax::InlineVec;

/// Words without which no rule below can apply: most commands have none,
/// and a big lesson has thousands of commands.
static TRIGGERS: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
    aho_corasick::AhoCorasick::new(["kill", "mount", "rm", "reboot", "poweroff", "halt", "shutdown", "init"]).expect("fixed patterns build")
});

/// What a command would do to the machine, were it not in the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hostile {
    /// `kill -1`: every process it can reach.
    KillAll,
    /// `mount … /`.
    MountRoot,
    /// `umount /`.
    UmountRoot,
    /// `rm -r /`.
    RemoveRoot,
    /// `reboot` and its kin.
    StopMachine,
}

impl Hostile {
    /// Why it is worth a warning, and the help line, in words.
    pub fn words(self) -> (String, String) {
        use crate::t;
        match self {
            Hostile::KillAll => (t!("hostile-kill"), t!("hostile-kill-help")),
            Hostile::MountRoot => (t!("hostile-mount"), t!("hostile-mount-help")),
            Hostile::UmountRoot => (t!("hostile-umount"), t!("hostile-umount-help")),
            Hostile::RemoveRoot => (t!("hostile-rm"), t!("hostile-rm-help")),
            Hostile::StopMachine => (t!("hostile-reboot"), t!("hostile-reboot-help")),
        }
    }
}

/// Why `command` is worth a warning; `None` when it is fine.
pub fn refusal(command: &str) -> Option<Hostile> {
    if !TRIGGERS.is_match(command) {
        return None;
    }
    // Each simple command of the line: split at ; & | newlines, subshells
    // and groups.
    for simple in command.split([';', '&', '|', '\n', '(', ')', '`', '{', '}']) {
        let mut words = InlineVec::<&str, 16>::default();
        for w in simple.split_whitespace() {
            words.push(w.trim_matches(['"', '\'']));
        }
        let Some(at) = command_position(&words) else { continue };
        let (program, args) = (words[at].rsplit('/').next().unwrap_or(""), &words[at + 1..]);
        let operands = || args.iter().copied().filter(|a| !a.starts_with('-') || *a == "-1");
        match program {
            // `kill -9 -1`, `kill -KILL -1`, `kill -s KILL -1`, `kill -- -1`:
            // every process the caller may signal.
            "kill" if args.iter().skip(1).any(|a| *a == "-1") || args.contains(&"--") && args.last() == Some(&"-1") => {
                return Some(Hostile::KillAll);
            }
            "mount" if operands().next_back().is_some_and(is_root) => {
                return Some(Hostile::MountRoot);
            }
            "umount" if operands().any(is_root) => {
                return Some(Hostile::UmountRoot);
            }
            "rm" if args.iter().any(|a| a.starts_with('-') && a.contains('r')) && operands().any(|o| is_root(o) || is_root(o.trim_end_matches('*'))) => {
                return Some(Hostile::RemoveRoot);
            }
            "reboot" | "poweroff" | "halt" | "shutdown" | "init" | "telinit" => {
                return Some(Hostile::StopMachine);
            }
            _ => {}
        }
    }
    None
}

/// True for a path that names `/` (`/`, `//`, `/.`, `/..`, …).
fn is_root(path: &str) -> bool {
    path.starts_with('/') && path.split('/').all(|c| matches!(c, "" | "." | ".."))
}

/// Where the program word of a simple command is: after variable
/// assignments, shell keywords, and wrappers that run a command (`sudo`,
/// `env`, `timeout 5`, `nsenter -t 1 -m`, `sh -c`, …) with their options.
fn command_position(words: &[&str]) -> Option<usize> {
    const KEYWORDS: [&str; 10] = ["if", "then", "else", "elif", "while", "until", "do", "time", "!", "exec"];
    const WRAPPERS: [&str; 20] = [
        "sudo", "env", "command", "nohup", "nice", "setsid", "unshare", "nsenter", "timeout", "stdbuf", "ionice", "chroot", "chrt", "taskset", "xargs", "sh",
        "bash", "dash", "zsh", "busybox",
    ];
    // Options of each wrapper that take a separate argument.
    fn takes_arg(wrapper: &str, option: &str) -> bool {
        match wrapper {
            "sudo" => matches!(option, "-u" | "-g" | "-C" | "-D"),
            "env" => matches!(option, "-u" | "-C" | "-S"),
            "nice" => option == "-n",
            "nsenter" => matches!(option, "-t" | "--target" | "-S" | "-G" | "--wd"),
            "timeout" => matches!(option, "-s" | "--signal" | "-k" | "--kill-after"),
            "ionice" => matches!(option, "-c" | "-n" | "-p"),
            "xargs" => matches!(option, "-n" | "-I" | "-P" | "-d" | "-L" | "-s" | "-a" | "-E"),
            _ => false,
        }
    }
    // Operands a wrapper takes before the command: `timeout 5 CMD`, `chroot
    // DIR CMD`, `chrt 10 CMD`, `taskset 3 CMD`.
    fn leading_operands(wrapper: &str) -> usize {
        usize::from(matches!(wrapper, "timeout" | "chroot" | "chrt" | "taskset"))
    }
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if KEYWORDS.contains(&w) || (w.contains('=') && !w.starts_with('-')) {
            i += 1;
            continue;
        }
        let name = w.rsplit('/').next().unwrap_or("");
        if !WRAPPERS.contains(&name) {
            return Some(i);
        }
        let wrapper = name;
        i += 1;
        while i < words.len() && words[i].starts_with('-') {
            i += if takes_arg(wrapper, words[i]) { 2 } else { 1 };
        }
        i += leading_operands(wrapper);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn hostile_commands_are_refused() {
        for bad in [
            "kill -9 -1",
            "echo x; kill -KILL -1",
            "kill -s KILL -1",
            "kill -- -1",
            "mount --bind /tmp /",
            "mount -t tmpfs none /",
            "umount -l /",
            "rm -rf /",
            "sudo rm -fr /*",
            "nsenter -t 1 -m -u kill -9 -1",
            "unshare -m mount --bind /tmp /",
            "true && reboot",
            "/sbin/poweroff",
            "halt",
            "shutdown -h now",
            "init 0",
            "telinit 6",
            "bash -c 'kill -9 -1'",
            "sh -c \"kill -KILL -1\"",
            "timeout 5 kill -9 -1",
            "time kill -9 -1",
            "{ kill -9 -1; }",
            "if true; then kill -9 -1; fi",
            "mount --bind /tmp /.",
            "umount //",
            "rm -rf /..",
            "sudo -u root env X=1 timeout -s KILL 3 nsenter -t 1 -m rm -rf /*",
        ] {
            assert!(refusal(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn ordinary_commands_pass() {
        for ok in [
            "kill $NSLAB_PID_BOX",
            "kill -1 $$",
            "kill -9 1234",
            "mount -t tmpfs none /mnt",
            "mount --bind /proc/$$/ns/net mynet",
            "umount mynet",
            "rm -rf ./dir",
            "echo reboot",
            "hostname lab",
            "sh -c 'hostname lab && check'",
            "timeout 5 sleep 1",
            "mount --bind /tmp ./dir",
            "if true; then echo kill -1; fi",
        ] {
            assert_eq!(refusal(ok), None, "{ok}");
        }
    }
}
