//! Benchmark: parse and check a generated 1 MB lesson with thousands of steps.
//!
//! `cargo bench --bench parse` prints the median of 20 runs (target: < 10 ms).

use std::path::Path;
use std::time::{Duration, Instant};

use nslab::lesson::parse_lesson;

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

fn main() {
    let text = generate(1024 * 1024);
    let lesson = match parse_lesson(&text, Path::new("big.md")) {
        Ok(lesson) => lesson,
        Err(diags) => panic!("the generated lesson must parse:\n{}", nslab::lesson::render(&diags, false)),
    };
    let mut times: Vec<Duration> = (0..20)
        .map(|_| {
            let started = Instant::now();
            let parsed = parse_lesson(&text, Path::new("big.md"));
            let took = started.elapsed();
            assert!(parsed.is_ok());
            took
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2];
    let mb = text.len() as f64 / (1024.0 * 1024.0);
    println!(
        "parse: {:.2} MiB, {} steps, {} lines: median {:.2} ms over {} runs (min {:.2} ms, max {:.2} ms), {:.0} MiB/s",
        mb,
        lesson.steps.len(),
        text.lines().count(),
        median.as_secs_f64() * 1e3,
        times.len(),
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        mb / median.as_secs_f64(),
    );
}
