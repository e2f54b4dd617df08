//! Fuzz target: the lesson parser, checker and diagnostic renderer must accept
//! any bytes without panicking or hanging.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use nslab::lesson::{parse_bytes, render};

fuzz_target!(|data: &[u8]| {
    match parse_bytes(data, Path::new("fuzz.md")) {
        Ok(lesson) => {
            for step in &lesson.steps {
                let _ = lesson.prose(step);
                let _ = step.action.value.to_string();
                for e in &step.expectations {
                    let _ = e.value.describe();
                    let _ = lesson.text(e.span);
                }
            }
            let _ = serde_json::to_string(&lesson);
        }
        Err(diagnostics) => {
            let _ = render(&diagnostics, true);
        }
    }
});
