//! An integration that misbehaves at the process level fails its scenario with the reason,
//! within a bound, and nothing it started outlives its run: a detached daemon, the children of
//! a process that crashed, hung or exited early, a flood of output, a memory hog, a harness
//! killed in the middle of a run. The Hostile fixture (`tests/fixtures/hostile/`) writes the
//! pid of every process it starts to a folder; after the run, none of them may be alive.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{failure_reasons, Tree};
use xsoar_harness::Verdict;

fn fixture_yaml() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hostile/Hostile/Hostile.yml")
        .display()
        .to_string()
}

/// A scenario running `command` of the Hostile fixture, its pids written to `pids`; `extra`
/// is more top-level YAML.
fn scenario(command: &str, pids: &Path, timeout: &str, extra: &str) -> String {
    format!(
        "description: Hostile {command}
integration:
  yaml: {}
instance:
  params:
    pid_dir: {}
timeout: {timeout}
{extra}
steps:
  - command: {command}
",
        fixture_yaml(),
        pids.display()
    )
}

/// The pids the fixture wrote, once `count` are there (bounded).
fn written_pids(dir: &Path, count: usize) -> Vec<u32> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pids: Vec<u32> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| e.file_name().to_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        if pids.len() >= count || Instant::now() > deadline {
            return pids;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `pid` is a live process (a zombie waiting to be reaped is not).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !matches!(
            stat.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().chars().next()),
            Some(Some('Z' | 'X'))
        ),
        Err(_) => false,
    }
}

/// Panics unless every pid is gone within a short grace (a killed process takes a moment).
fn assert_all_gone(pids: &[u32]) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while pids.iter().any(|pid| alive(*pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left: Vec<&u32> = pids.iter().filter(|pid| alive(**pid)).collect();
    assert!(left.is_empty(), "still running after the run: {left:?}");
}

fn pid_folder(tree: &Tree) -> PathBuf {
    let dir = tree.path("pids");
    std::fs::create_dir_all(&dir).expect("a pid folder");
    dir
}

#[test]
fn a_detached_daemon_is_a_violation_and_is_ended() {
    let tree = Tree::new("hygiene-daemon", &[]);
    let pids = pid_folder(&tree);
    tree.write(
        "scenarios/daemon.yaml",
        &scenario("hostile-daemon", &pids, "20s", ""),
    );
    let outcome = tree.run("daemon.yaml").expect("the scenario runs");
    let reasons = failure_reasons(&outcome);
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("runtime.leftover-process") && r.contains("time.sleep(300)")),
        "{reasons:?}"
    );
    let written = written_pids(&pids, 1);
    assert_eq!(written.len(), 1);
    assert_all_gone(&written);
}

#[test]
fn the_children_of_a_crashed_or_hung_run_are_ended() {
    let tree = Tree::new("hygiene-crash-hang", &[]);
    for (name, command, rule, count) in [
        ("crash", "hostile-crash-with-child", "runtime.crash", 2),
        ("hang", "hostile-hang-with-children", "runtime.timeout", 5),
    ] {
        let pids = tree.path(&format!("pids-{name}"));
        std::fs::create_dir_all(&pids).expect("a pid folder");
        tree.write(
            &format!("scenarios/{name}.yaml"),
            &scenario(command, &pids, "3s", ""),
        );
        let outcome = tree
            .run(&format!("{name}.yaml"))
            .expect("the scenario runs");
        let reasons = failure_reasons(&outcome);
        assert!(reasons.iter().any(|r| r.contains(rule)), "{reasons:?}");
        let written = written_pids(&pids, count);
        assert_eq!(written.len(), count, "{name}");
        assert_all_gone(&written);
    }
}

#[test]
fn a_runner_that_exits_early_is_told_apart_from_a_hang() {
    let tree = Tree::new("hygiene-exit", &[]);
    let pids = pid_folder(&tree);
    tree.write(
        "scenarios/exit.yaml",
        &scenario("hostile-exit-with-child", &pids, "60s", ""),
    );
    let began = Instant::now();
    let outcome = tree.run("exit.yaml").expect("the scenario runs");
    let reasons = failure_reasons(&outcome);
    // Its child holds stdout open: without watching the process, this looked like a hang.
    assert!(
        reasons.iter().any(|r| r.contains("runtime.incomplete")),
        "{reasons:?}"
    );
    assert!(began.elapsed() < Duration::from_secs(30), "{reasons:?}");
    assert_all_gone(&written_pids(&pids, 1));
}

#[test]
fn output_and_memory_are_bounded_with_the_limit_named() {
    let tree = Tree::new("hygiene-limits", &[]);
    let pids = pid_folder(&tree);
    // Each case with the timeout it runs under: filling 512MiB can take a while on a loaded
    // machine, and the timeout must not come first.
    for (name, command, extra, timeout, expected) in [
        (
            "flood",
            "hostile-flood",
            "limits: {output: 1MiB}",
            "2s",
            "wrote more than 1MiB to stdout in one command",
        ),
        (
            "memory",
            "hostile-memory",
            "limits: {memory: 512MiB}",
            "30s",
            "ran out of memory: its process may use 512MiB (limits.memory)",
        ),
        (
            "messages",
            "hostile-many-results",
            "limits: {messages: 1000}",
            "2s",
            "sent more than 1000 entries and log lines in one command",
        ),
        (
            "unread-replies",
            "hostile-log-flood",
            "",
            "2s",
            "did not complete within 2s",
        ),
        (
            "binary",
            "hostile-binary",
            "",
            "2s",
            "bytes to stdout that are not UTF-8 (at byte 0 of a line",
        ),
    ] {
        tree.write(
            &format!("scenarios/{name}.yaml"),
            &scenario(command, &pids, timeout, extra),
        );
        let outcome = tree
            .run(&format!("{name}.yaml"))
            .expect("the scenario runs");
        let reasons = failure_reasons(&outcome);
        assert!(
            reasons.iter().any(|r| r.contains(expected)),
            "{name}: {reasons:?}"
        );
    }
}

#[test]
fn a_thread_left_running_ends_with_its_process() {
    let tree = Tree::new("hygiene-thread", &[]);
    let pids = pid_folder(&tree);
    tree.write(
        "scenarios/thread.yaml",
        &scenario("hostile-thread", &pids, "20s", ""),
    );
    let outcome = tree.run("thread.yaml").expect("the scenario runs");
    // A thread is the integration's own business, unlike a process: the run passes, and the
    // worker is not reused (its thread would run on into the next command).
    assert!(
        matches!(outcome.verdict, Verdict::Passed),
        "{:?}",
        outcome.verdict
    );
}

/// Starts the CLI on one Hostile scenario that hangs with children, and waits until they run.
fn hanging_cli(tree: &Tree, pids: &Path) -> (Child, Vec<u32>) {
    tree.write(
        "scenarios/hang.yaml",
        &scenario("hostile-hang-with-children", pids, "120s", ""),
    );
    let cli = Command::new(env!("CARGO_BIN_EXE_xsoar-harness"))
        .arg("run")
        .arg(tree.path("scenarios/hang.yaml"))
        .arg("--root")
        .arg(tree.path("scenarios"))
        .arg("--snapshots")
        .arg(tree.path("snapshots"))
        .arg("--json")
        .arg(tree.path("report.json"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the CLI starts");
    let written = written_pids(pids, 5);
    assert_eq!(written.len(), 5, "the fixture's processes started");
    (cli, written)
}

/// The CLI's own temp folders (`xsoar-harness-<pid>-*`).
fn temp_folders_of(pid: u32) -> Vec<PathBuf> {
    let prefix = format!("xsoar-harness-{pid}-");
    std::fs::read_dir(std::env::temp_dir())
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn an_interrupted_cli_ends_its_integrations_and_reports_what_it_ran() {
    let tree = Tree::new("hygiene-sigterm", &[]);
    let pids = pid_folder(&tree);
    let (cli, written) = hanging_cli(&tree, &pids);
    let cli_pid = cli.id();
    Command::new("kill")
        .args(["-TERM", &cli_pid.to_string()])
        .status()
        .expect("kill runs");
    let output = cli.wait_with_output().expect("the CLI ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(143), "{stdout}\n{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_all_gone(&written);
    assert!(temp_folders_of(cli_pid).is_empty());
    let report = std::fs::read_to_string(tree.path("report.json")).expect("a JSON report");
    assert!(report.contains("interrupted"), "{report}");
}

#[test]
fn a_killed_cli_leaves_nothing_running_and_its_folders_go_at_the_next_start() {
    let tree = Tree::new("hygiene-sigkill", &[]);
    let pids = pid_folder(&tree);
    let (mut cli, written) = hanging_cli(&tree, &pids);
    let cli_pid = cli.id();
    cli.kill().expect("the CLI is killed");
    cli.wait().expect("the CLI ends");
    // Nobody could clean up the folders (looked at at once: a harness that another test starts
    // may remove them); the runner gets its parent-death signal and ends its tree.
    assert!(!temp_folders_of(cli_pid).is_empty());
    assert_all_gone(&written);
    tree.write(
        "scenarios/quick.yaml",
        &scenario("hostile-thread", &pids, "20s", ""),
    );
    let next = Command::new(env!("CARGO_BIN_EXE_xsoar-harness"))
        .arg("run")
        .arg(tree.path("scenarios/quick.yaml"))
        .arg("--root")
        .arg(tree.path("scenarios"))
        .arg("--accept-snapshots")
        .arg("--snapshots")
        .arg(tree.path("snapshots"))
        .output()
        .expect("the CLI runs again");
    assert!(
        next.status.success(),
        "{}",
        String::from_utf8_lossy(&next.stderr)
    );
    assert!(temp_folders_of(cli_pid).is_empty());
}
