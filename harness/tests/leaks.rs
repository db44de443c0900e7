//! No secret reaches any output: the leaky integration of `tests/fixtures/leaks/` sends its
//! credentials' password along every path a secret takes out of an integration (entries,
//! human-readable text, context, logs, vendor requests, stderr, an exception, a YAML error next
//! to the credentials line), and the CLI runs its scenarios writing everything it writes: the
//! terminal report, JUnit, JSON and the pending snapshots. Not one form of the password (raw,
//! percent-encoded, base64 of it and of `user:password`, base64url, JSON-escaped, the JSON token
//! holding it) may appear in any of them.

use std::path::Path;
use std::process::Command;

const PASSWORD: &str = "Hunter 2 \"s3cret\"/ö+&=";

/// Every form of the password the leaky integration writes, computed by Python itself (so that
/// the forms are not the masker's own idea of them).
fn forms() -> Vec<String> {
    const FORMS: &str = r#"
import base64, json, sys, urllib.parse
user, password = 'admin', sys.argv[1]
token = base64.urlsafe_b64encode(json.dumps({'sub': user, 'secret': password}).encode()).decode()
forms = [
    password,
    urllib.parse.quote(password), urllib.parse.quote_plus(password), urllib.parse.quote(password, safe=''),
    base64.b64encode(password.encode()).decode(),
    base64.urlsafe_b64encode(password.encode()).decode().rstrip('='),
    base64.b64encode(f'{user}:{password}'.encode()).decode(),
    json.dumps(password)[1:-1], json.dumps(password, ensure_ascii=False)[1:-1],
    json.dumps(json.dumps(password))[1:-1], repr(password)[1:-1],
    token,
    's3cret',  # any piece of the password gives it away
]
print(json.dumps(forms))
"#;
    let output = Command::new("python3")
        .args(["-c", FORMS, PASSWORD])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("a JSON list")
}

#[test]
fn no_form_of_a_secret_reaches_any_output() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/leaks");
    let out = std::env::temp_dir().join(format!("leaks-{}", std::process::id()));
    std::fs::create_dir_all(&out).expect("an output folder");
    let (junit, json, snapshots) = (
        out.join("report.xml"),
        out.join("report.json"),
        out.join("snapshots"),
    );
    let run = Command::new(env!("CARGO_BIN_EXE_xsoar-harness"))
        .arg("run")
        .arg(fixtures.join("scenarios"))
        .arg("--root")
        .arg(fixtures.join("scenarios"))
        .arg("--snapshots")
        .arg(&snapshots)
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json)
        .output()
        .expect("the CLI runs");
    let mut outputs = vec![
        (
            "stdout".to_owned(),
            String::from_utf8_lossy(&run.stdout).into_owned(),
        ),
        (
            "stderr".to_owned(),
            String::from_utf8_lossy(&run.stderr).into_owned(),
        ),
    ];
    for file in [&junit, &json] {
        outputs.push((
            file.display().to_string(),
            std::fs::read_to_string(file).expect("a report"),
        ));
    }
    let written = std::fs::read_dir(&snapshots).expect("the pending snapshots");
    for entry in written.flatten() {
        let text = std::fs::read_to_string(entry.path()).expect("a snapshot");
        outputs.push((entry.path().display().to_string(), text));
    }
    let stdout = &outputs[0].1;
    // The scenarios really ran, leaked and were reported (and the YAML error really showed).
    assert!(stdout.contains("4 scenarios"), "{stdout}");
    assert!(stdout.contains("yaml-error.yaml"), "{stdout}");
    assert!(
        outputs
            .iter()
            .filter(|(name, _)| name.ends_with(".snap.new"))
            .count()
            >= 3,
        "{outputs:?}"
    );
    let mut leaks = Vec::new();
    for form in forms() {
        for (name, text) in &outputs {
            if text.contains(&form) {
                leaks.push(format!("{form:?} in {name}"));
            }
        }
    }
    std::fs::remove_dir_all(&out).expect("clean up");
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
}
