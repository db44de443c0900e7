//! The content tree of the content-pack tests and the bench, written by them (no copy of the
//! real repository): CommonServerPython (the harness's own, as the checkout's) and no
//! CommonServerUserPython (the server always has one: it must still import); the date
//! transformer scripts in `Packs/FiltersAndTransformers/Scripts/` (Python ones written here
//! from their documented behaviour, `TimeStampToDate` in JavaScript, which runs natively); a
//! pack `SNTest` with its own transformer, entire-list transformer and filter scripts, a
//! classifier, incoming and outgoing mappers in `Classifiers/`, and an integration (the bundled
//! ServiceNowMirror code) that imports `xmltodict`, a package outside the python3 image.

use super::{workspace_file, Tree};

fn script_yaml(name: &str, kind: &str, tags: &str, args: &str) -> String {
    format!(
        "commonfields: {{id: {name}, version: -1}}\nname: {name}\nscript: '-'\ntype: {kind}\n{}tags: [{tags}]\nargs:\n{args}",
        if kind == "python" {
            "subtype: python3\ndockerimage: demisto/python3:3.11.10.116949\n"
        } else {
            ""
        }
    )
}

const DATE_STRING_TO_ISO: &str = r#"import demistomock as demisto
from datetime import timezone
from dateutil import parser


def flag(name, default):
    value = demisto.args().get(name)
    return default if value in (None, '') else str(value).lower() == 'true'


def main():
    value = demisto.args()['value']
    try:
        date = parser.parse(value, dayfirst=flag('dayfirst', True), yearfirst=flag('yearfirst', False),
                            fuzzy=flag('fuzzy', True))
    except (ValueError, OverflowError):
        demisto.results(value)
        return
    if date.tzinfo is None and flag('add_utc_timezone', False):
        date = date.replace(tzinfo=timezone.utc)
    demisto.results(date.isoformat())


if __name__ in ('__builtin__', 'builtins', '__main__'):
    main()
"#;

const FORMATTED_DATE_TO_EPOCH: &str = r#"import demistomock as demisto
from datetime import datetime, timezone
import dateparser


def main():
    args = demisto.args()
    value, formatter = args['value'], args.get('formatter')
    date = datetime.strptime(value, formatter) if formatter else dateparser.parse(value)
    if date is None:
        raise ValueError('could not parse {!r}'.format(value))
    if date.tzinfo is None:
        date = date.replace(tzinfo=timezone.utc)
    demisto.results(int(date.timestamp()))


if __name__ in ('__builtin__', 'builtins'):
    main()
"#;

const SEVERITY_LABEL: &str = r#"import demistomock as demisto

LABELS = {'1': 'High', '2': 'Medium', '3': 'Low'}
demisto.results(LABELS.get(str(demisto.args()['value']), 'Unknown'))
"#;

const JOIN_LABELS: &str = r#"import demistomock as demisto

value = demisto.args()['value']
demisto.results(' / '.join(str(item) for item in (value if isinstance(value, list) else [value])))
"#;

const IS_EQUAL_TEXT: &str = r#"import demistomock as demisto

args = demisto.args()
demisto.results(str(args.get('left')) == str(args.get('right')))
"#;

const FAILING_LABEL: &str = r#"import demistomock as demisto

raise ValueError('no label for {!r}'.format(demisto.args()['value']))
"#;

const CLASSIFIER: &str = r#"{
  "id": "SNTest", "name": "SNTest Classifier", "type": "classification",
  "transformer": {"complex": {"root": "sys_class_name", "transformers": [{"operator": "toUpperCase"}]}},
  "keyTypeMap": {"INCIDENT": "SN Ticket"},
  "defaultIncidentType": "SN Other"
}
"#;

/// The incoming mapper; `LABEL` is the transformer script of the severity label.
const INCOMING: &str = r#"{
  "id": "SNTest-incoming", "name": "SNTest - Incoming", "type": "mapping-incoming",
  "mapping": {
    "SN Ticket": {"internalMapping": {
      "dbotMirrorId": {"simple": "sys_id"},
      "dbotMirrorDirection": {"simple": "mirror_direction"},
      "dbotMirrorInstance": {"simple": "mirror_instance"},
      "dbotMirrorTags": {"simple": "mirror_tags"},
      "state": {"simple": "state"},
      "Opened": {"simple": "", "complex": {"root": "opened_at", "accessor": "", "filters": [], "transformers": [
        {"operator": "DateStringToISOFormat", "args": {"dayfirst": {"value": {"simple": "false"}, "isContext": false}, "fuzzy": {"value": null, "isContext": false}}},
        {"operator": "FormattedDateToEpoch", "args": {"formatter": {"value": null, "isContext": false}}},
        {"operator": "TimeStampToDate", "args": {}}]}},
      "Severity Label": {"complex": {"root": "severity", "transformers": [{"operator": "LABEL", "args": {}}]}},
      "Ticket Sequence": {"complex": {"root": "number", "transformers": [
        {"operator": "replaceMatch", "args": {"regex": {"value": {"simple": "^INC0*"}}, "replaceWith": {"value": null}}}]}},
      "Phishing": {"complex": {"root": "short_description", "filters": [[
        {"operator": "match", "left": {"value": {"simple": "short_description"}, "isContext": true}, "right": {"value": {"simple": "(?i)phish"}}}]]}},
      "Priority One": {"complex": {"root": "priority", "filters": [[
        {"operator": "IsEqualText", "left": {"value": {"simple": "priority"}, "isContext": true}, "right": {"value": {"simple": "1"}}}]]}},
      "Labels": {"complex": {"root": "mirror_tags", "transformers": [{"operator": "JoinLabels", "args": {}}]}}
    }}
  }
}
"#;

/// The tree; `label` is the transformer script the incoming mapper names for the label.
pub(crate) fn tree(name: &str, label: &str) -> Tree {
    let tree = Tree::new(name, &[]);
    let csp = workspace_file("harness/python/builtin/CommonServerPython.py");
    tree.write(
        "content/Packs/Base/Scripts/CommonServerPython/CommonServerPython.py",
        &csp,
    );
    let value_arg = "- {name: value, required: true}\n";
    let scripts = [
        ("FiltersAndTransformers", "DateStringToISOFormat", "python", "transformer, date",
         "- {name: value, required: true}\n- {name: dayfirst, defaultValue: 'true'}\n- {name: yearfirst, defaultValue: 'false'}\n- {name: fuzzy, defaultValue: 'true'}\n- {name: add_utc_timezone, defaultValue: 'false'}\n",
         DATE_STRING_TO_ISO),
        ("FiltersAndTransformers", "FormattedDateToEpoch", "python", "transformer, date",
         "- {name: value, required: true}\n- {name: formatter}\n", FORMATTED_DATE_TO_EPOCH),
        ("FiltersAndTransformers", "TimeStampToDate", "javascript", "transformer, date", value_arg,
         "var value = args.value; return new Date(parseInt(value) * 1000).toISOString();"),
        ("SNTest", "SeverityLabel", "python", "transformer", value_arg, SEVERITY_LABEL),
        ("SNTest", "FailingLabel", "python", "transformer", value_arg, FAILING_LABEL),
        ("SNTest", "JoinLabels", "python", "transformer, entirelist", value_arg, JOIN_LABELS),
        ("SNTest", "IsEqualText", "python", "filter", "- {name: left, required: true}\n- {name: right, required: true}\n", IS_EQUAL_TEXT),
    ];
    for (pack, script, kind, tags, args, code) in scripts {
        let dir = format!("content/Packs/{pack}/Scripts/{script}");
        let ext = if kind == "python" { "py" } else { "js" };
        tree.write(
            &format!("{dir}/{script}.yml"),
            &script_yaml(script, kind, tags, args),
        );
        tree.write(&format!("{dir}/{script}.{ext}"), code);
    }
    let pack = "content/Packs/SNTest";
    tree.write(
        &format!("{pack}/Classifiers/classifier-SNTest.json"),
        CLASSIFIER,
    );
    tree.write(
        &format!("{pack}/Classifiers/classifier-mapper-incoming-SNTest.json"),
        &INCOMING.replace("LABEL", label),
    );
    tree.write(
        &format!("{pack}/Classifiers/classifier-mapper-outgoing-SNTest.json"),
        &workspace_file(
            "integrations/ServiceNowMirror/classifier-mapper-outgoing-ServiceNowMirror.json",
        ),
    );
    let yaml = workspace_file("integrations/ServiceNowMirror/ServiceNowMirror.yml")
        .replace("id: ServiceNowMirror", "id: SNTest")
        .replace("name: ServiceNowMirror", "name: SNTest")
        .replace(
            "defaultclassifier: ServiceNowMirror",
            "defaultclassifier: SNTest",
        )
        .replace("ServiceNowMirror - Incoming Mapper", "SNTest-incoming");
    tree.write(&format!("{pack}/Integrations/SNTest/SNTest.yml"), &yaml);
    let code = format!(
        "import xmltodict  # the pack's own dependency, not in the python3 image\nfrom CommonServerUserPython import *  # noqa: F401\n\n{}",
        workspace_file("integrations/ServiceNowMirror/ServiceNowMirror.py")
    );
    tree.write(&format!("{pack}/Integrations/SNTest/SNTest.py"), &code);
    tree
}

/// A scenario of the SNTest integration: one ticket fetched, then `checks`.
pub(crate) fn scenario(content_root: bool, checks: &str) -> String {
    format!(
        "description: the SNTest pack classifies, maps with its transformer scripts and mirrors both ways
{}integration:
  yaml: ../content/Packs/SNTest/Integrations/SNTest
instance:
  params:
    credentials: {{identifier: harness, password: harness-password}}
    mirror_direction: Incoming And Outgoing
    first_fetch: 1 year
vendor:
  kind: servicenow
  token: harness:harness-password
  seed:
    incident:
      - {{sys_id: 9d3f1a2b4c5d6e7f8091a2b3c4d5e6f1, short_description: Phishing report, state: \"1\", severity: \"1\", priority: \"1\", opened_at: \"2024-06-11 10:00:00\"}}
steps:
  - fetch: {{}}
{checks}",
        if content_root { "content_root: ../content\n" } else { "" }
    )
}

/// Checks that the ticket was classified and mapped, and mirrored in and out.
pub(crate) const MIRROR_BOTH_WAYS: &str = r#"  - check:
      incident:
        id: 1
        type: SN Ticket
        classified: {classifier: SNTest Classifier, key: INCIDENT, type_from: keyTypeMap, mapper: SNTest - Incoming}
        dbotMirrorId: 9d3f1a2b4c5d6e7f8091a2b3c4d5e6f1
        dbotMirrorDirection: Both
        fields:
          Opened: "2024-06-11T10:00:00.000Z"
          Severity Label: High
          Ticket Sequence: "10001"
          Phishing: Phishing report
          Priority One: "1"
          Labels: comments / work_notes / ForServiceNow
  - remote:
      update: {record: INC0010001, fields: {comments: The user confirms, severity: "3", priority: "2"}}
  - advance: 1m
  - check:
      incident:
        id: 1
        fields: {Severity Label: Low}
        entries: [{by: mirror, contents: "ServiceNow comment by remote.analyst on 2025-01-01 00:00:01 UTC:\nThe user confirms"}]
  - local:
      incident: 1
      entry: {text: Blocked the sender, tags: [comments]}
  - advance: 1m
  - check:
      vendor:
        sys_journal_field:
          - {element: comments, value: The user confirms}
          - {element: comments, value: "Blocked the sender\n\nMirrored from Cortex XSOAR"}
"#;
