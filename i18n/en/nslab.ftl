# nslab's interface in English: every message, and the fallback for the
# other languages. Message ids name what the words are for; variables are
# `{ $name }`. Keep the keys ([Enter], [s]…) as they are: they are keys.

## Prompts (src/ui/keys.rs)

keys-before-step = [Enter] run  [s] skip  [h] hint  [b] back  [?] more keys  [q] quit
keys-before-exercise = [Enter] open the shell  [s] skip  [h] hint  [b] back  [?] more keys  [q] quit
keys-after-failure = [r] retry  [Enter] go on  [h] hint  [b] back  [?] more keys  [q] quit
keys-after-failed-exercise = [r] retry  [h] hint  [v] view the solution  [Enter] go on  [?] keys  [q] quit
keys-interrupted = interrupted: [r] retry  [s] skip  [q] quit
keys-short-before-step = [Enter] run  [?] keys
keys-short-before-exercise = [Enter] shell  [?] keys
keys-short-after-failure = [r] retry  [Enter] on  [?] keys
keys-short-interrupted = [r] retry [s] skip [q] quit

help-enter-run = run the step (an exercise: open your shell in the lab)
help-enter-go-on = go on to the next step
help-retry = run the step again
help-skip = skip the step (nslab says later if a step needed it, and offers to run it)
help-hint = show a hint; press again for the next one
help-back = back one step: the lab starts afresh and the earlier steps run again quietly
help-go-to = go to a step by number or id, or to another lesson by its id
help-list = list the lesson's steps with what became of each
help-space = while reading: the next page of a long text
help-ctrl-c = in a running step: stop it (then retry, skip or quit); elsewhere: leave nslab (exit 130)
help-quit = stop here; `nslab` later continues where you left off
help-keys = these keys
help-solution = show the reference solution

## The terminal face (src/ui/face.rs)

go-to-question = go to step (1–{ $last }, or its id), or lesson (its id):
go-to-nowhere = no step { $answer } in this lesson, and no lesson with that id; `l` lists the steps, `nslab list` the lessons
go-to-here = that is this step
back-at-first = this is the first step: there is no step to go back to
hint-label = hint:
hint-none = (this step has no hint)
hint-no-more = (no more hints)
step-skipped = step { $number } skipped: { $why }
setup-ran = ✔ ran
setup-failed = ✘ failed:
setup-step = step { $number } ({ $id }) to set up what the next one needs
more-lines = { $count } more lines
timed-out-stopped = the command timed out after { $seconds } s and was stopped
action-failed = the action failed:
observed-label = observed:
interrupted-label = ⏹ interrupted:
interrupted-step = step { $number } stopped by Ctrl-C
stopped-at = Stopped at step { $number } of { $total }. `nslab` continues from here.
resumed-at = , step { $number } of { $total }: a fresh lab; the steps before it run again, quietly
lesson-started = ({ $id }, { $steps } steps) — press ? at any prompt for the keys
lesson-cannot-run = { $id }: cannot run here: { $reason }
replay-failed = replaying step { $step } on the way to { $target } did not pass:
back-to = back to step { $number }: a fresh lab; the steps before it run again, quietly
recorded = recorded { $count } output expectation(s) in { $path }
solution-label = the reference solution:
unmet = step { $number } ({ $title }) { $why }.
unmet-offer = Enter runs step { $number } ({ $setup }) now, quietly, and then this one; s skips this one too.
keys-unmet = [Enter] run { $setup } first  [s] skip  [b] back  [q] quit
next-lesson = Next: { $title } ({ $id })
keys-next-lesson = [Enter] start it  [q] stop here

## The step card, the list of steps, the summary (src/ui/card.rs)

kinds-list = { $rest } and { $last }
kinds-separator = ,{" "}
card-inside = , inside { $owner }'s namespaces
card-start-plain = start a process named { $name }{ $place }, in no new namespace
card-start = start a process named { $name } in new { $kinds } namespaces{ $place }; it shares the other kinds with the lab
card-run-lab = run this command in the lab:
card-run-in = run this command inside { $name }'s namespaces:
card-run-pinned = run this command inside the namespace pinned at { $pin }:
card-unshare = leave the lab's { $kinds } namespaces for new ones, then run:
card-pin = keep { $name }'s { $kind } namespace alive by bind-mounting it at { $pin }
card-unpin = unmount and remove the pin { $pin }
card-stop = kill { $name } and wait until it is gone
card-lsns-all = list every namespace nslab can see
card-lsns = list the { $kinds } namespaces nslab can see
card-your-turn = your turn: nothing is set up for you
card-head = Step { $number } of { $total }
card-goal = Your turn: { $goal }
card-exercise = nslab opens a shell in the lab: reach the goal with your own commands, type `check` there, and leave the shell (exit) to go on.
card-checks = then nslab checks that
card-stream-is = { $stream } is
card-any-lines = (any lines)
list-steps = { $count } steps
summary-head = { $title } — the end
minutes-seconds = { $minutes } min { $seconds } s
seconds = { $seconds } s
counts = { $passed } passed, { $failed } failed, { $skipped } skipped
counts-in = { $counts }, in { $time }
status-failed = failed
status-skipped = skipped
status-not-run = not run
summary-step = step { $number } ({ $id }): { $status }
summary-next = `nslab` goes on with the next lesson; `nslab list` shows them all.
summary-again = `nslab` comes back to the steps left; `nslab list` shows every lesson.

## The namespace picture (src/ui/picture.rs)

picture-your-shell = your shell
picture-pin = pin { $name }
picture-legend = Who is in which namespace: · is the lab's own namespace; A, B… are other namespaces, one letter each, so the same letter means the same namespace; * marks what this step changed; a pin holds a namespace without a process.
picture-unreadable = ? could not be read
picture-gone = gone
picture-lab-own = the lab's own namespaces (·)
picture-all-host = all the lab's (·)
picture-rest-host = ; the rest the lab's

## The report of `nslab run --yes` (src/run/report.rs)

report-lesson-started = ({ $id }, { $steps } steps)
report-replay-failed = replaying step { $step } to reach { $target } failed
report-back-to = back to { $step }: a fresh lab, the steps before it replayed
report-skipped = skipped: { $why }
more-bytes = and { $count } more bytes, not kept
timed-out-killed = the command timed out after { $seconds } s and was killed
unknown-label = unknown:

## Expectations in words (src/lesson/model.rs, output.rs), and why a step was skipped (src/run/event.rs)

ns-capture = the namespace saved as @{ $name }
ns-lab = the lab's { $kind } namespace
ns-shell = the { $kind } namespace of your shell
ns-process = the { $kind } namespace of { $name }
ns-pin = the { $kind } namespace pinned at { $pin }
ns-of = the namespace of { $subject }
owner-lab = the lab's
owner-shell = your shell's
owner-process = { $name }'s
owner-capture = the one saved as @{ $name }
owner-pin = the one pinned at { $pin }
expect-changed = { $ns } changes
expect-unchanged = { $ns } stays the same
expect-same-as = { $ns } is the same as { $other }
expect-differs-from = { $ns } differs from { $other }
expect-in-lsns = { $ns } is listed by lsns
expect-gone-from-lsns = { $ns } is gone from lsns
expect-nprocs = { $ns } holds { $count } { $count ->
    [one] process
   *[other] processes
}
expect-pinned-at = { $ns } is pinned at { $pin }
expect-status = the command exits with status { $code }
expect-status-nonzero = the command exits with a nonzero status
expect-output-empty = { $stream } is empty
expect-output-is = { $stream } is `{ $text }`
expect-output-lines-gaps = { $stream } has the { $count } lines shown, with any lines where `...` stands
expect-output-lines = { $stream } is the { $count } lines shown
expect-output-contains = { $stream } contains `{ $text }`
expect-output-matches = { $stream } matches the regex `{ $regex }`
skip-learner = skipped by the learner
skip-fail-fast = not run: an earlier step failed and --fail-fast was given
skip-needs-failed = depends on { $name }, which a failed step ({ $step }) was to set up
skip-needs-skipped = depends on { $name }, which step { $step } sets up, and { $step } was skipped: run { $step } first

## What was seen, in a verdict (src/run/verify.rs)

seen-nothing = nothing (gone or never made)
seen-lab-unreadable = the lab's namespaces could not be read: { $error }
seen-process-unreadable = the namespaces of { $name } could not be read: { $error }
seen-pin-unreadable = pin { $pin } could not be read: { $error }
seen-no-listing = no lsns listing was taken
seen-scan-failed = the scan of /proc failed: { $error }
seen-cannot-tell = cannot tell: { $why }
seen-reused = { $ns } is { $now } before and after, but another namespace now has that number (its serial changed)
seen-changed = { $ns } was { $was } before and is { $now } after
seen-unchanged = { $ns } is { $now } before and after
seen-compared = { $ns } is { $mine }; { $other } has { $theirs }
seen-compared-capture = { $ns } is { $mine }; { $other } was { $theirs }
seen-not-found-lookup = { $ns } could not be found, so it cannot be looked up
seen-listed = { $link } is listed, with { $count } processes
seen-not-listed = { $link } is not listed
seen-not-found = { $ns } could not be found
seen-holds = { $link } holds { $count } processes
seen-not-in-lsns = { $ns } is not listed by lsns
seen-no-nsfs = { $link } has no nsfs mount
seen-mounted-at = { $link } is mounted at { $paths }
seen-no-command = no command ran
seen-timed-out = the command timed out after { $seconds } s
seen-no-status = no status
seen-output-empty = { $stream } was empty
seen-output-was = { $stream } was:

## Commands (src/cmd.rs, src/ui/mod.rs)

no-terminal = no terminal to ask on (its input or output is a pipe or a file), so no lesson runs.
    {"  "}To run lessons straight through without questions:  nslab run --yes [LESSON|DIR…]
    {"  "}Add --save-progress to record them as your progress, --format json for JSON Lines events.
all-finished = You have finished every lesson. `nslab list` shows them; `nslab reset` starts over.
list-done = done
list-not-started = not started
list-partly = { $done }/{ $total } steps
list-next = next: { $step }
list-needs = needs { $needs }

## The pager (src/ui/screen.rs)

pager-more = more: Space or Enter

## The book's step cards (src/book.rs, `nslab mdbook`); HTML is allowed, variables are already escaped

book-untranslated-title = Not translated yet
book-untranslated = This lesson has no translation yet: read <a href="{ $link }">the original</a>.
book-minutes = about { $minutes } minutes
book-runs-anywhere = runs anywhere
book-needs = needs { $needs }
book-run-it = run it with { $command }
book-file = nslab puts this file in the run folder as { $name }:
book-new-ns = a new { $kinds } namespace
book-new-nss = new { $kinds } namespaces
book-no-new-ns = no new namespace
book-inside = , inside the namespaces of { $name }
book-start = Start a process { $name } in { $namespaces }{ $place } (clone). By hand:
book-run-lab = Run in the lab:
book-run-in = Run inside the namespaces of { $name } (setns):
book-run-pinned = Run inside the namespace pinned at { $pin } (setns):
book-unshare = Move into { $namespaces } (unshare), then run:
book-pin = Keep the { $kind } namespace of { $name } alive with a bind mount at { $pin }. By hand:
book-unpin = Unmount the pin { $pin }. By hand:
book-stop = Stop { $name } (it is killed and reaped). By hand:
book-your-turn = Your turn: reach the goal with your own commands.
book-lsns-all = List every namespace:
book-lsns = List the { $kinds } namespaces:
book-step-n = Step { $number }
book-exercise-n = Your turn { $number }
book-probe = When you type <code>check</code>, nslab runs this in your shell's namespaces:
book-the-lab = the lab
book-save = nslab notes the { $kind } namespace of { $whose } as { $capture }.
book-checks = nslab then checks that:
book-stream-is = { $stream } is:
book-picture-done = When you are done, the lab should look like this:
book-picture-after = Afterwards the lab should look like this:
book-hint-n = Hint { $number }
book-hint = Hint
book-solution = Solution
book-step-needs = Needs { $programs }: where it is not installed, nslab skips this step and says why.

## The namespace picture in the book and the live page (src/picture.rs)

svg-expected = expected
svg-seen = seen
svg-label = namespaces { $what }: { $rows } rows
svg-the-pin = the pin { $name }
svg-ns = { $kind } namespace { $ino }
svg-ns-host = { $kind } namespace (the lab's)
svg-ns-new = { $kind } namespace (a new one)
svg-changed = ; changed by this step
svg-held = { $id }, held by { $held }{ $changed }
svg-new = new
svg-owned-by = the { $kind } namespace is owned by this user namespace
svg-child-of = this pid namespace is the parent of that one
svg-legend-expected = what nslab expects · one colour = one namespace · outlined: changed
svg-legend-seen = one colour = one namespace · outlined: changed · hover: inode

## nslab doctor (src/doctor/)

cap-namespace = { $kind } namespace
cap-id-maps = uid/gid maps
cap-mount-proc = mount /proc in a pid namespace
cap-nsfs-bind = nsfs bind mount
cap-read-ns-links = read /proc/PID/ns
cap-lab-userns = lab: its own user namespace
cap-lab-rootfs = lab: its own root file system
cap-lab-session = lab: new session, no fds
cap-lab-limits = lab: limits
cap-lab-cgroup = lab: its own cgroup
cap-in-userns = { $name } in a user namespace
way-as-root = as root
way-rootless = rootless
tools-nor = {" "}nor{" "}
tools-neither = neither { $names } is installed
tools-not-installed = { $tools } is not installed
tools-why = it builds or runs programs with { $tools }, and { $none }
tools-fix = install a C compiler or Python 3 (Debian and Ubuntu: `sudo apt install gcc python3`)
lesson-needs-root = needs root
lesson-try-as-root = run `sudo nslab doctor` to try as root
lesson-needs-kernel = needs Linux { $min } or later, this is { $have }
lesson-check-fails = { $check } fails: { $why }
lesson-check-not-tried = { $check } not tried: { $reason }
why-no-time-ns = this kernel has no time namespaces (they came with Linux 5.6, CONFIG_TIME_NS)
fix-no-time-ns = needs Linux 5.6 or later (CONFIG_TIME_NS)
why-no-kind = this kernel has no { $kind } namespaces ({ $option } is off)
fix-no-kind = needs a kernel built with { $option }=y
why-userns-clone-off = unprivileged user namespaces are switched off: kernel.unprivileged_userns_clone is 0 (a Debian/Ubuntu setting)
why-apparmor = AppArmor restricts unprivileged user namespaces: kernel.apparmor_restrict_unprivileged_userns is 1 (Ubuntu 23.10 and later)
why-max-userns-zero = user namespaces are switched off: user.max_user_namespaces is 0
why-too-many = too many namespaces exist: the limit { $limit }{ $now } is reached
why-now = {" "}(now { $count })
fix-systempaths = start the container with --security-opt systempaths=unconfined
why-proc-covered = parts of /proc are covered by mounts ({ $covered }), so the kernel refuses a new /proc in a user namespace
why-no-cap-sys-admin = this root lacks CAP_SYS_ADMIN, which creating namespaces needs
fix-privileged-cap = start the { $runtime } container with --privileged (or --cap-add SYS_ADMIN)
fix-cap-sys-admin = run nslab as root with CAP_SYS_ADMIN
why-seccomp-filter = its seccomp filter
why-security-profile = its security profile
why-container-forbids = the { $runtime } container forbids creating namespaces ({ $filter } or missing capabilities)
fix-privileged-seccomp = start the container with --privileged (or --security-opt seccomp=unconfined)
why-not-procfs = /proc is not a procfs (a container or WSL?)
fix-not-procfs = run nslab where /proc is a real procfs: on the host or in a VM
doctor-unknown-kernel = an unknown kernel
doctor-as-root-in-userns = as root in a user namespace
doctor-as-root = as root
doctor-as-user = as an unprivileged user
doctor-in-container = , in a container ({ $runtime }: { $evidence })
doctor-settings = Settings
doctor-absent = absent
doctor-unknown = unknown
doctor-not-procfs = not a procfs
doctor-kinds = namespace kinds
doctor-all-eight = all eight
doctor-only = only { $kinds }
doctor-yes = yes
doctor-no = no
doctor-cannot = no
doctor-off = off
doctor-works = works
doctor-fails = FAILS
doctor-not-tried = not tried
doctor-none = none
doctor-runs = runs
doctor-capability = Capability
doctor-lessons = Lessons
doctor-as-root-not-tried = The as-root column: not tried, { $reason }.
doctor-rootless-as-root = The rootless column was tried as root, inside user namespaces; run `nslab doctor` as your own user to try it unprivileged.
doctor-why-and-fix = Why, and the fix
doctor-error = error:
doctor-fix = fix:
doctor-unexplained = no setting explains it
doctor-every-check = every { $way } check
tool-needed-by = { $tool } — needed by { $steps }
tool-no-package = { $program } (install it with your distribution's package manager)
tools-lacking = it needs programs this machine lacks: { $list }
tools-programs = Programs
tools-here = here
tools-present = present
tools-missing = MISSING
tools-lessons = lessons
tools-install = Lessons calling a missing program are skipped (exit 3). To install:
doctor-checks-why = { $checks }: { $why }
doctor-check-error = { $check } ({ $way }): { $error }
doctor-check-way = { $check } ({ $way })
doctor-lesson-reason = { $id } { $way }: { $reason }

## nslab check: translations (src/lesson/translation.rs)

tr-not-a-file-name = `translates: { $name }` is not a lesson file name
tr-not-a-file-name-help = name the original's file, e.g. `translates: 01-observe.md`
tr-named-otherwise = this translation is named { $own } but translates { $name }
tr-named-otherwise-help = a translation has its original's file name: rename it to { $name }
tr-original-missing = the original { $path } is missing ({ $why })
tr-original-missing-help = a translation in lessons/LANG/ translates the lesson of the same name in lessons/
tr-original-broken = the original { $path } does not pass `nslab check` ({ $count } errors)
tr-original-broken-help = fix the original first
tr-original-translated = { $path } is itself a translation
tr-original-translated-help = translate the original lesson
tr-id-differs = the lesson id `{ $id }` differs from the original's `{ $original }`
tr-id-differs-help = a translation keeps its original's id: `id: { $original }`
tr-needs-differ = `needs: { $needs }` differs from the original's `needs: { $original }`
tr-needs-differ-help = a translation needs what its original needs: `needs: { $original }`
tr-why-stale = { $path } changed since this was translated
tr-why-match = a translation changes prose, titles, hints and goals only; its steps must match the original's
tr-extra-step = step { $number } `{ $id }` is not in the original, which has { $count } steps
tr-fewer-steps = this translation has { $mine } steps; the original has { $count }
tr-fewer-steps-help = translate the missing steps: { $steps }
tr-no-fingerprint = a translation needs `source-steps:`, the fingerprint of the original's steps it was translated from
tr-add-fingerprint = the steps match { $path }: add the line `source-steps: { $now }`
tr-match-then-add = make the steps match { $path }, then add the line `source-steps: { $now }`
tr-bad-fingerprint = `{ $value }` is not a fingerprint of steps (16 hex digits)
tr-write-fingerprint = the steps match { $path }: write `source-steps: { $now }`
tr-match-then-write = make the steps match { $path }, then write `source-steps: { $now }`
tr-matches-again = the steps match the original again: update the fingerprint to `source-steps: { $now }`
tr-bring-in-line = bring the prose and steps in line with { $path } (its changed steps are reported here), then set `source-steps: { $now }`
tr-stale = stale translation: the steps of { $path } changed since it was translated (fingerprint { $then } then, { $now } now)
tr-step-head = step { $number } `{ $id }`
tr-part = { $part ->
   *[other] { $label }
}
tr-other-id = { $head }: the original's step { $number } is `{ $id }`
tr-give-id = { $why }; give it `id: { $id }` ({ $quote })
tr-an-exercise = an exercise
tr-a-step = a step
tr-other-kind = { $head } is { $mine }; the original's is { $theirs }
tr-why-quote = { $why } ({ $quote })
tr-other-action = { $head }: the action `{ $action }` differs from the original's
tr-original-has = { $why }; the original has { $quote }
tr-line-differs = { $head }: this line differs from the original's
tr-line-extra = { $head }: this line is not in the original's step
tr-lacks = { $head } lacks one of the original's { $part }
tr-add = { $why }; add { $quote }
tr-part-differs = { $head }: its { $part } differ from the original's

## nslab check's summary (src/lesson/author.rs, src/cmd.rs)

check-lessons = checked { $count } { $count ->
    [one] lesson
   *[other] lessons
}: { $ok } ok
check-translations = checked { $count } { $count ->
    [one] translation
   *[other] translations
}: { $ok } ok
check-with-errors = , { $failed } with { $errors } { $errors ->
    [one] error
   *[other] errors
}
check-warnings = , { $count } { $count ->
    [one] warning
   *[other] warnings
}
check-unchecked = { $count } { $count ->
    [one] path
   *[other] paths
} could not be checked
check-fair = { $count } { $count ->
    [one] exercise
   *[other] exercises
}: { $fair } fair, { $unfair } not

## Hints computed from what was seen, and the exercise's `check` (src/run/exercise.rs)

probe-not-run = the probe did not run: nslab runs it only while `check` runs in your shell
hint-shell-unseen = nslab could not see your shell: type `check` in it while it runs
hint-still-lab = the { $kind } namespace of your shell is still the lab's: was { $flag } given to unshare?
hint-not-in = your shell is not in the { $kind } namespace of { $name }: { $command } joins it
hint-own-ns = your shell has a { $kind } namespace of its own: leave it (exit) or do not unshare { $kind }
hint-nothing-pinned = nothing holds a namespace at { $pin }: `touch { $pin }; mount --bind /proc/PID/ns/KIND { $pin }` keeps one there (in the run folder, $NSLAB_RUN_DIR)
exercise-all-holds = All of it holds. Leave the shell (exit, or Ctrl-D) to go on.

## Why a lesson cannot run here (src/run/mod.rs)

cannot-needs-root = it needs root: run it with sudo (it cannot work inside an unprivileged user namespace)
cannot-needs-kernel = it needs Linux { $min } or later; this kernel is { $release }
cannot-why-fix = { $why } — fix: { $fix }
cannot-kinds = it uses { $kinds } namespaces, but { $why } — fix: { $fix }
cannot-lab-why-fix = { $why } — fix: { $fix } (`nslab doctor` tells more)
cannot-lab = { $error } (`nslab doctor` shows what this machine can do)
doctor-root-only = works as root, but the kernel refuses it to unprivileged users
doctor-no-cgroup = { $error } (as root, or in a cgroup delegated to this user); rlimits bound each of the lab's processes instead
doctor-absent-part = { $check } ({ $way }): none: { $reason }.

## nslab check: the lesson file, front matter, blocks and files (src/lesson/)

fm-missing = missing front matter
fm-missing-help = a lesson starts with `---`, then `id: …` and `title: …` lines, then `---`
fm-not-closed = front matter is not closed
fm-not-closed-help = end the front matter with a line holding only `---`
fm-expected-key = expected `key: value`
fm-keys = front matter keys are id, title, needs, duration
fm-did-you-mean = did you mean `{ $key }`? front matter keys are id, title, needs, duration
fm-unknown-key = unknown front matter key `{ $key }`
fm-twice = `{ $key }` is given twice
fm-bad-id = invalid lesson id `{ $id }`
fm-bad-id-help = a lesson id uses only a-z, 0-9 and `-`, e.g. `uts-basics`
fm-empty-title = the title is empty
fm-empty = `{ $key }` is empty
fm-bad-duration = invalid duration `{ $duration }`
fm-bad-duration-help = write the estimated duration in whole minutes, e.g. `10 min`
fm-no-key = the front matter has no `{ $key }`
fm-no-key-help = add a line `{ $key }: …` between the `---` lines
fm-steps-alone = `source-steps` without `translates`
fm-steps-alone-help = a translation names its original: `translates: 01-observe.md`
fm-empty-need = an empty item in `needs`
fm-unknown-need = unknown need `{ $need }`
fm-needs-help = needs are a comma separated list of `root`, `userns`, `kernel 5.6`, programs such as `cc or python3` (one of them must be installed), or just `nothing`
fm-nothing-combined = `nothing` cannot be combined with other needs
block-file-unnamed = a file block without a name
block-file-unnamed-help = write ```nslab file NAME, e.g. ```nslab file uts.c
block-unknown-kind = unknown block kind `{ $kind }`
block-kinds-help = write ```nslab for a step, ```nslab exercise for an exercise or ```nslab file NAME for a file
block-extra-word = unexpected `{ $word }` after the block kind
file-unterminated = unterminated file block `{ $name }`: it runs to the end of the file
file-unterminated-help = close it with a line holding only ```
file-name-is-path = a file goes into the run folder itself: give a name, not a path
file-name-chars = use letters, digits, `.`, `_` and `-`, e.g. `uts.c`
file-bad-name = invalid file name `{ $name }`
file-reserved = `{ $name }` is a name nslab uses in the run folder
file-reserved-help = give the file another name
file-twice = a file named `{ $name }` is already carried at line { $line }
file-twice-help = give each file of a lesson its own name
file-no-step = no step follows the file `{ $name }`
file-no-step-help = a file is put in the run folder before the step after it: move it above that step
file-pin-clash = the pin `{ $name }` has the name of a file the lesson carries
file-pin-clash-help = pins and files share the run folder: rename one
lesson-too-big = the file is { $bytes } bytes; a lesson may be at most { $max } bytes (10 MiB)
lesson-too-big-help = split it into several lessons
lesson-binary = this looks like a binary file: NUL byte at byte { $at }
lesson-binary-help = a lesson is a UTF-8 Markdown text file
lesson-not-utf8 = not UTF-8 at byte { $at }
lesson-not-utf8-help = save the lesson as UTF-8 text
lesson-empty = the file is empty
lesson-empty-help = a lesson needs front matter (`---`, `id: …`, `title: …`, `---`) and at least one ```nslab step
lesson-no-steps = this lesson has no steps
lesson-no-steps-help = a step is a fenced block opened with ```nslab holding an action and `expect:` lines
lesson-unterminated = unterminated { $fence }nslab fence: it runs to the end of the file or of its container
lesson-unterminated-help = close the step with a line holding only { $fence }
lesson-incomplete-front = the front matter is incomplete
lesson-incomplete-front-help = give it `id:` and `title:` lines

## nslab check: step lines (src/lesson/step/mod.rs)

did-you-mean = did you mean `{ $word }`?
step-bar-outside = a `|` line outside an output block
step-bar-outside-help = `|` lines continue `expect: stdout:`, `expect: stderr:` or `stdin:` with nothing after the colon
step-twice = `{ $word }:` is given twice in this step
step-bad-id = invalid step id `{ $id }`
step-bad-id-help = a step id uses a-z, 0-9, `-` and `_`, e.g. `start-box`
step-bad-timeout = invalid timeout `{ $timeout }`
step-bad-timeout-help = write a whole number of seconds or milliseconds, e.g. `5s` or `500ms` (at most 3600s)
step-exercise-only = `{ $word }:` belongs in an exercise
step-exercise-only-help = open the block with ```nslab exercise
step-bad-pin = invalid pin name `{ $name }`
step-bad-pin-help = a pin is a file name in the run folder: a-z, 0-9, `-` and `_`
step-creates-usage = expected `creates: NAME KIND`
step-creates-usage-help = e.g. `creates: mynet net`: the learner pins a net namespace at `mynet`
step-lines-help = a step line is an action (start, run, run in, unshare, pin, unpin, stop, lsns), `save`, `expect:`, `id:`, `title:`, `hint:`, `timeout:`, `stdin:` or `needs:`
step-unknown-line = unknown step line `{ $line }`
step-expected-output = expected output
step-needs-bars = { $what } with nothing after the colon needs `| ` lines below it
step-needs-bars-help = write the text on the same line, or on following lines that start with `| `
step-needs-value = `{ $word }:` needs a value
step-expected-word = expected `{ $word }: …`
step-expected-usage = expected `{ $usage }`
step-write-usage = write `{ $usage }`
step-lab-not-process = `{ $name }` is not a process name here
step-lab-not-process-help = `{ $name }` stands for the lab, the lesson's own namespaces; name processes something else, e.g. `box`
step-bad-name = invalid name `{ $name }`
step-bad-name-help = names start with a-z and use a-z, 0-9, `-` and `_`
step-too-many-kinds = { $count } namespace kinds listed; there are only eight
step-kinds-once = kinds are cgroup, ipc, mnt, net, pid, time, user, uts, each listed once
step-kind-twice = `{ $kind }` is listed twice
step-kinds-commas = separate kinds with spaces, not commas: `uts net`
step-kind-did-you-mean = did you mean `{ $kind }`? kinds are cgroup, ipc, mnt, net, pid, time, user, uts
step-kinds = kinds are cgroup, ipc, mnt, net, pid, time, user, uts
step-unknown-kind = unknown namespace kind `{ $kind }`
step-bad-capture = invalid capture `{ $capture }`
step-bad-program = invalid program name `{ $program }` in `needs:`
step-bad-program-help = name programs the step runs, separated by commas, e.g. `needs: nft`
step-bad-capture-help = a capture is written `@name`, with a name of a-z, 0-9, `-` and `_`

## nslab check: expectations and actions (src/lesson/step/expectation.rs, action.rs)

ex-status-usage = expected `status N` or `status nonzero`
ex-status-usage-help = N is an exit status from 0 to 255
ex-incomplete = incomplete expectation about `{ $subject }`
ex-incomplete-help = say which namespace and what about it, e.g. `{ $subject } net changed`
ex-incomplete-ns = incomplete expectation about { $ns }
ex-which-ns = which namespace of `{ $subject }`?
ex-which-ns-help = name the kind before `{ $word }`, e.g. `{ $subject } net { $word }`
ex-forms = expectations are `SUBJ KIND changed|same`, `SUBJ KIND same as|differs from OTHER`, `… in lsns`, `… gone from lsns`, `… nprocs N`, `… pinned at PIN` (where `…` is `SUBJ KIND` or `@capture`), `status N|nonzero`, `stdout: TEXT`, `stdout contains: TEXT`, `stdout matches: REGEX` (and the same for stderr)
ex-unknown = unknown expectation `{ $expectation }`
ex-compare-with = compare with a process name, `lab`, or an `@capture`
ex-not-a-count = `{ $count }` is not a process count
pin-is-path = pin `{ $pin }` is a path
pin-is-path-help = pins live in the run's folder; give a name, not a path
ex-needs-text = `{ $stream } { $word }:` needs a text
ex-regex-too-long = the regex is longer than { $max } bytes
ex-bad-regex = invalid regex: { $reason }
ex-output-usage = expected `{ $stream }: TEXT`, `{ $stream } contains: TEXT` or `{ $stream } matches: REGEX`
ex-output-usage-help = for several lines, write `expect: { $stream }:` and then `| ` lines
act-run-usage = expected `run: COMMAND` or `run in NAME: COMMAND`
act-needs-kind = `{ $action }` needs at least one namespace kind
act-pin-usage = expected `pin NAME KIND as PIN`
act-name-usage = expected `{ $action } NAME`
act-start-usage = expected `start NAME: KIND…` with one name before the colon
act-start-in-usage = expected `start NAME: KIND… in OTHER`, with one name after `in`
act-start-example = e.g. `start box: uts net`
act-lsns-usage = expected `lsns` or `lsns: -t KIND`
act-lsns-too-many = too many `lsns` options
act-lsns-too-many-help = `lsns` takes only `-t KIND` options, at most one per kind
act-lsns-unexpected = unexpected `{ $word }` in `lsns`
act-lsns-options = `lsns` takes only `-t KIND` options, e.g. `lsns: -t net -t uts`
act-empty-command = the command is empty
act-save-usage = expected `save NAME KIND as @capture`

## nslab check: names, definitions and the steps' structure (src/lesson/check.rs)

noun-process = a process
noun-pin = a pin
noun-capture = a capture
noun-error = a name with an error
noun-process-or-pin = a process or a pin
gone-removed = removed at the end of exercise { $number }
gone-unpinned = unpinned in step { $number }
gone-stopped = stopped in step { $number }
ck-no-probe = status and output in an exercise are those of its `probe:`, and it has none
ck-no-probe-help = add a probe, a command nslab runs in the learner's shell's namespaces, e.g. `probe: hostname` with `expect: stdout: lab`
ck-no-command = status and output can only be checked after a command
ck-no-command-help = this step's action is `{ $action }`; use `run`, `run in` or `unshare` to run a command
ck-stdin = `stdin:` is only for a step that runs a command
ck-action-is = this step's action is `{ $action }`
ck-defined-later = it is first defined in step { $number }; steps run in document order
ck-save-first = save it first, e.g. `save box net as @{ $name }`
ck-pin-first = pin a namespace first, e.g. `pin box net as { $name }`
ck-start-first = start it first, e.g. `start { $name }: uts`
ck-undefined = `{ $name }` is not defined here
ck-it-was = it was { $why }
ck-no-action = this step has no action
ck-no-action-help = give it one of: start, run, run in, unshare, pin, unpin, stop, lsns
ck-second-action = a second action in one step (the first is `{ $first }`)
ck-second-action-help = a step does one thing; split this into two steps
ck-no-expectation = this step has no expectation
ck-no-expectation-help = add an `expect:` line saying what must be true afterwards, e.g. `expect: box net differs from host`
ck-exercise-lacks = this exercise has no `{ $key }:`
ck-from-title = the title
ck-from-number = the step's number
ck-derived-id = the id is derived from { $from }; give this step its own `id:` line
ck-unique-ids = step ids must be unique in a lesson
ck-duplicate-id = duplicate step id `{ $id }` (step { $first } has it too)
ck-wrong-sort = `{ $name }` is { $is }, not { $wanted }
ck-stop-first = stop it first with `stop { $name }`, or choose another name
ck-unpin-first = unpin it first with `unpin { $name }`, or choose another name
ck-other-capture-name = choose another name for the capture
ck-defined-as = `{ $name }` is already defined as { $is }
ck-shell-outside = `shell` is the learner's shell, which exists only in an exercise
ck-shell-outside-help = open the block with ```nslab exercise, or name a process
ck-capture-kind = @{ $name } holds a { $captured } namespace, so it cannot be compared with a { $kind } namespace
ck-pin-kind = `{ $name }` pins a { $pinned } namespace, not a { $kind } namespace
ck-pin-capture-kind = `{ $name }` pins a { $pinned } namespace, but { $ns } holds a { $kind } namespace
ck-never-changes = `{ $word }` compares with before the step, but { $subject } is { $what }, which never changes
ck-never-changes-help = compare it with `same as` or `differs from`, e.g. `box net differs from { $subject }`
ck-starts-here = `{ $name }` starts in this step, so there is no `before` to compare with
ck-starts-here-help = compare it with the host instead, e.g. `{ $name } { $kind } differs from host`
hostile-kill = this command would signal every process it can reach (kill -1)
hostile-kill-help = signal one process, e.g. `kill $NSLAB_PID_BOX`
hostile-mount = this command would mount over `/`
hostile-mount-help = mount somewhere below the run folder, e.g. `$NSLAB_RUN_DIR/mnt`
hostile-umount = this command would unmount `/`
hostile-umount-help = unmount only what the lesson mounted
hostile-rm = this command would delete the whole file system
hostile-rm-help = delete only what the lesson made
hostile-reboot = this command would stop or restart the machine
hostile-reboot-help = leave the machine running
hostile-note = { $why } — in the lab only, which is a sandbox; on a machine without it, it would be the machine's
hostile-in = the { $line }: { $why }
check-no-lessons = no lessons (*.md files) in this folder
check-id-taken = lesson id `{ $id }` is also used by { $path }
check-id-taken-help = lesson ids must be unique
lesson-unreadable = cannot read the file: { $error }
lesson-is-dir = is a directory, not a lesson file

## The plain prompts of a terminal without the full face (src/run/term.rs, src/run/face.rs)

plain-keys-exercise = [Enter] open the shell  [s] skip  [h] hint  [q] quit
plain-keys-step = [Enter] run  [s] skip  [h] hint  [q] quit
plain-keys-failed-exercise = [r] try again  [h] next hint  [v] view the solution  [Enter] continue  [q] quit
plain-keys-failed = [r] retry  [Enter] continue  [h] hint  [q] quit
plain-keys-unmet = [Enter] run { $setup } now  [s] skip { $step }  [q] quit
reset-no-such = no lesson has the id { $id } (`nslab list` shows them)
reset-question = Forget your progress in every lesson?
reset-kept = kept your progress
reset-no-terminal = no terminal to ask on; `nslab reset --yes` forgets your progress in every lesson
reset-forgot = forgot your progress in { $id }
reset-nothing = no progress recorded for { $id }
reset-forgot-all = forgot your progress in every lesson
confirm-keys = [y/N]
new-wrote-zh = wrote { $path }, its Chinese translation — `nslab check` keeps their steps the same
new-wrote = wrote { $path } — check it with `nslab check { $path }`, run it with `nslab run { $path }`
serve-live-at = the book is live at { $url }
serve-only-here = only this machine can reach it, and only with the token; Ctrl-C stops it and tears every lab down
catalog-no-such = no such file, and no built-in lesson has this id (`nslab list` shows them)
run-from-unknown = --from { $step }: no lesson here has a step with that id
skip-program-package = it runs `{ $name }`, which is not installed here (Debian/Ubuntu: apt install { $deb }; Fedora: dnf install { $rpm })
skip-program = it runs `{ $name }`, which is not installed here: install it to run this step
unfair-passes-anyway = it passes with nothing done: an expectation holds whatever the learner does
unfair-solution-fails = its reference solution fails: { $why }
