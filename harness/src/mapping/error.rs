//! Why a built-in operator (a transformer, a filter or the native equivalent of a script)
//! gave no value. The texts are what the harness reports for the field, as the server fails
//! the task with the operator's reason.

use std::fmt;

use super::dates::DateError;
use super::value::CastError;

/// Why a built-in operator failed.
///
/// Where a variant has a cause, its text ends with the cause's own text, as the report shows
/// it in one line; the cause is also its [`std::error::Error::source`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum BuiltinError {
    /// The value does not cast to what the operator needs.
    #[error(transparent)]
    Cast(#[from] CastError),
    /// The value is not a date the operator reads.
    #[error(transparent)]
    Date(#[from] DateError),
    /// An argument the operator cannot do without was not given.
    #[error("`{name}` is required")]
    MissingArgument {
        /// The argument.
        name: &'static str,
    },
    /// An argument does not cast to what the operator needs.
    #[error("`{name}`: {source}")]
    Argument {
        /// The argument.
        name: &'static str,
        /// The cast that failed.
        #[source]
        source: CastError,
    },
    /// A position or count argument that is not a whole number.
    #[error("`{name}`: {source} (got {got})")]
    NotAnIndex {
        /// The argument.
        name: &'static str,
        /// The cast that failed.
        #[source]
        source: CastError,
        /// The argument's value, shown.
        got: String,
    },
    /// Arguments the operator does not take.
    #[error(
        "`{operator}` takes no argument {} (its arguments: {})",
        quoted(unknown),
        known_list(known)
    )]
    UnknownArguments {
        /// The operator.
        operator: &'static str,
        /// The arguments given that it does not take.
        unknown: Vec<String>,
        /// The arguments it takes.
        known: &'static [&'static str],
    },
    /// A regular expression that does not compile.
    #[error("{}{pattern:?} is not a valid regular expression: {source}", argument_prefix(*argument))]
    BadRegex {
        /// The argument that holds it (none for a filter's right side).
        argument: Option<&'static str>,
        /// The expression.
        pattern: String,
        /// What the regex crate found wrong.
        #[source]
        source: regex::Error,
    },
    /// A filter side that does not cast to a number.
    #[error("{side} side: {source}")]
    SideCast {
        /// Which side.
        side: Side,
        /// The cast that failed.
        #[source]
        source: CastError,
    },
    /// A filter side that is not a date.
    #[error("{side} side: {source}")]
    SideNotADate {
        /// Which side.
        side: Side,
        /// Why it is no date.
        #[source]
        source: DateError,
    },
    /// `division` by 0.
    #[error("division by zero")]
    DivisionByZero,
    /// `modulo` by 0.
    #[error("modulo by zero")]
    ModuloByZero,
    /// `toPercent` of a total of 0.
    #[error("a percent of a total of zero")]
    PercentOfZero,
    /// A filter that only pre-process rules can use.
    #[error("`{operator}` compares with existing incidents in pre-process rules; a mapper cannot use it")]
    PreProcessOnly {
        /// The filter.
        operator: String,
    },
}

/// A side of a filter condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// The value compared, usually a path into the item.
    Left,
    /// What it is compared with, usually a literal.
    Right,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Left => "left",
            Side::Right => "right",
        })
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn known_list(known: &[&str]) -> String {
    if known.is_empty() {
        "none".to_owned()
    } else {
        known.join(", ")
    }
}

fn argument_prefix(argument: Option<&str>) -> String {
    argument.map(|a| format!("`{a}` ")).unwrap_or_default()
}
