//! Okta's `filter` and `search` expression language.
//!
//! `profile.login eq "ada@example.com" and (status eq "ACTIVE" or status pr)`:
//! attribute names are case-sensitive, operators and `and`/`or` are not,
//! string literals are double-quoted, `and` binds tighter than `or`.
//! Expressions are evaluated against a user's JSON representation, so an
//! attribute is a dotted path into it.

use std::cmp::Ordering;

use serde_json::Value;

use crate::clock::parse_iso;

/// Which query parameter an expression came from: `filter` accepts a short
/// list of attributes, `search` most of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Filter,
    Search,
}

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expression {
    And(Box<Expression>, Box<Expression>),
    Or(Box<Expression>, Box<Expression>),
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
    #[error("{name:?} is not an attribute that can be used here")]
    UnknownAttribute { name: String },
    #[error("{name:?} is not an operator (expected eq, ge, gt, le, lt, pr or sw)")]
    UnknownOperator { name: String },
    #[error("{value:?} is not a literal; strings need double quotes")]
    InvalidLiteral { value: String },
    #[error("{attribute} compares with an ISO-8601 instant in double quotes, not {value:?}")]
    InvalidInstant { attribute: String, value: String },
    #[error("the expression nests parentheses deeper than {MAX_NESTING} levels")]
    TooDeep,
    #[error("the expression has more than {MAX_TERMS} conditions")]
    TooLong,
}

/// Bounds that keep the recursive parser and evaluator far from the stack
/// limit whatever a client sends.
const MAX_NESTING: usize = 32;
const MAX_TERMS: usize = 256;

const FILTER_ATTRIBUTES: [&str; 4] = ["id", "status", "lastUpdated", "created"];
const SEARCH_ONLY_ATTRIBUTES: [&str; 5] = [
    "activated",
    "statusChanged",
    "lastLogin",
    "passwordChanged",
    "type.id",
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
            _ => return None,
        };
        Some(operator)
    }

    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Operator::Eq => ordering == Ordering::Equal,
            Operator::Ge => ordering != Ordering::Less,
            Operator::Gt => ordering == Ordering::Greater,
            Operator::Le => ordering != Ordering::Greater,
            Operator::Lt => ordering == Ordering::Less,
            Operator::Sw => false,
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
        let allowed = match name.strip_prefix("profile.") {
            Some(field) => {
                !field.is_empty() && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            }
            None => {
                FILTER_ATTRIBUTES.contains(&name)
                    || (mode == Mode::Search && SEARCH_ONLY_ATTRIBUTES.contains(&name))
            }
        };
        if !allowed {
            return Err(ExpressionError::UnknownAttribute {
                name: name.to_owned(),
            });
        }
        Ok(Attribute {
            path: name.to_owned(),
            date: DATE_ATTRIBUTES.contains(&name),
        })
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
        if self.date {
            if let (Some(a), Some(b)) = (
                a.as_str().and_then(parse_iso),
                b.as_str().and_then(parse_iso),
            ) {
                return a.cmp(&b);
            }
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

/// Recursive descent: `or := and ("or" and)*`, `and := primary ("and" primary)*`,
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
        let mut left = self.primary()?;
        while self.peek().is_some_and(|token| token.is_keyword("and")) {
            self.next += 1;
            left = Expression::And(Box::new(left), Box::new(self.primary()?));
        }
        Ok(left)
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
            return Ok(Expression::Present(attribute));
        }
        let operator =
            Operator::parse(operator_name).ok_or_else(|| ExpressionError::UnknownOperator {
                name: operator_name.clone(),
            })?;
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
                "age": 36,
                "admin": true,
            },
        })
    }

    fn filter(text: &str) -> bool {
        match Expression::parse(text, Mode::Filter) {
            Ok(expression) => expression.matches(&user()),
            Err(error) => panic!("{text:?} should parse: {error}"),
        }
    }

    fn filter_error(text: &str) -> ExpressionError {
        match Expression::parse(text, Mode::Filter) {
            Ok(expression) => panic!("{text:?} should not parse, got {expression:?}"),
            Err(error) => error,
        }
    }

    #[test]
    fn equality_ignores_case_of_values() {
        assert!(filter(r#"profile.login eq "ada@example.com""#));
        assert!(filter(r#"status eq "ACTIVE""#));
        assert!(!filter(r#"status eq "STAGED""#));
        assert!(filter(r#"id eq "00uAbc""#));
    }

    #[test]
    fn operators_ignore_case_but_attributes_do_not() {
        assert!(filter(r#"profile.firstName EQ "Ada""#));
        assert!(filter(r#"profile.firstName Sw "a" AND status eq "ACTIVE""#));
        assert_eq!(
            filter_error(r#"profile.FirstName eq "Ada" or Status eq "ACTIVE""#),
            ExpressionError::UnknownAttribute {
                name: "Status".to_owned()
            }
        );
        assert!(!filter(r#"profile.FirstName eq "Ada""#));
    }

    #[test]
    fn ordering_operators_on_instants() {
        assert!(filter(r#"lastUpdated gt "2025-01-01T00:00:00.000Z""#));
        assert!(filter(r#"lastUpdated ge "2025-01-02T00:00:00Z""#));
        assert!(!filter(r#"lastUpdated gt "2025-01-02T00:00:00.000Z""#));
        assert!(filter(r#"created lt "2025-01-01T00:00:00.001Z""#));
        assert!(filter(r#"created le "2025-01-01T00:00:00.000Z""#));
        assert!(filter(r#"created sw "2025-01""#));
    }

    #[test]
    fn ordering_operators_on_text_and_numbers() {
        assert!(filter(r#"profile.lastName gt "A""#));
        assert!(filter(r#"profile.lastName lt "m""#));
        assert!(filter("profile.age ge 36"));
        assert!(!filter("profile.age gt 36"));
        assert!(filter("profile.admin eq true"));
        assert!(!filter("profile.admin eq false"));
    }

    #[test]
    fn present() {
        assert!(filter("profile.email pr"));
        assert!(!filter("profile.mobilePhone pr"));
        assert!(filter("profile.email PR and id pr"));
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
            r#"((status eq "ACTIVE") and (profile.email sw "ada" or id eq "x"))"#
        ));
    }

    #[test]
    fn escaped_quotes_in_strings() {
        let expression = Expression::parse(r#"profile.title eq "say \"hi\"""#, Mode::Filter);
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
        assert!(matches!(
            filter_error(r#"profile. eq "x""#),
            ExpressionError::UnknownAttribute { .. }
        ));
    }

    #[test]
    fn hostile_expressions_are_bounded() {
        let deep = "(".repeat(100_000);
        assert_eq!(filter_error(&deep), ExpressionError::TooDeep);
        let nested = format!("{}id pr{}", "(".repeat(32), ")".repeat(32));
        assert!(filter(&nested));
        let long = vec!["id pr"; 300].join(" and ");
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
