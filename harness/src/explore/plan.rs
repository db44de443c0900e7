//! What exploration generates: a plan of mirroring actions (proptest strategies, so that a
//! failing plan shrinks), and the scenario steps a plan becomes on a [`Stage`].
//!
//! A plan names incidents and tags by index; the stage (what the probe's fetch made) resolves
//! them, so the same plan means the same steps on every run and shrinking keeps it valid.
//! Remote changes are asked of the vendor in its own spelling ([`RemoteChange`]); texts are
//! numbered in plan order, so every note and entry is unique and can be counted.

use std::sync::Arc;
use std::time::Duration;

use mock_vendors::{DelaySpec, RemoteChange, Vendor};
use proptest::prelude::*;
use serde_json::{json, Value};

/// One thing that happens in a generated scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// A person changes the remote record of an incident.
    Remote { incident: u8, change: Remote },
    /// An analyst changes an incident.
    Local { incident: u8, change: Local },
    /// The virtual clock moves on (the job runs at every due tick).
    Wait { seconds: u32 },
    /// fetch-incidents runs again.
    Fetch,
    /// The scheduled job is switched off (`false`) or on; the quiet period switches it on.
    Job(bool),
    /// A new local incident that mirrors out (dbotMirrorTags of the first incident).
    Create,
    /// The vendor's next `times` requests (of one method, or any), once `after` of them
    /// passed, get a fault.
    Fault {
        method: Option<Method>,
        respond: Fault,
        times: u8,
        after: u8,
    },
}

/// The methods a fault can be limited to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Patch,
}

/// The faults a plan lays: the vendor's rate limit, a server error, a dropped connection, an
/// answer that comes only after the command timeout (once: each costs the timeout in wall
/// time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    RateLimit,
    Unavailable,
    Drop,
    Stall,
}

/// The longest command timeout stalls are laid under: each one waits it out.
pub(crate) const STALLS_UP_TO: Duration = Duration::from_secs(5);

/// The delay of a stall under `timeout`: a second past it, if the timeout is short enough.
pub(crate) fn stall_past(timeout: Duration) -> Option<Duration> {
    (timeout <= STALLS_UP_TO).then(|| timeout + Duration::from_secs(1))
}

/// A remote change, as [`RemoteChange`] names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Remote {
    Comment,
    Note,
    /// Several comments and notes, in turn, between two syncs.
    Journal(u8),
    Attach,
    Edit(u8),
    Close,
    Reopen,
}

/// A local change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Local {
    /// One entry, tagged with the incident's mirror tag `tag` (`None`: untagged).
    Entry {
        tag: Option<u8>,
    },
    /// Several tagged entries between two pushes.
    Entries {
        count: u8,
        tag: u8,
    },
    /// A file, tagged or not.
    File {
        tag: Option<u8>,
    },
    /// A field edit: the severity (even variants, 1 to 4) or the details (odd ones).
    Edit(u8),
    Close,
    Reopen,
}

/// The waits a plan picks from: within a job interval, one, a few.
const WAITS: [u32; 6] = [10, 30, 60, 90, 120, 300];

fn remote_changes() -> impl Strategy<Value = Remote> {
    prop_oneof![
        4 => Just(Remote::Comment),
        4 => Just(Remote::Note),
        2 => (2u8..=5).prop_map(Remote::Journal),
        1 => Just(Remote::Attach),
        2 => any::<u8>().prop_map(Remote::Edit),
        1 => Just(Remote::Close),
        1 => Just(Remote::Reopen),
    ]
}

fn local_changes() -> impl Strategy<Value = Local> {
    prop_oneof![
        4 => proptest::option::weighted(0.8, any::<u8>()).prop_map(|tag| Local::Entry { tag }),
        2 => (2u8..=4, any::<u8>()).prop_map(|(count, tag)| Local::Entries { count, tag }),
        1 => proptest::option::weighted(0.8, any::<u8>()).prop_map(|tag| Local::File { tag }),
        2 => any::<u8>().prop_map(Local::Edit),
        1 => Just(Local::Close),
        1 => Just(Local::Reopen),
    ]
}

fn actions() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (any::<u8>(), remote_changes()).prop_map(|(incident, change)| Action::Remote { incident, change }),
        4 => (any::<u8>(), local_changes()).prop_map(|(incident, change)| Action::Local { incident, change }),
        3 => proptest::sample::select(&WAITS[..]).prop_map(|seconds| Action::Wait { seconds }),
        1 => Just(Action::Fetch),
        1 => any::<bool>().prop_map(Action::Job),
        1 => Just(Action::Create),
        2 => (
            proptest::option::of(prop_oneof![Just(Method::Get), Just(Method::Post), Just(Method::Patch)]),
            prop_oneof![
                2 => Just(Fault::RateLimit),
                2 => Just(Fault::Unavailable),
                2 => Just(Fault::Drop),
                1 => Just(Fault::Stall),
            ],
            1u8..=3,
            0u8..=3,
        )
            .prop_map(|(method, respond, times, after)| Action::Fault { method, respond, times, after }),
    ]
}

/// Plans of 1 to `max` actions.
pub(crate) fn plans(max: usize) -> impl Strategy<Value = Vec<Action>> {
    proptest::collection::vec(actions(), 1..=max.max(1))
}

/// An incident the probe's fetch made that mirrors: its local id, remote id and mirror tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) id: u64,
    pub(crate) remote: String,
    pub(crate) tags: Vec<String>,
}

/// What a plan is rendered against.
pub(crate) struct Stage {
    /// The incidents that mirror, in id order.
    pub(crate) targets: Vec<Target>,
    /// The vendor, asked for its spelling of remote changes.
    pub(crate) vendor: Option<Arc<dyn Vendor>>,
    /// The mirroring job's interval: the quiet period after a plan is long enough for the job
    /// to catch up, one more run for every request a fault of the plan fails.
    pub(crate) job_interval_secs: u64,
    /// The delay of a stall fault; `None`: stalls are left out.
    pub(crate) stall: Option<Duration>,
}

impl Stage {
    /// The scenario steps of `plan`: the fetch, the plan's actions, the quiet period.
    pub(crate) fn steps(&self, plan: &[Action]) -> Vec<Value> {
        let mut steps = vec![json!({"fetch": {}})];
        // The requests the laid faults fail: each costs the job one more run.
        let mut faulted: u64 = 0;
        let mut number = 0;
        let mut next = |what: &str| {
            number += 1;
            format!("{what} {number}")
        };
        for action in plan {
            match action {
                Action::Remote { incident, change } => {
                    steps.extend(self.remote(*incident, *change, &mut next));
                }
                Action::Local { incident, change } => {
                    if let Some(target) = self.target(*incident) {
                        steps.extend(local_steps(target, *change, &mut next));
                    }
                }
                Action::Wait { seconds } => steps.push(json!({"advance": format!("{seconds}s")})),
                Action::Fetch => steps.push(json!({"fetch": {}})),
                Action::Job(on) => steps.push(json!({"job": if *on { "on" } else { "off" }})),
                Action::Fault {
                    method,
                    respond,
                    times,
                    after,
                } => {
                    let mut matcher = json!({"path": "/**"});
                    if let (Some(method), Value::Object(fields)) = (method, &mut matcher) {
                        let name = match method {
                            Method::Get => "GET",
                            Method::Post => "POST",
                            Method::Patch => "PATCH",
                        };
                        fields.insert("method".to_owned(), json!(name));
                    }
                    let (respond, times) = match respond {
                        Fault::RateLimit => (json!("rate-limit"), *times),
                        Fault::Unavailable => (json!({"status": 503}), *times),
                        Fault::Drop => (json!("drop"), *times),
                        Fault::Stall => match self.stall {
                            Some(delay) => {
                                (json!({"delay": DelaySpec::from(delay).to_string()}), 1)
                            }
                            None => continue,
                        },
                    };
                    faulted += u64::from(times);
                    steps.push(
                        json!({"fault": {"match": matcher, "respond": respond, "times": times, "after": after}}),
                    );
                }
                Action::Create => {
                    let tags = self
                        .targets
                        .first()
                        .map(|t| t.tags.clone())
                        .unwrap_or_default();
                    let name = next("new local incident");
                    steps
                        .push(json!({"create": {"name": name, "direction": "Both", "tags": tags}}));
                }
            }
        }
        let quiet = self.job_interval_secs.saturating_mul(3 + faulted) + 60;
        if plan.contains(&Action::Job(false)) {
            steps.push(json!({"job": "on"}));
        }
        steps.push(json!({"advance": format!("{quiet}s")}));
        // The job caught up: closes and reopens must be where the settings say.
        steps.push(json!({"check": {"settled": true}}));
        steps
    }

    fn target(&self, index: u8) -> Option<&Target> {
        (!self.targets.is_empty()).then(|| &self.targets[usize::from(index) % self.targets.len()])
    }

    fn remote(
        &self,
        incident: u8,
        change: Remote,
        next: &mut impl FnMut(&str) -> String,
    ) -> Vec<Value> {
        let (Some(target), Some(vendor)) = (self.target(incident), self.vendor.as_ref()) else {
            return Vec::new();
        };
        let record = target.remote.as_str();
        let comment = |text: &str| vendor.remote_change(&RemoteChange::Comment { record, text });
        let note = |text: &str| vendor.remote_change(&RemoteChange::Note { record, text });
        let actions = match change {
            Remote::Comment => vec![comment(&next("remote comment"))],
            Remote::Note => vec![note(&next("remote note"))],
            Remote::Journal(count) => (0..count)
                .map(|n| match n % 2 {
                    0 => comment(&next("remote comment")),
                    _ => note(&next("remote note")),
                })
                .collect(),
            Remote::Attach => {
                let name = next("remote-file").replace(' ', "-") + ".txt";
                vec![vendor.remote_change(&RemoteChange::Attach {
                    record,
                    name: &name,
                    content: &format!("content of {name}"),
                })]
            }
            Remote::Edit(variant) => {
                vec![vendor.remote_change(&RemoteChange::Edit { record, variant })]
            }
            Remote::Close => vec![vendor.remote_change(&RemoteChange::Close { record })],
            Remote::Reopen => vec![vendor.remote_change(&RemoteChange::Reopen { record })],
        };
        actions
            .into_iter()
            .flatten()
            .map(|action| json!({"remote": action}))
            .collect()
    }
}

/// The `local` steps of one change.
fn local_steps(
    target: &Target,
    change: Local,
    next: &mut impl FnMut(&str) -> String,
) -> Vec<Value> {
    let tag = |index: Option<u8>| -> Vec<String> {
        match index {
            Some(index) if !target.tags.is_empty() => {
                vec![target.tags[usize::from(index) % target.tags.len()].clone()]
            }
            _ => Vec::new(),
        }
    };
    let step = |change: Value| {
        let mut fields = json!({"incident": target.id});
        if let (Value::Object(fields), Value::Object(change)) = (&mut fields, change) {
            fields.extend(change);
        }
        json!({"local": fields})
    };
    match change {
        Local::Entry { tag: index } => {
            vec![step(
                json!({"entry": {"text": next("local entry"), "tags": tag(index)}}),
            )]
        }
        Local::Entries { count, tag: index } => (0..count)
            .map(|_| {
                step(json!({"entry": {"text": next("local entry"), "tags": tag(Some(index))}}))
            })
            .collect(),
        Local::File { tag: index } => {
            let name = next("local-file").replace(' ', "-") + ".txt";
            let text = format!("content of {name}");
            vec![step(
                json!({"file": {"name": name, "text": text, "tags": tag(index)}}),
            )]
        }
        Local::Edit(variant) if variant % 2 == 0 => {
            vec![step(json!({"set": {"severity": variant / 2 % 4 + 1}}))]
        }
        Local::Edit(_) => vec![step(json!({"set": {"details": next("local details")}}))],
        Local::Close => vec![step(
            json!({"close": {"reason": "Resolved", "notes": next("closed locally")}}),
        )],
        Local::Reopen => vec![step(json!({"reopen": true}))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage() -> Stage {
        Stage {
            targets: vec![Target {
                id: 1,
                remote: "4".to_owned(),
                tags: vec!["comments".to_owned(), "work_notes".to_owned()],
            }],
            vendor: mock_vendors::create(
                mock_vendors::VendorKind::Xsoar,
                mock_vendors::Clock::default(),
                None,
            )
            .ok(),
            job_interval_secs: 40,
            stall: stall_past(Duration::from_secs(2)),
        }
    }

    #[test]
    fn a_plan_renders_numbered_steps_between_the_fetch_and_the_settled_quiet_period() {
        let steps = stage().steps(&[
            Action::Remote {
                incident: 3,
                change: Remote::Note,
            },
            Action::Local {
                incident: 0,
                change: Local::Entries { count: 2, tag: 1 },
            },
            Action::Wait { seconds: 90 },
        ]);
        assert_eq!(
            steps,
            [
                json!({"fetch": {}}),
                json!({"remote": {"entry": {"incident": "4", "contents": "remote note 1", "note": true}}}),
                json!({"local": {"incident": 1, "entry": {"text": "local entry 2", "tags": ["work_notes"]}}}),
                json!({"local": {"incident": 1, "entry": {"text": "local entry 3", "tags": ["work_notes"]}}}),
                json!({"advance": "90s"}),
                json!({"advance": "180s"}),
                json!({"check": {"settled": true}}),
            ]
        );
    }

    #[test]
    fn a_stall_answers_once_a_second_past_the_timeout_and_only_under_a_short_one() {
        let plan = [Action::Fault {
            method: Some(Method::Patch),
            respond: Fault::Stall,
            times: 3,
            after: 1,
        }];
        assert_eq!(
            stage().steps(&plan)[1],
            json!({"fault": {"match": {"path": "/**", "method": "PATCH"}, "respond": {"delay": "3s"}, "times": 1, "after": 1}})
        );
        assert_eq!(stall_past(STALLS_UP_TO + Duration::from_millis(1)), None);
        let long = Stage {
            stall: None,
            ..stage()
        };
        assert!(long
            .steps(&plan)
            .iter()
            .all(|step| step.get("fault").is_none()));
    }

    #[test]
    fn without_incidents_only_time_and_fetches_remain() {
        let stage = Stage {
            targets: Vec::new(),
            ..stage()
        };
        let steps = stage.steps(&[
            Action::Remote {
                incident: 0,
                change: Remote::Close,
            },
            Action::Local {
                incident: 0,
                change: Local::Close,
            },
            Action::Fetch,
        ]);
        assert_eq!(
            steps,
            [
                json!({"fetch": {}}),
                json!({"fetch": {}}),
                json!({"advance": "180s"}),
                json!({"check": {"settled": true}}),
            ]
        );
    }
}
