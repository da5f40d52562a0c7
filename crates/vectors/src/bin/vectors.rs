//! `vectors <file.json>`: runs every case of a file in the schema of
//! `registration-vectors.json`, prints one line per group and a final `N passed, M failed`.
//! Exits non-zero on any failure or on a group it cannot run.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: vectors <registration-vectors.json>");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let doc: serde_json::Value = match serde_json::from_str(&text) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{path} is not JSON: {e}");
            return ExitCode::from(2);
        }
    };
    let reports = match entropy_register_vectors::run_document(&doc) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    let (mut passed, mut failed, mut unknown) = (0usize, 0usize, 0usize);
    for r in &reports {
        let status = if !r.known {
            "  CANNOT RUN (unknown group)"
        } else {
            ""
        };
        println!(
            "{:<30} {:>3} passed, {:>3} failed{status}",
            r.name,
            r.passed,
            r.failures.len()
        );
        for (case, why) in &r.failures {
            println!("    FAIL {case}: {why}");
        }
        passed += r.passed;
        failed += r.failures.len();
        unknown += usize::from(!r.known);
    }
    println!("vectors: {} groups, {unknown} unknown", reports.len());
    println!("{passed} passed, {failed} failed");
    if failed > 0 || unknown > 0 || passed == 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
