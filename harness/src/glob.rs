//! Globs over scenario names (`iam/create-new-user`), for choosing which scenarios run.
//!
//! `*` matches any run of characters within one `/`-separated segment, `**` any run across
//! segments, `**/` any number of whole leading segments (none included), and `?` one
//! character other than `/`. Every other character matches itself; a glob matches the whole
//! name, not a part of it.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

/// A glob over scenario names; see the [module](self) for the syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    text: String,
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// This character.
    Literal(char),
    /// `?`: one character but `/`.
    One,
    /// `*`: any characters but `/`.
    Star,
    /// `**`: any characters.
    DoubleStar,
    /// `**/`: nothing, or anything that ends with `/`.
    Segments,
}

impl Glob {
    /// The glob written `pattern`. Every text is a glob: there is nothing to get wrong.
    pub fn new(pattern: &str) -> Self {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let token = match chars[i] {
                '*' if chars.get(i + 1) == Some(&'*') => {
                    i += 1;
                    if chars.get(i + 1) == Some(&'/') {
                        i += 1;
                        Token::Segments
                    } else {
                        Token::DoubleStar
                    }
                }
                '*' => Token::Star,
                '?' => Token::One,
                c => Token::Literal(c),
            };
            tokens.push(token);
            i += 1;
        }
        Self {
            text: pattern.to_owned(),
            tokens,
        }
    }

    /// The glob as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the glob matches all of `name`.
    pub fn matches(&self, name: &str) -> bool {
        let text: Vec<char> = name.chars().collect();
        // reach[j]: the tokens so far can match text[..j]. One pass per token, so a hostile
        // glob costs tokens x length, never more.
        let mut reach = vec![false; text.len() + 1];
        reach[0] = true;
        for token in &self.tokens {
            let mut next = vec![false; text.len() + 1];
            match token {
                Token::Literal(_) | Token::One => {
                    for (j, &c) in text.iter().enumerate() {
                        let fits = match token {
                            Token::Literal(want) => c == *want,
                            _ => c != '/',
                        };
                        next[j + 1] = reach[j] && fits;
                    }
                }
                Token::Star | Token::DoubleStar => {
                    let mut open = false;
                    for j in 0..=text.len() {
                        open |= reach[j];
                        next[j] = open;
                        if *token == Token::Star && text.get(j) == Some(&'/') {
                            open = false;
                        }
                    }
                }
                Token::Segments => {
                    let mut seen = false;
                    for j in 0..=text.len() {
                        let after_slash = j > 0 && text[j - 1] == '/';
                        next[j] = reach[j] || (seen && after_slash);
                        seen |= reach[j];
                    }
                }
            }
            reach = next;
        }
        reach[text.len()]
    }
}

impl FromStr for Glob {
    type Err = Infallible;

    fn from_str(pattern: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(pattern))
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(pattern: &str, name: &str) -> bool {
        Glob::new(pattern).matches(name)
    }

    #[test]
    fn literals_match_the_whole_name_only() {
        assert!(glob("iam/create-new-user", "iam/create-new-user"));
        assert!(!glob("iam/create", "iam/create-new-user"));
        assert!(!glob("am/create-new-user", "iam/create-new-user"));
        assert!(glob("", ""));
        assert!(!glob("", "x"));
    }

    #[test]
    fn a_star_stays_within_a_segment() {
        assert!(glob("iam/*", "iam/create-new-user"));
        assert!(glob("iam/*user*", "iam/create-new-user"));
        assert!(glob("*/get-mapping-fields", "mirroring/get-mapping-fields"));
        assert!(!glob("*", "iam/create-new-user"));
        assert!(!glob("iam*", "iam/x"));
        assert!(glob("iam/*", "iam/"));
    }

    #[test]
    fn a_double_star_crosses_segments() {
        assert!(glob("**", "iam/create-new-user"));
        assert!(glob("**user", "iam/create-new-user"));
        assert!(glob("mirroring**", "mirroring/a/b"));
        assert!(glob("**/broken-*", "iam/broken-crash"));
        assert!(glob("**/broken-*", "broken-crash"));
        assert!(glob("a/**/b", "a/b"));
        assert!(glob("a/**/b", "a/x/y/b"));
        assert!(!glob("a/**/b", "a/xb"));
        assert!(!glob("**/broken-*", "iam/not-broken-crash"));
    }

    #[test]
    fn a_question_mark_is_one_character_but_a_slash() {
        assert!(glob("iam/get-user-foun?", "iam/get-user-found"));
        assert!(!glob("iam?get-user-found", "iam/get-user-found"));
        assert!(!glob("?", ""));
        assert!(glob("é?", "éé"));
    }

    #[test]
    fn hostile_globs_stay_cheap() {
        let pattern = "*a".repeat(200);
        let name = "a".repeat(5_000) + "b";
        assert!(!glob(&pattern, &name));
        assert!(glob(&"**".repeat(500), &name));
    }
}
