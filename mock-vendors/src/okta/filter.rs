//! Okta's `filter` and `search` expression language.
//!
//! `profile.login eq "ada@example.com" and (status eq "ACTIVE" or status eq "STAGED")`:
//! attribute names are case-sensitive, operators and `and`/`or`/`not` are
//! not, string literals are double-quoted, `not` binds tighter than `and`,
//! which binds tighter than `or`. Expressions are evaluated against a
//! user's JSON representation, so an attribute is a dotted path into it.
//!
//! The two parameters accept what Okta documents for them, and refuse the
//! rest (E0000031) as Okta does:
//!
//! - `filter`: `eq` on `status`, `lastUpdated`, `id`, `profile.login`,
//!   `profile.email`, `profile.firstName` and `profile.lastName`; `gt`,
//!   `ge`, `lt` and `le` on `lastUpdated` only; `and`, `or`, parentheses.
//!   String literals only.
//! - `search`: any `profile.*` attribute and the top-level `id`, `status`,
//!   `created`, `activated`, `statusChanged`, `lastUpdated`, `lastLogin`,
//!   `passwordChanged` and `type.id`; `eq`, `sw`, `pr`, `gt`, `ge`, `lt`,
//!   `le` on any of them, `co` (contains) on `profile.firstName`,
//!   `profile.lastName`, `profile.email` and `profile.login`; `and`, `or`,
//!   `not`, parentheses.

use std::fmt;

use std::cmp::Ordering;

use serde_json::Value;

use crate::clock::parse_iso;

/// Which query parameter an expression came from: `filter` accepts a short
/// list of attributes and operators, `search` most of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Filter,
    Search,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Filter => "filter",
            Mode::Search => "search",
        })
    }
}

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expression {
    And(Box<Expression>, Box<Expression>),
    Or(Box<Expression>, Box<Expression>),
    Not(Box<Expression>),
    Present(Attribute),
    Compare {
        attribute: Attribute,
        operator: Operator,
        literal: Literal,
    },
}

/// A comparison operator (`pr` is [`Expression::Present`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operator {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
    Sw,
    /// Contains (`search` only, on a few profile attributes).
    Co,
}

/// The right-hand side of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Literal {
    Text(String),
    Instant(i64),
    Number(f64),
    Bool(bool),
}

/// An attribute path such as `profile.login` or `lastUpdated`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Attribute {
    path: String,
    /// Compared as instants rather than text.
    date: bool,
}

/// Why an expression was refused (becomes the cause of an E0000031).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ExpressionError {
    #[error("the expression is empty")]
    Empty,
    #[error("unexpected end of the expression")]
    UnexpectedEnd,
    #[error("unexpected {found:?} at position {at}")]
    Unexpected { found: String, at: usize },
    #[error("unterminated string literal starting at position {at}")]
    UnterminatedString { at: usize },
    #[error("{name:?} is not an attribute {mode} can use ({})", allowed_attributes(*mode))]
    UnknownAttribute { name: String, mode: Mode },
    #[error("{name:?} is not an operator (expected eq, ge, gt, le, lt, sw, co or pr)")]
    UnknownOperator { name: String },
    #[error("{operator} cannot be used on {attribute} in {mode} ({})", allowed_operators(*mode))]
    OperatorNotAllowed {
        operator: String,
        attribute: String,
        mode: Mode,
    },
    #[error("not cannot be used in filter (search allows it)")]
    NotInFilter,
    #[error("{value:?} is not a literal; strings need double quotes")]
    InvalidLiteral { value: String },
    #[error("{attribute} compares with an ISO-8601 instant in double quotes, not {value:?}")]
    InvalidInstant { attribute: String, value: String },
    #[error("the expression nests parentheses deeper than {MAX_NESTING} levels")]
    TooDeep,
    #[error("the expression has more than {MAX_TERMS} conditions")]
    TooLong,
}

/// What an [`ExpressionError::UnknownAttribute`] says `mode` takes.
fn allowed_attributes(mode: Mode) -> String {
    match mode {
        Mode::Filter => format!("filter takes {}", FILTER_ATTRIBUTES.join(", ")),
        Mode::Search => format!(
            "search takes profile.* and {}",
            SEARCH_TOP_LEVEL_ATTRIBUTES.join(", ")
        ),
    }
}

/// What an [`ExpressionError::OperatorNotAllowed`] says `mode` takes.
fn allowed_operators(mode: Mode) -> String {
    match mode {
        Mode::Filter => format!("filter takes eq, and gt, ge, lt, le on {FILTER_RANGE_ATTRIBUTE}"),
        Mode::Search => format!("search takes co only on {}", CONTAINS_ATTRIBUTES.join(", ")),
    }
}

/// Bounds that keep the recursive parser and evaluator far from the stack
/// limit whatever a client sends.
const MAX_NESTING: usize = 32;
const MAX_TERMS: usize = 256;

/// Everything `filter` can name (Okta documents no more).
const FILTER_ATTRIBUTES: [&str; 7] = [
    "status",
    "lastUpdated",
    "id",
    "profile.login",
    "profile.email",
    "profile.firstName",
    "profile.lastName",
];
/// The only `filter` attribute that takes `gt`, `ge`, `lt` and `le`.
const FILTER_RANGE_ATTRIBUTE: &str = "lastUpdated";
/// The top-level attributes `search` can name, besides any `profile.*`.
const SEARCH_TOP_LEVEL_ATTRIBUTES: [&str; 9] = [
    "id",
    "status",
    "created",
    "activated",
    "statusChanged",
    "lastUpdated",
    "lastLogin",
    "passwordChanged",
    "type.id",
];
/// The attributes `co` works on (in `search`).
const CONTAINS_ATTRIBUTES: [&str; 4] = [
    "profile.firstName",
    "profile.lastName",
    "profile.email",
    "profile.login",
];
const DATE_ATTRIBUTES: [&str; 6] = [
    "created",
    "activated",
    "statusChanged",
    "lastLogin",
    "lastUpdated",
    "passwordChanged",
];

impl Expression {
    /// Parses `text` for the given parameter.
    pub(crate) fn parse(text: &str, mode: Mode) -> Result<Expression, ExpressionError> {
        let tokens = tokenize(text)?;
        if tokens.is_empty() {
            return Err(ExpressionError::Empty);
        }
        let mut parser = Parser {
            tokens,
            next: 0,
            mode,
            depth: 0,
            terms: 0,
        };
        let expression = parser.or()?;
        match parser.tokens.get(parser.next) {
            None => Ok(expression),
            Some(token) => Err(token.unexpected()),
        }
    }

    /// Whether the user (as JSON) satisfies the expression.
    pub(crate) fn matches(&self, user: &Value) -> bool {
        match self {
            Expression::And(left, right) => left.matches(user) && right.matches(user),
            Expression::Or(left, right) => left.matches(user) || right.matches(user),
            Expression::Not(inner) => !inner.matches(user),
            Expression::Present(attribute) => attribute.value(user).is_some(),
            Expression::Compare {
                attribute,
                operator,
                literal,
            } => attribute
                .value(user)
                .is_some_and(|value| operator.compare(value, literal)),
        }
    }
}

impl Operator {
    fn parse(word: &str) -> Option<Operator> {
        let operator = match word.to_ascii_lowercase().as_str() {
            "eq" => Operator::Eq,
            "ge" => Operator::Ge,
            "gt" => Operator::Gt,
            "le" => Operator::Le,
            "lt" => Operator::Lt,
            "sw" => Operator::Sw,
            "co" => Operator::Co,
            _ => return None,
        };
        Some(operator)
    }

    fn as_str(self) -> &'static str {
        match self {
            Operator::Eq => "eq",
            Operator::Ge => "ge",
            Operator::Gt => "gt",
            Operator::Le => "le",
            Operator::Lt => "lt",
            Operator::Sw => "sw",
            Operator::Co => "co",
        }
    }

    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Operator::Eq => ordering == Ordering::Equal,
            Operator::Ge => ordering != Ordering::Less,
            Operator::Gt => ordering == Ordering::Greater,
            Operator::Le => ordering != Ordering::Greater,
            Operator::Lt => ordering == Ordering::Less,
            Operator::Sw | Operator::Co => false,
        }
    }

    /// `value <operator> literal`; values of another type never match.
    fn compare(self, value: &Value, literal: &Literal) -> bool {
        match literal {
            // Okta compares logins, emails and names case-insensitively.
            Literal::Text(expected) => value.as_str().is_some_and(|actual| {
                let actual = actual.to_lowercase();
                let expected = expected.to_lowercase();
                match self {
                    Operator::Sw => actual.starts_with(&expected),
                    Operator::Co => actual.contains(&expected),
                    _ => self.holds(actual.cmp(&expected)),
                }
            }),
            Literal::Instant(expected) => value
                .as_str()
                .and_then(parse_iso)
                .is_some_and(|actual| self.holds(actual.cmp(expected))),
            Literal::Number(expected) => value
                .as_f64()
                .and_then(|actual| actual.partial_cmp(expected))
                .is_some_and(|ordering| self.holds(ordering)),
            Literal::Bool(expected) => self == Operator::Eq && value.as_bool() == Some(*expected),
        }
    }
}

impl Attribute {
    /// Checks `name` against what `mode` allows.
    pub(crate) fn parse(name: &str, mode: Mode) -> Result<Attribute, ExpressionError> {
        let allowed = match (mode, name.strip_prefix("profile.")) {
            (Mode::Filter, _) => FILTER_ATTRIBUTES.contains(&name),
            (Mode::Search, Some(field)) => {
                !field.is_empty() && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            }
            (Mode::Search, None) => SEARCH_TOP_LEVEL_ATTRIBUTES.contains(&name),
        };
        if !allowed {
            return Err(ExpressionError::UnknownAttribute {
                name: name.to_owned(),
                mode,
            });
        }
        Ok(Attribute {
            path: name.to_owned(),
            date: DATE_ATTRIBUTES.contains(&name),
        })
    }

    /// Whether `mode` lets `operator` (`None`: `pr`) work on this attribute.
    fn check_operator(
        &self,
        operator: Option<Operator>,
        mode: Mode,
    ) -> Result<(), ExpressionError> {
        let allowed = match (mode, operator) {
            (Mode::Filter, Some(Operator::Eq)) => true,
            (Mode::Filter, Some(Operator::Gt | Operator::Ge | Operator::Lt | Operator::Le)) => {
                self.path == FILTER_RANGE_ATTRIBUTE
            }
            (Mode::Filter, Some(Operator::Sw | Operator::Co) | None) => false,
            (Mode::Search, Some(Operator::Co)) => CONTAINS_ATTRIBUTES.contains(&self.path.as_str()),
            (Mode::Search, _) => true,
        };
        if allowed {
            Ok(())
        } else {
            Err(ExpressionError::OperatorNotAllowed {
                operator: operator.map_or("pr", Operator::as_str).to_owned(),
                attribute: self.path.clone(),
                mode,
            })
        }
    }

    /// The attribute's value in `user`; `None` when absent or null.
    fn value<'a>(&self, user: &'a Value) -> Option<&'a Value> {
        self.path
            .split('.')
            .try_fold(user, |value, key| value.get(key))
            .filter(|value| !value.is_null())
    }

    /// Orders two users by this attribute, absent values last.
    pub(crate) fn compare(&self, a: &Value, b: &Value) -> Ordering {
        match (self.value(a), self.value(b)) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) => self.compare_present(a, b),
        }
    }

    fn compare_present(&self, a: &Value, b: &Value) -> Ordering {
        if self.date
            && let (Some(a), Some(b)) = (
                a.as_str().and_then(parse_iso),
                b.as_str().and_then(parse_iso),
            )
        {
            return a.cmp(&b);
        }
        match (a, b) {
            (Value::Number(a), Value::Number(b)) => {
                let (a, b) = (
                    a.as_f64().unwrap_or_default(),
                    b.as_f64().unwrap_or_default(),
                );
                a.partial_cmp(&b).unwrap_or(Ordering::Equal)
            }
            (Value::String(a), Value::String(b)) => a.to_lowercase().cmp(&b.to_lowercase()),
            _ => a.to_string().cmp(&b.to_string()),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum TokenKind {
    Open,
    Close,
    Word(String),
    Text(String),
}

#[derive(Clone, Debug, PartialEq)]
struct Token {
    kind: TokenKind,
    at: usize,
}

impl Token {
    fn unexpected(&self) -> ExpressionError {
        let found = match &self.kind {
            TokenKind::Open => "(".to_owned(),
            TokenKind::Close => ")".to_owned(),
            TokenKind::Word(word) => word.clone(),
            TokenKind::Text(text) => format!("\"{text}\""),
        };
        ExpressionError::Unexpected { found, at: self.at }
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(&self.kind, TokenKind::Word(word) if word.eq_ignore_ascii_case(keyword))
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, ExpressionError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let kind = match c {
            c if c.is_whitespace() => continue,
            '(' => TokenKind::Open,
            ')' => TokenKind::Close,
            '"' => {
                let mut literal = String::new();
                loop {
                    match chars.next() {
                        None => return Err(ExpressionError::UnterminatedString { at }),
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, escaped)) => literal.push(escaped),
                            None => return Err(ExpressionError::UnterminatedString { at }),
                        },
                        Some((_, c)) => literal.push(c),
                    }
                }
                TokenKind::Text(literal)
            }
            c => {
                let mut word = String::from(c);
                while let Some(&(_, next)) = chars.peek() {
                    if next.is_whitespace() || matches!(next, '(' | ')' | '"') {
                        break;
                    }
                    word.push(next);
                    chars.next();
                }
                TokenKind::Word(word)
            }
        };
        tokens.push(Token { kind, at });
    }
    Ok(tokens)
}

/// Recursive descent: `or := and ("or" and)*`, `and := unary ("and" unary)*`,
/// `unary := "not" unary | primary`,
/// `primary := "(" or ")" | attribute "pr" | attribute operator literal`.
struct Parser {
    tokens: Vec<Token>,
    next: usize,
    mode: Mode,
    /// Open parentheses around the current position.
    depth: usize,
    /// Conditions parsed so far.
    terms: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn take(&mut self) -> Result<Token, ExpressionError> {
        let token = self
            .tokens
            .get(self.next)
            .cloned()
            .ok_or(ExpressionError::UnexpectedEnd)?;
        self.next += 1;
        Ok(token)
    }

    fn or(&mut self) -> Result<Expression, ExpressionError> {
        let mut left = self.and()?;
        while self.peek().is_some_and(|token| token.is_keyword("or")) {
            self.next += 1;
            left = Expression::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expression, ExpressionError> {
        let mut left = self.unary()?;
        while self.peek().is_some_and(|token| token.is_keyword("and")) {
            self.next += 1;
            left = Expression::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    /// `not` before a condition or a parenthesised expression (`search`
    /// only); a chain of them nests like parentheses do.
    fn unary(&mut self) -> Result<Expression, ExpressionError> {
        if !self.peek().is_some_and(|token| token.is_keyword("not")) {
            return self.primary();
        }
        if self.mode == Mode::Filter {
            return Err(ExpressionError::NotInFilter);
        }
        self.next += 1;
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(ExpressionError::TooDeep);
        }
        let inner = self.unary()?;
        self.depth -= 1;
        Ok(Expression::Not(Box::new(inner)))
    }

    fn primary(&mut self) -> Result<Expression, ExpressionError> {
        let token = self.take()?;
        let name = match token.kind {
            TokenKind::Open => {
                self.depth += 1;
                if self.depth > MAX_NESTING {
                    return Err(ExpressionError::TooDeep);
                }
                let inner = self.or()?;
                self.depth -= 1;
                let close = self.take()?;
                return match close.kind {
                    TokenKind::Close => Ok(inner),
                    _ => Err(close.unexpected()),
                };
            }
            TokenKind::Word(ref name) => name.clone(),
            _ => return Err(token.unexpected()),
        };
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(ExpressionError::TooLong);
        }
        let attribute = Attribute::parse(&name, self.mode)?;
        let operator_token = self.take()?;
        let TokenKind::Word(operator_name) = &operator_token.kind else {
            return Err(operator_token.unexpected());
        };
        if operator_name.eq_ignore_ascii_case("pr") {
            attribute.check_operator(None, self.mode)?;
            return Ok(Expression::Present(attribute));
        }
        let operator =
            Operator::parse(operator_name).ok_or_else(|| ExpressionError::UnknownOperator {
                name: operator_name.clone(),
            })?;
        attribute.check_operator(Some(operator), self.mode)?;
        let literal = self.literal(&attribute, operator)?;
        Ok(Expression::Compare {
            attribute,
            operator,
            literal,
        })
    }

    fn literal(
        &mut self,
        attribute: &Attribute,
        operator: Operator,
    ) -> Result<Literal, ExpressionError> {
        let token = self.take()?;
        let invalid_instant = |value: &str| ExpressionError::InvalidInstant {
            attribute: attribute.path.clone(),
            value: value.to_owned(),
        };
        match token.kind {
            // `sw` on a date is a prefix of its text form ("2025-01").
            TokenKind::Text(text) if attribute.date && operator != Operator::Sw => parse_iso(&text)
                .map(Literal::Instant)
                .ok_or_else(|| invalid_instant(&text)),
            TokenKind::Text(text) => Ok(Literal::Text(text)),
            TokenKind::Word(word) if attribute.date => Err(invalid_instant(&word)),
            // Every filter attribute is a string; co and sw compare text.
            TokenKind::Word(word)
                if self.mode == Mode::Filter || matches!(operator, Operator::Sw | Operator::Co) =>
            {
                Err(ExpressionError::InvalidLiteral { value: word })
            }
            TokenKind::Word(word) => {
                if word.eq_ignore_ascii_case("true") || word.eq_ignore_ascii_case("false") {
                    Ok(Literal::Bool(word.eq_ignore_ascii_case("true")))
                } else {
                    word.parse::<f64>()
                        .ok()
                        .filter(|number| number.is_finite())
                        .map(Literal::Number)
                        .ok_or(ExpressionError::InvalidLiteral { value: word })
                }
            }
            _ => Err(token.unexpected()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "id": "00uAbc",
            "status": "ACTIVE",
            "created": "2025-01-01T00:00:00.000Z",
            "lastUpdated": "2025-01-02T00:00:00.000Z",
            "lastLogin": null,
            "type": {"id": "oty1"},
            "profile": {
                "login": "Ada@Example.com",
                "email": "ada@example.com",
                "firstName": "Ada",
                "lastName": "Lovelace",
                "title": "Countess",
                "age": 36,
                "admin": true,
            },
        })
    }

    fn evaluate(text: &str, mode: Mode) -> bool {
        match Expression::parse(text, mode) {
            Ok(expression) => expression.matches(&user()),
            Err(error) => panic!("{mode} {text:?} should parse: {error}"),
        }
    }

    fn filter(text: &str) -> bool {
        evaluate(text, Mode::Filter)
    }

    fn search(text: &str) -> bool {
        evaluate(text, Mode::Search)
    }

    fn refused(text: &str, mode: Mode) -> ExpressionError {
        match Expression::parse(text, mode) {
            Ok(expression) => panic!("{mode} {text:?} should not parse, got {expression:?}"),
            Err(error) => error,
        }
    }

    fn filter_error(text: &str) -> ExpressionError {
        refused(text, Mode::Filter)
    }

    #[test]
    fn equality_ignores_case_of_values() {
        assert!(filter(r#"profile.login eq "ada@example.com""#));
        assert!(filter(r#"status eq "ACTIVE""#));
        assert!(!filter(r#"status eq "STAGED""#));
        assert!(filter(r#"id eq "00uAbc""#));
        assert!(filter(r#"profile.email eq "ADA@example.com""#));
        assert!(filter(
            r#"profile.firstName eq "ada" and profile.lastName eq "LOVELACE""#
        ));
    }

    #[test]
    fn operators_ignore_case_but_attributes_do_not() {
        assert!(filter(r#"profile.firstName EQ "Ada""#));
        assert!(search(r#"profile.firstName Sw "a" AND status eq "ACTIVE""#));
        assert_eq!(
            filter_error(r#"profile.firstName eq "Ada" or Status eq "ACTIVE""#),
            ExpressionError::UnknownAttribute {
                name: "Status".to_owned(),
                mode: Mode::Filter,
            }
        );
        assert!(!search(r#"profile.FirstName eq "Ada""#));
    }

    #[test]
    fn filter_takes_only_what_okta_documents() {
        assert!(filter(r#"lastUpdated gt "2025-01-01T00:00:00.000Z""#));
        assert!(filter(r#"lastUpdated ge "2025-01-02T00:00:00Z""#));
        assert!(!filter(r#"lastUpdated lt "2025-01-02T00:00:00.000Z""#));
        assert!(filter(r#"lastUpdated le "2025-01-02T00:00:00.000Z""#));
        assert!(filter(
            r#"(status eq "STAGED" or status eq "ACTIVE") and lastUpdated gt "2024-12-31T00:00:00.000Z""#
        ));
        let not_allowed = |text: &str, operator: &str, attribute: &str| {
            assert_eq!(
                filter_error(text),
                ExpressionError::OperatorNotAllowed {
                    operator: operator.to_owned(),
                    attribute: attribute.to_owned(),
                    mode: Mode::Filter,
                },
                "{text}"
            );
        };
        not_allowed(r#"profile.lastName sw "love""#, "sw", "profile.lastName");
        not_allowed(r#"profile.email co "example""#, "co", "profile.email");
        not_allowed("profile.email pr", "pr", "profile.email");
        not_allowed(r#"status gt "A""#, "gt", "status");
        not_allowed(r#"profile.login lt "b""#, "lt", "profile.login");
        for attribute in [
            "created",
            "activated",
            "type.id",
            "profile.title",
            "lastLogin",
        ] {
            assert!(
                matches!(
                    filter_error(&format!(r#"{attribute} eq "x""#)),
                    ExpressionError::UnknownAttribute {
                        mode: Mode::Filter,
                        ..
                    }
                ),
                "{attribute}"
            );
        }
        assert_eq!(
            filter_error(r#"not status eq "ACTIVE""#),
            ExpressionError::NotInFilter
        );
        assert_eq!(
            filter_error("id eq 7"),
            ExpressionError::InvalidLiteral {
                value: "7".to_owned()
            }
        );
    }

    #[test]
    fn search_ordering_on_instants_text_and_numbers() {
        assert!(search(r#"created lt "2025-01-01T00:00:00.001Z""#));
        assert!(search(r#"created le "2025-01-01T00:00:00.000Z""#));
        assert!(search(r#"created sw "2025-01""#));
        assert!(search(r#"profile.lastName gt "A""#));
        assert!(search(r#"profile.lastName lt "m""#));
        assert!(search("profile.age ge 36"));
        assert!(!search("profile.age gt 36"));
        assert!(search("profile.admin eq true"));
        assert!(!search("profile.admin eq false"));
    }

    #[test]
    fn search_present() {
        assert!(search("profile.email pr"));
        assert!(!search("profile.mobilePhone pr"));
        assert!(!search("lastLogin pr"));
        assert!(search("profile.email PR and id pr"));
    }

    #[test]
    fn search_contains_on_names_email_and_login_only() {
        assert!(search(r#"profile.firstName co "d""#));
        assert!(search(r#"profile.lastName CO "LACE""#));
        assert!(search(r#"profile.email co "@example.""#));
        assert!(search(r#"profile.login co "a@ex""#));
        assert!(!search(r#"profile.login co "bob""#));
        assert_eq!(
            refused(r#"profile.title co "ount""#, Mode::Search),
            ExpressionError::OperatorNotAllowed {
                operator: "co".to_owned(),
                attribute: "profile.title".to_owned(),
                mode: Mode::Search,
            }
        );
        assert!(matches!(
            refused(r#"status co "ACT""#, Mode::Search),
            ExpressionError::OperatorNotAllowed { .. }
        ));
        assert!(matches!(
            refused("profile.login co 5", Mode::Search),
            ExpressionError::InvalidLiteral { .. }
        ));
    }

    #[test]
    fn search_not() {
        assert!(search(r#"not status eq "STAGED""#));
        assert!(!search(r#"NOT status eq "ACTIVE""#));
        assert!(!search(
            r#"not (status eq "STAGED" or profile.firstName eq "ada")"#
        ));
        assert!(search(r#"not not status eq "ACTIVE""#));
        // not binds tighter than and: (not false) and true.
        assert!(search(r#"not status eq "STAGED" and id eq "00uAbc""#));
        assert!(search(r#"profile.title pr and not profile.mobilePhone pr"#));
        assert_eq!(refused("not", Mode::Search), ExpressionError::UnexpectedEnd);
    }

    #[test]
    fn and_binds_tighter_than_or() {
        // false and false or true
        assert!(filter(
            r#"status eq "STAGED" and id eq "x" or profile.firstName eq "Ada""#
        ));
        // false and (false or true)
        assert!(!filter(
            r#"status eq "STAGED" and (id eq "x" or profile.firstName eq "Ada")"#
        ));
        assert!(filter(
            r#"((status eq "ACTIVE") and (profile.email eq "ada@example.com" or id eq "x"))"#
        ));
    }

    #[test]
    fn escaped_quotes_in_strings() {
        let expression = Expression::parse(r#"profile.title eq "say \"hi\"""#, Mode::Search);
        let Ok(Expression::Compare { literal, .. }) = expression else {
            panic!("{expression:?}");
        };
        assert_eq!(literal, Literal::Text("say \"hi\"".to_owned()));
    }

    #[test]
    fn malformed_expressions() {
        assert_eq!(filter_error(""), ExpressionError::Empty);
        assert_eq!(filter_error("   "), ExpressionError::Empty);
        assert_eq!(filter_error("status eq"), ExpressionError::UnexpectedEnd);
        assert_eq!(filter_error("status"), ExpressionError::UnexpectedEnd);
        assert_eq!(
            filter_error(r#"status eq "ACTIVE"#),
            ExpressionError::UnterminatedString { at: 10 }
        );
        assert_eq!(
            filter_error("status eq ACTIVE"),
            ExpressionError::InvalidLiteral {
                value: "ACTIVE".to_owned()
            }
        );
        assert_eq!(
            filter_error(r#"status is "ACTIVE""#),
            ExpressionError::UnknownOperator {
                name: "is".to_owned()
            }
        );
        assert_eq!(
            filter_error(r#"(status eq "ACTIVE""#),
            ExpressionError::UnexpectedEnd
        );
        assert_eq!(
            filter_error(r#"status eq "ACTIVE")"#),
            ExpressionError::Unexpected {
                found: ")".to_owned(),
                at: 18
            }
        );
        assert_eq!(
            filter_error(r#"status eq "ACTIVE" status eq "STAGED""#),
            ExpressionError::Unexpected {
                found: "status".to_owned(),
                at: 19
            }
        );
        assert!(matches!(
            filter_error(r#"lastUpdated gt "yesterday""#),
            ExpressionError::InvalidInstant { .. }
        ));
        for mode in [Mode::Filter, Mode::Search] {
            assert!(matches!(
                refused(r#"profile. eq "x""#, mode),
                ExpressionError::UnknownAttribute { .. }
            ));
        }
    }

    #[test]
    fn errors_say_what_the_parameter_takes() {
        let unknown = filter_error(r#"created gt "2025-01-01T00:00:00Z""#).to_string();
        assert!(
            unknown.contains("filter takes status, lastUpdated, id"),
            "{unknown}"
        );
        let operator = filter_error(r#"profile.login sw "a""#).to_string();
        assert_eq!(
            operator,
            "sw cannot be used on profile.login in filter \
             (filter takes eq, and gt, ge, lt, le on lastUpdated)"
        );
    }

    #[test]
    fn hostile_expressions_are_bounded() {
        let deep = "(".repeat(100_000);
        assert_eq!(filter_error(&deep), ExpressionError::TooDeep);
        let nots = "not ".repeat(100_000);
        assert_eq!(refused(&nots, Mode::Search), ExpressionError::TooDeep);
        let nested = format!("{}id pr{}", "(".repeat(32), ")".repeat(32));
        assert!(search(&nested));
        let long = vec![r#"id eq "00uAbc""#; 300].join(" and ");
        assert_eq!(filter_error(&long), ExpressionError::TooLong);
    }

    #[test]
    fn search_allows_more_attributes_than_filter() {
        let text = r#"type.id eq "oty1" and lastLogin pr"#;
        assert!(matches!(
            Expression::parse(text, Mode::Filter),
            Err(ExpressionError::UnknownAttribute { .. })
        ));
        let search = Expression::parse(r#"type.id eq "oty1""#, Mode::Search);
        assert!(search.is_ok_and(|expression| expression.matches(&user())));
    }

    #[test]
    fn sorting_puts_absent_values_last() -> Result<(), ExpressionError> {
        let attribute = Attribute::parse("profile.nickName", Mode::Search)?;
        let named = json!({"profile": {"nickName": "b"}});
        let anonymous = json!({"profile": {}});
        assert_eq!(attribute.compare(&named, &anonymous), Ordering::Less);
        assert_eq!(
            attribute.compare(&named, &json!({"profile": {"nickName": "A"}})),
            Ordering::Greater
        );
        Ok(())
    }
}
