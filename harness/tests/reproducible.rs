//! Snapshots do not change from run to run: every value of the run itself (the mock vendor's
//! address with its random port, the harness's temp folders) is redacted wherever it appears.
//!
//! The integration, written by the test, echoes what Okta answers for `/users/me` (a user with
//! absolute `_links`) into the entry's contents, its human-readable text and the context, along
//! with the folder it runs in.

mod support;

use support::{block_on, harness, Tree};

const YAML: &str = "commonfields: {id: Echo, version: -1}
name: Echo
configuration:
- {name: url, type: 0, required: true}
- {name: token, type: 4, required: true}
script: {script: '-', type: python, subtype: python3}
";

const CODE: &str = "import os
import demistomock as demisto
from CommonServerPython import *

params = demisto.params()
answer = requests.get(params['url'].rstrip('/') + '/api/v1/users/me',
                      headers={'Authorization': 'SSWS ' + params['token']})
user = answer.json()
demisto.results({
    'Type': 1, 'ContentsFormat': 'json', 'Contents': user,
    'HumanReadable': 'Me: ' + user['_links']['self']['href'] + ' (ran in ' + os.getcwd() + ')',
    'EntryContext': {'Okta.Me(val.id == obj.id)': user},
})
";

const SCENARIO: &str = "description: Okta's /users/me echoed with its absolute links
integration:
  yaml: ../integration/Echo/Echo.yml
instance:
  params: {token: harness-okta-token}
vendor:
  kind: okta
steps:
  - command: test-module
";

#[test]
fn two_runs_over_absolute_links_give_byte_identical_snapshots() {
    let tree = Tree::new(
        "reproducible",
        &[
            ("integration/Echo/Echo.yml", YAML),
            ("integration/Echo/Echo.py", CODE),
            ("scenarios/echo.yaml", SCENARIO),
        ],
    );
    let harness = harness();
    let root = tree.path("scenarios");
    let scenario = xsoar_harness::scenario::Scenario::load(&root.join("echo.yaml"), &root)
        .expect("the scenario loads");
    // At the same time, so that the two mock vendors listen on different ports.
    let (first, second) =
        block_on(async { tokio::join!(harness.run(&scenario), harness.run(&scenario)) });
    let (first, second) = (
        first.expect("the first run"),
        second.expect("the second run"),
    );
    let raw = |outcome: &xsoar_harness::ScenarioOutcome| {
        outcome.steps[0].runs[0].run.entries[0]["HumanReadable"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    // The runs really differ: each entry names its own vendor's port and work folder.
    assert!(raw(&first).contains("http://127.0.0.1:"), "{}", raw(&first));
    assert_ne!(raw(&first), raw(&second));
    assert!(first.verdict.is_pass(), "{:?}", first.verdict);
    assert_eq!(first.snapshot, second.snapshot);
    for leaked in ["127.0.0.1", "xsoar-harness-"] {
        assert!(
            !first.snapshot.contains(leaked),
            "{leaked} in:\n{}",
            first.snapshot
        );
    }
    assert!(
        first
            .snapshot
            .contains("href: \"[vendor-url]/api/v1/users/[okta-user-1]\""),
        "{}",
        first.snapshot
    );
    assert!(
        first.snapshot.contains("(ran in [temp])"),
        "{}",
        first.snapshot
    );
}
