//! The Python runner's own unit tests (`harness/python/tests`, standard-library `unittest`), run
//! by `cargo test` so that the one test command covers both sides of the protocol.

use std::path::Path;
use std::process::Command;

use xsoar_harness::runtime::PythonHost;

/// Fewer tests than this means discovery lost some (an import error hides a whole file).
const AT_LEAST: usize = 30;

#[test]
fn the_python_runner_passes_its_unit_tests() {
    let host = PythonHost::discover().expect("the harness's Python interpreter");
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("python");
    let output = Command::new(&host.base().path)
        .arg("-B")
        .args(["-m", "unittest", "discover", "-v", "-s"])
        .arg(python.join("tests"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(&python)
        .output()
        .expect("start the Python interpreter");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "the Python runner's unit tests failed ({}):\n{report}",
        output.status
    );
    let ran = report
        .lines()
        .find_map(|line| line.strip_prefix("Ran ")?.split(' ').next()?.parse().ok())
        .unwrap_or(0);
    assert!(
        ran >= AT_LEAST,
        "only {ran} Python tests ran (expected at least {AT_LEAST}):\n{report}"
    );
}
