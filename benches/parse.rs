//! Benchmark: parse and check a generated 1 MB lesson with thousands of steps.
//!
//! `cargo bench --bench parse` prints the median of 50 runs (target: < 10 ms).

use std::path::Path;
use std::time::{Duration, Instant};

use nslab::lesson::parse_lesson;

/// The allocator the `nslab` binary uses, so the figure is nslab's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A valid lesson of about `bytes` bytes: groups of start / run in / stop steps
/// with prose, saves, output expectations, regexes and hints.
fn generate(bytes: usize) -> String {
    let mut text = String::from("---\nid: big\ntitle: A big lesson\nneeds: userns\nduration: 600 min\n---\n\n");
    let mut i = 0;
    while text.len() < bytes {
        text.push_str(&format!(
            r#"## Part {i}

A process gets new namespaces only of the kinds it asks for. Here `box{i}` asks
for a new UTS and network namespace, and shares every other one with the host.

```nslab
id: start-{i}
title: Start box {i}
start box{i}: uts net
save box{i} net as @net{i}
expect: box{i} uts differs from host
expect: box{i} net differs from host
expect: box{i} pid same as host
hint: `start box{i}: uts net` asks for CLONE_NEWUTS and CLONE_NEWNET.
```

```nslab
id: rename-{i}
run in box{i}: hostname box{i} && hostname
timeout: 5s
expect: status 0
expect: stdout: box{i}
expect: stdout matches: ^box[0-9]+$
expect: stderr:
| ...
expect: host uts same
```

```nslab
id: stop-{i}
stop box{i}
expect: @net{i} gone from lsns
```

"#
        ));
        i += 1;
    }
    text
}

/// CPU time used by this thread so far (less disturbed by a busy machine than
/// wall time).
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let text = generate(1024 * 1024);
    let lesson = match parse_lesson(&text, Path::new("big.md")) {
        Ok(lesson) => lesson,
        Err(diags) => panic!("the generated lesson must parse:\n{}", nslab::lesson::render(&diags, false)),
    };
    let runs = 50;
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let (started, cpu_started) = (Instant::now(), thread_cpu_time());
        let parsed = parse_lesson(&text, Path::new("big.md"));
        wall.push(started.elapsed());
        cpu.push(thread_cpu_time().saturating_sub(cpu_started));
        assert!(parsed.is_ok());
    }
    let min = wall.iter().min().copied().unwrap_or_default();
    let (wall, cpu) = (median(wall), median(cpu));
    let mib = text.len() as f64 / (1024.0 * 1024.0);
    println!(
        "parse: {mib:.2} MiB, {} steps, {} lines; over {runs} runs: median {:.2} ms wall (min {:.2} ms), median {:.2} ms CPU; {:.0} MiB/s",
        lesson.steps.len(),
        text.lines().count(),
        ms(wall),
        ms(min),
        ms(cpu),
        mib / wall.as_secs_f64(),
    );
}
