//! [`RemoteChange`]: a person's change at a vendor, named by what it does
//! rather than by how one vendor spells it, so that a generator of
//! scenarios (`xsoar-harness explore`) can ask any vendor for it.

/// A change a person makes at the vendor on one record (a ticket, a remote
/// incident), as [`Vendor::remote_change`](crate::Vendor::remote_change)
/// turns it into the vendor's own action JSON.
///
/// ```
/// use mock_vendors::{Clock, RemoteChange, Vendor, servicenow::ServiceNow, xsoar::Xsoar};
///
/// let note = RemoteChange::Note { record: "1", text: "Host isolated" };
/// let servicenow = ServiceNow::new(Clock::default(), "harness:pw").remote_change(&note);
/// assert_eq!(servicenow.map(|a| a["update"]["fields"]["work_notes"].clone()), Some("Host isolated".into()));
/// let xsoar = Xsoar::new(Clock::default(), "key").remote_change(&note);
/// assert_eq!(xsoar.map(|a| a["entry"]["note"].clone()), Some(true.into()));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RemoteChange<'a> {
    /// A comment meant for the requester (a ticket comment, a war-room chat message).
    Comment {
        /// The record's id, as a mirror knows it (its dbotMirrorId).
        record: &'a str,
        /// The text, unique within a scenario.
        text: &'a str,
    },
    /// An internal note (a work note, a war-room note).
    Note {
        /// The record.
        record: &'a str,
        /// The text.
        text: &'a str,
    },
    /// A text file attached to the record.
    Attach {
        /// The record.
        record: &'a str,
        /// The file name.
        name: &'a str,
        /// Its content.
        content: &'a str,
    },
    /// An edit of one of the record's ordinary fields; `variant` picks the
    /// field (a choice or a text field the mappers carry) and its value, so
    /// that edits differ.
    Edit {
        /// The record.
        record: &'a str,
        /// Which edit.
        variant: u8,
    },
    /// The record closed, with a reason and notes.
    Close {
        /// The record.
        record: &'a str,
    },
    /// A closed record opened again.
    Reopen {
        /// The record.
        record: &'a str,
    },
}
