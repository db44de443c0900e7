//! The Okta mock passes a real client: the official `okta` SDK from PyPI, driven by an
//! integration the test writes, runs through the harness like any integration (the harness
//! installs the SDK because the code imports it) and calls the mock the way production code
//! calls Okta. Every call must succeed, with the answers the SDK's models parse.

mod support;

use serde_json::Value;
use support::Tree;

const YAML: &str = "commonfields: {id: OktaSdkProbe, version: -1}
name: OktaSdkProbe
configuration:
- {name: url, type: 0, required: true}
- {name: token, type: 4, required: true}
script: {script: '-', type: python, subtype: python3, dockerimage: 'demisto/python3:3.11.10.116949'}
";

const CODE: &str = r#"import asyncio
import json
import os

# The SDK refuses a plain-http orgUrl unless its testing switch is on.
os.environ['OKTA_TESTING_TESTINGDISABLEHTTPSCHECK'] = 'true'

import demistomock as demisto
from okta.client import Client as OktaClient
from okta.models import CreateUserRequest, UpdateUserRequest

calls = []


def check(call, ok, detail=''):
    calls.append({'call': call, 'ok': bool(ok), 'detail': str(detail)[:200]})


async def answer(call, coroutine):
    result, response, error = await coroutine
    check(call, error is None, error or '')
    return result


async def main():
    params = demisto.params()
    client = OktaClient({'orgUrl': params['url'], 'token': params['token'], 'authorizationMode': 'SSWS'})
    users = await answer('list users', client.list_users())
    check('listed users carry only their self link',
          users and all(sorted(u.links.to_dict()) == ['self'] for u in users), users and users[0].links)
    found = await answer('filter on the login', client.list_users(filter='profile.login eq "ada@example.com"'))
    check('the filter finds one user', [u.profile.login for u in found or []] == ['ada@example.com'], found)
    _, _, refused = await client.list_users(filter='profile.login sw "ada"')
    check('a filter Okta does not document is refused', refused and 'E0000031' in str(refused), refused)
    found = await answer('search with co', client.list_users(search='profile.lastName co "ovel"'))
    check('the search finds Ada Lovelace', [u.profile.login for u in found or []] == ['ada@example.com'], found)
    me = await answer('get me', client.get_user('me'))
    check('me is the token owner', me and me.profile.login == 'admin@harness.example', me and me.profile.login)
    body = CreateUserRequest.from_dict({
        'profile': {'login': 'new@example.com', 'email': 'new@example.com', 'firstName': 'New', 'lastName': 'User'},
        'credentials': {'password': {'value': 'Sup3r-Secret!'}},
    })
    created = await answer('create and activate', client.create_user(body, activate=True))
    check('the new user is ACTIVE', created and created.status.value == 'ACTIVE', created and created.status)
    if created:
        updated = await answer('update the profile',
                               client.update_user(created.id, UpdateUserRequest.from_dict({'profile': {'title': 'Tester'}})))
        check('the update merges the profile', updated and updated.profile.title == 'Tester'
              and updated.profile.first_name == 'New', updated and updated.profile)
        *_, error = await client.deactivate_user(created.id)
        check('deactivate', error is None, error or '')
        gone = await answer('get after deactivate', client.get_user(created.id))
        check('the user is DEPROVISIONED', gone and gone.status.value == 'DEPROVISIONED', gone and gone.status)
    demisto.results({'Type': 1, 'ContentsFormat': 'json', 'Contents': calls})


asyncio.run(main())
"#;

const SCENARIO: &str = "description: the official Okta SDK against the Okta mock
integration:
  yaml: ../integration/OktaSdkProbe/OktaSdkProbe.yml
instance:
  params: {token: harness-okta-token}
vendor:
  kind: okta
  seed:
    users:
      - profile: {login: ada@example.com, email: ada@example.com, firstName: Ada, lastName: Lovelace}
      - profile: {login: grace@example.com, email: grace@example.com, firstName: Grace, lastName: Hopper}
timeout: 60s
steps:
  - command: test-module
";

#[test]
fn the_official_okta_sdk_works_against_the_mock() {
    let tree = Tree::new(
        "okta-sdk",
        &[
            ("integration/OktaSdkProbe/OktaSdkProbe.yml", YAML),
            ("integration/OktaSdkProbe/OktaSdkProbe.py", CODE),
            ("scenarios/sdk.yaml", SCENARIO),
        ],
    );
    let outcome = tree.run("sdk.yaml").expect("the scenario runs");
    let run = &outcome.steps[0].runs[0].run;
    let calls = run
        .entries
        .first()
        .and_then(|e| e["Contents"].as_array().cloned())
        .unwrap_or_else(|| panic!("no report of the calls: {:?}\n{}", run.end, run.stderr));
    let failed: Vec<&Value> = calls
        .iter()
        .filter(|c| c["ok"] != Value::Bool(true))
        .collect();
    assert!(failed.is_empty(), "calls that failed: {failed:#?}");
    assert_eq!(calls.len(), 16, "{calls:#?}");
}
