//! The actions of a step (`start`, `run`, `run in`, `unshare`, `pin`,
//! `unpin`, `stop`, `lsns`) and `save` lines.

use super::{Item, Line, Tokens, capture, is_lab, kind, shorten};
use crate::lesson::model::{Action, RunTarget, Save, Subject};
use crate::lesson::syntax::{TrimWs, words};
use crate::ns::{KindSet, NsKind};

impl<'a> Line<'a, '_> {
    /// An action line.
    pub(super) fn action(&mut self) -> Option<Item<Action>> {
        let mut tokens = Tokens::default();
        let value = match self.word {
            "start" => self.start(&mut tokens)?,
            "run" => {
                let (head, command, _) = self.head_tail("run: COMMAND` or `run in NAME: COMMAND")?;
                let target = match head.as_slice() {
                    [] => RunTarget::Host,
                    [(_, "in"), (_, lab)] if is_lab(lab) => RunTarget::Host,
                    [(_, "in"), name] => RunTarget::Process(self.name(*name, false, &mut tokens)?),
                    _ => {
                        self.error(self.range.clone(), "expected `run: COMMAND` or `run in NAME: COMMAND`");
                        return None;
                    }
                };
                Action::Run { target, command: self.command(command)? }
            }
            "unshare" => {
                let (head, command, _) = self.head_tail("unshare KIND…: COMMAND")?;
                if head.is_empty() {
                    self.error(self.range.clone(), "`unshare` needs at least one namespace kind");
                    return None;
                }
                let kinds = self.kinds(&head, &mut tokens);
                let command = self.command(command);
                Action::Unshare { kinds: kinds?, command: command? }
            }
            "pin" => {
                let w = words(self.rest, self.rest_at);
                let [name, (kind_at, kind_word), (_, "as"), (pin_at, pin)] = w.as_slice() else {
                    self.error(self.range.clone(), "expected `pin NAME KIND as PIN`");
                    return None;
                };
                let process = self.name(*name, true, &mut tokens);
                let k = kind(kind_word, *kind_at, self.diags);
                tokens.push(*kind_at..kind_at + kind_word.len());
                let pin = self.pin_name(*pin_at, pin, &mut tokens);
                Action::Pin { process: process?, kind: k?, pin: pin? }
            }
            "unpin" | "stop" => {
                let w = words(self.rest, self.rest_at);
                let [name] = w.as_slice() else {
                    self.error(self.range.clone(), format!("expected `{} NAME`", self.word));
                    return None;
                };
                if self.word == "unpin" {
                    Action::Unpin { pin: self.pin_name(name.0, name.1, &mut tokens)? }
                } else {
                    Action::Stop { name: self.name(*name, false, &mut tokens)? }
                }
            }
            _ => self.lsns(&mut tokens)?,
        };
        Some(Item { value, range: self.range.clone(), tokens })
    }

    /// `start NAME: KIND… [in OTHER]`.
    fn start(&mut self, tokens: &mut Tokens) -> Option<Action> {
        let (head, _, tail_at) = self.head_tail("start NAME: KIND…")?;
        let [name] = head.as_slice() else {
            self.error(self.range.clone(), "expected `start NAME: KIND…` with one name before the colon");
            return None;
        };
        let name = self.name(*name, false, tokens);
        let tail = self.rest.get(tail_at - self.rest_at..).unwrap_or("");
        let mut list = words(tail, tail_at);
        let mut inside = None;
        if let Some(i) = list.iter().position(|(_, w)| *w == "in") {
            match &list[i..] {
                [_, other] => {
                    inside = Some(self.name(*other, false, tokens));
                    list.truncate(i);
                }
                _ => {
                    self.error(self.range.clone(), "expected `start NAME: KIND… in OTHER`, with one name after `in`");
                    return None;
                }
            }
        }
        if list.is_empty() {
            self.diags.error_help(self.range.clone(), "`start` needs at least one namespace kind", "e.g. `start box: uts net`");
            return None;
        }
        let kinds = self.kinds(&list, tokens);
        Some(Action::Start {
            name: name?,
            kinds: kinds?,
            inside: match inside {
                Some(other) => Some(other?),
                None => None,
            },
        })
    }

    /// `lsns` or `lsns: -t KIND…`.
    fn lsns(&mut self, tokens: &mut Tokens) -> Option<Action> {
        let after = self.rest.trim_start_ws();
        if after.is_empty() {
            return Some(Action::Lsns { kinds: KindSet::EMPTY });
        }
        let Some(args) = after.strip_prefix(':') else {
            self.error(self.range.clone(), "expected `lsns` or `lsns: -t KIND`");
            return None;
        };
        let args_at = self.rest_at + (self.rest.len() - args.len());
        let w = words(args, args_at);
        if w.len() > 2 * NsKind::ALL.len() {
            self.diags.error_help(self.range.clone(), "too many `lsns` options", "`lsns` takes only `-t KIND` options, at most one per kind");
            return None;
        }
        let mut kinds = Vec::new();
        let mut ok = true;
        let mut chunks = w.chunks(2);
        for chunk in chunks.by_ref() {
            match chunk {
                [(_, "-t"), k] => kinds.push(*k),
                [(at, word), ..] => {
                    self.diags.error_help(
                        *at..at + word.len(),
                        format!("unexpected `{}` in `lsns`", shorten(word)),
                        "`lsns` takes only `-t KIND` options, e.g. `lsns: -t net -t uts`",
                    );
                    ok = false;
                    break;
                }
                [] => {}
            }
        }
        let kinds = self.kinds(&kinds, tokens);
        if !ok {
            return None;
        }
        Some(Action::Lsns { kinds: kinds? })
    }

    /// A shell command, non-empty.
    fn command(&mut self, command: &str) -> Option<String> {
        if command.is_empty() {
            self.error(self.range.clone(), "the command is empty");
            return None;
        }
        Some(command.to_string())
    }

    /// A pin name, which must not be a path.
    fn pin_name(&mut self, at: usize, pin: &str, tokens: &mut Tokens) -> Option<String> {
        let range = at..at + pin.len();
        if pin.contains('/') {
            self.diags.error_help(range, format!("pin `{}` is a path", shorten(pin)), "pins live in the run's folder; give a name, not a path");
            return None;
        }
        self.name((at, pin), false, tokens)
    }

    /// `save NAME KIND as @cap`.
    pub(super) fn save(&mut self) -> Option<Item<Save>> {
        let w = words(self.rest, self.rest_at);
        let [name, (kind_at, kind_word), (_, "as"), (cap_at, cap)] = w.as_slice() else {
            self.error(self.range.clone(), "expected `save NAME KIND as @capture`");
            return None;
        };
        let mut tokens = Tokens::default();
        let subject = self.name(*name, true, &mut tokens);
        let k = kind(kind_word, *kind_at, self.diags);
        tokens.push(*kind_at..kind_at + kind_word.len());
        let capture = capture(cap, *cap_at, self.diags);
        tokens.push(*cap_at..cap_at + cap.len());
        let subject = subject?;
        Some(Item {
            value: Save {
                subject: match subject.as_str() {
                    "host" => Subject::Host,
                    "shell" => Subject::Shell,
                    _ => Subject::Process(subject),
                },
                kind: k?,
                capture: capture?,
            },
            range: self.range.clone(),
            tokens,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::lesson::model::{Action, RunTarget};
    use crate::lesson::step::tests::draft;
    use crate::ns::{KindSet, NsKind};

    #[test]
    fn actions() {
        let kinds = |ks: &[NsKind]| ks.iter().copied().collect::<KindSet>();
        let cases = [
            ("start box: uts net", Action::Start { name: "box".into(), kinds: kinds(&[NsKind::Uts, NsKind::Net]), inside: None }),
            ("start inner: net in box", Action::Start { name: "inner".into(), kinds: kinds(&[NsKind::Net]), inside: Some("box".into()) }),
            ("run: echo a: b", Action::Run { target: RunTarget::Host, command: "echo a: b".into() }),
            ("run in box:  hostname  ", Action::Run { target: RunTarget::Process("box".into()), command: "hostname".into() }),
            ("unshare net uts: ip link", Action::Unshare { kinds: kinds(&[NsKind::Net, NsKind::Uts]), command: "ip link".into() }),
            ("pin box net as netns1", Action::Pin { process: "box".into(), kind: NsKind::Net, pin: "netns1".into() }),
            ("unpin netns1", Action::Unpin { pin: "netns1".into() }),
            ("stop box", Action::Stop { name: "box".into() }),
            ("lsns", Action::Lsns { kinds: KindSet::EMPTY }),
            ("lsns: -t net -t uts", Action::Lsns { kinds: kinds(&[NsKind::Net, NsKind::Uts]) }),
        ];
        for (line, want) in cases {
            let (step, msgs) = draft(line);
            assert!(msgs.is_empty(), "{line}: {msgs:?}");
            assert_eq!(step.actions.len(), 1, "{line}");
            assert_eq!(step.actions[0].value, want, "{line}");
        }
    }

    #[test]
    fn bad_actions() {
        let cases: &[(&str, &[&str])] = &[
            ("start box: netw", &["1:12 unknown namespace kind `netw`"]),
            ("start box: net net", &["1:16 `net` is listed twice"]),
            ("start box:", &["1:1 `start` needs at least one namespace kind"]),
            ("start box uts", &["1:1 expected `start NAME: KIND…`"]),
            ("start host: uts", &["1:7 `host` is not a process name here"]),
            ("start Box: uts", &["1:7 invalid name `Box`"]),
            ("start a: uts in", &["1:1 expected `start NAME: KIND… in OTHER`, with one name after `in`"]),
            ("run:", &["1:1 the command is empty"]),
            ("run on box: x", &["1:1 expected `run: COMMAND` or `run in NAME: COMMAND`"]),
            ("unshare: x", &["1:1 `unshare` needs at least one namespace kind"]),
            ("pin box net as /tmp/x", &["1:16 pin `/tmp/x` is a path"]),
            ("pin box net to x", &["1:1 expected `pin NAME KIND as PIN`"]),
            ("stop host", &["1:6 `host` is not a process name here"]),
            ("lsns: -x", &["1:7 unexpected `-x` in `lsns`"]),
            ("lsns: -t netw", &["1:10 unknown namespace kind `netw`"]),
            ("strat box: uts", &["1:1 unknown step line `strat`"]),
            ("save box net as old", &["1:17 invalid capture `old`"]),
            ("timeout: 5 minutes", &["1:10 invalid timeout `5 minutes`"]),
            ("timeout: 0s", &["1:10 invalid timeout `0s`"]),
            ("id: Bad", &["1:5 invalid step id `Bad`"]),
            ("goal: x", &["1:1 `goal:` belongs in an exercise"]),
            ("title", &["1:1 expected `title: …`"]),
            ("| stray", &["1:1 a `|` line outside an output block"]),
            ("expect: stdout:", &["1:1 expected output with nothing after the colon needs `| ` lines below it"]),
        ];
        for (line, want) in cases {
            let (_, msgs) = draft(line);
            assert_eq!(&msgs, want, "{line}");
        }
    }
}
