//! Who is calling: Basic credentials, or an OAuth bearer token from
//! `POST /oauth_token.do` (password and refresh-token grants), expiring on
//! the virtual clock.

use serde_json::{Value, json};
use wiremock::Request;

use super::encoding::{base64_decode, form_decode};
use super::errors::ServiceNowError;
use crate::prng::Prng;

/// Seconds an access token lives (`expires_in`), as the instance's default.
pub(crate) const ACCESS_TOKEN_SECONDS: i64 = 1_799;

/// Seconds a refresh token lives (100 days, the instance's default).
pub(crate) const REFRESH_TOKEN_SECONDS: i64 = 8_640_000;

/// Seed of the token stream; fixed so tokens repeat from run to run.
const TOKEN_SEED: u64 = 0x004F_4155_5448; // "OAUTH"

/// The API user's name and password (`user:password`).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) user_name: String,
    password: String,
}

impl Credentials {
    /// Splits `user:password` at the first colon; without one, the whole
    /// text is the user name and the password is empty.
    pub(crate) fn parse(text: &str) -> Credentials {
        let (user_name, password) = text.split_once(':').unwrap_or((text, ""));
        Credentials {
            user_name: user_name.to_owned(),
            password: password.to_owned(),
        }
    }

    /// User names ignore ASCII case, passwords do not.
    fn accepts(&self, user_name: &str, password: &str) -> bool {
        self.user_name.eq_ignore_ascii_case(user_name) && self.password == password
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password stays out of debug output.
        f.debug_struct("Credentials")
            .field("user_name", &self.user_name)
            .finish_non_exhaustive()
    }
}

/// The OAuth application clients must name in token requests.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct OAuthClient {
    pub(crate) id: String,
    pub(crate) secret: String,
}

/// One issued token.
#[derive(Clone, Debug)]
struct Token {
    value: String,
    user_name: String,
    /// Epoch millis.
    expires_at: i64,
}

/// Issued access and refresh tokens.
#[derive(Clone, Debug)]
pub(crate) struct Sessions {
    access: Vec<Token>,
    refresh: Vec<Token>,
    tokens: Prng,
}

/// A token request the endpoint refuses, in OAuth's own error shape
/// (`{"error", "error_description"}`), not the Table API's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OAuthError {
    /// 401: wrong client, user, password or refresh token.
    #[error("access_denied")]
    AccessDenied,
    /// 400: a grant type other than `password` and `refresh_token`.
    #[error("unsupported grant type {0:?}")]
    UnsupportedGrantType(String),
}

impl OAuthError {
    pub(crate) fn status(&self) -> u16 {
        match self {
            OAuthError::AccessDenied => 401,
            OAuthError::UnsupportedGrantType(_) => 400,
        }
    }

    pub(crate) fn body(&self) -> Value {
        match self {
            OAuthError::AccessDenied => {
                json!({"error_description": "access_denied", "error": "server_error"})
            }
            OAuthError::UnsupportedGrantType(_) => {
                json!({"error_description": self.to_string(), "error": "unsupported_grant_type"})
            }
        }
    }
}

impl Sessions {
    pub(crate) fn new() -> Self {
        Self {
            access: Vec::new(),
            refresh: Vec::new(),
            tokens: Prng::new(TOKEN_SEED),
        }
    }

    /// The user behind `Authorization: Basic …` or `Bearer …`, or 401.
    pub(crate) fn authenticate(
        &self,
        request: &Request,
        credentials: &Credentials,
        now: i64,
    ) -> Result<String, ServiceNowError> {
        let header = request
            .headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .ok_or(ServiceNowError::NotAuthenticated)?;
        let (scheme, value) = header
            .trim()
            .split_once(' ')
            .ok_or(ServiceNowError::NotAuthenticated)?;
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64_decode(value).ok_or(ServiceNowError::NotAuthenticated)?;
            let decoded =
                String::from_utf8(decoded).map_err(|_| ServiceNowError::NotAuthenticated)?;
            let (user_name, password) = decoded
                .split_once(':')
                .ok_or(ServiceNowError::NotAuthenticated)?;
            if credentials.accepts(user_name, password) {
                return Ok(credentials.user_name.clone());
            }
        } else if scheme.eq_ignore_ascii_case("bearer") {
            let value = value.trim();
            if let Some(token) = self
                .access
                .iter()
                .find(|token| token.value == value && token.expires_at > now)
            {
                return Ok(token.user_name.clone());
            }
        }
        Err(ServiceNowError::NotAuthenticated)
    }

    /// `POST /oauth_token.do` with a form body.
    pub(crate) fn grant(
        &mut self,
        body: &[u8],
        credentials: &Credentials,
        client: &OAuthClient,
        now: i64,
    ) -> Result<Value, OAuthError> {
        let form = form_decode(body);
        let field = |name: &str| {
            form.iter()
                .find(|(key, _)| key == name)
                .map_or("", |(_, value)| value.as_str())
        };
        let client_ok = field("client_id") == client.id && field("client_secret") == client.secret;
        let grant_type = field("grant_type");
        let (user_name, refresh_token) = match grant_type {
            "password" => {
                if !client_ok || !credentials.accepts(field("username"), field("password")) {
                    return Err(OAuthError::AccessDenied);
                }
                let refresh = self.issue(credentials.user_name.clone(), now, REFRESH_TOKEN_SECONDS);
                self.refresh.push(refresh.clone());
                (credentials.user_name.clone(), refresh.value)
            }
            "refresh_token" => {
                let presented = field("refresh_token");
                let refresh = self
                    .refresh
                    .iter()
                    .find(|token| token.value == presented && token.expires_at > now)
                    .filter(|_| client_ok)
                    .ok_or(OAuthError::AccessDenied)?;
                (refresh.user_name.clone(), refresh.value.clone())
            }
            other => return Err(OAuthError::UnsupportedGrantType(other.to_owned())),
        };
        let access = self.issue(user_name, now, ACCESS_TOKEN_SECONDS);
        self.access.push(access.clone());
        Ok(json!({
            "access_token": access.value,
            "refresh_token": refresh_token,
            "scope": "useraccount",
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_SECONDS,
        }))
    }

    fn issue(&mut self, user_name: String, now: i64, seconds: i64) -> Token {
        Token {
            value: self.tokens.alphanumeric(86),
            user_name,
            expires_at: now.saturating_add(seconds.saturating_mul(1_000)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::http::{HeaderMap, Method, Url};

    fn request(authorization: Option<&str>) -> Result<Request, Box<dyn std::error::Error>> {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert("authorization", value.parse()?);
        }
        Ok(Request {
            url: Url::parse("http://sn.test/api/now/table/incident")?,
            method: Method::GET,
            headers,
            body: Vec::new(),
        })
    }

    fn client() -> OAuthClient {
        OAuthClient {
            id: "id".into(),
            secret: "secret".into(),
        }
    }

    #[test]
    fn basic_credentials() -> Result<(), Box<dyn std::error::Error>> {
        let sessions = Sessions::new();
        let credentials = Credentials::parse("harness:harness-password");
        // harness:harness-password, then HARNESS:harness-password
        let good = request(Some("Basic aGFybmVzczpoYXJuZXNzLXBhc3N3b3Jk"))?;
        assert_eq!(
            sessions.authenticate(&good, &credentials, 0),
            Ok("harness".into())
        );
        let upper = request(Some("basic SEFSTkVTUzpoYXJuZXNzLXBhc3N3b3Jk"))?;
        assert_eq!(
            sessions.authenticate(&upper, &credentials, 0),
            Ok("harness".into())
        );
        for bad in [
            None,
            Some("Basic aGFybmVzczp3cm9uZw=="),
            Some("Basic !!"),
            Some("Basic"),
            Some("SSWS x"),
        ] {
            assert_eq!(
                sessions.authenticate(&request(bad)?, &credentials, 0),
                Err(ServiceNowError::NotAuthenticated),
                "{bad:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn password_then_refresh_then_expiry() -> Result<(), Box<dyn std::error::Error>> {
        let mut sessions = Sessions::new();
        let credentials = Credentials::parse("harness:pw");
        let form =
            b"grant_type=password&client_id=id&client_secret=secret&username=harness&password=pw";
        let granted = sessions.grant(form, &credentials, &client(), 0)?;
        assert_eq!(granted["token_type"], "Bearer");
        assert_eq!(granted["expires_in"], ACCESS_TOKEN_SECONDS);
        let access = granted["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let refresh = granted["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let bearer = request(Some(&format!("Bearer {access}")))?;
        assert_eq!(
            sessions.authenticate(&bearer, &credentials, 1_000),
            Ok("harness".into())
        );
        let expired = ACCESS_TOKEN_SECONDS * 1_000;
        assert!(
            sessions
                .authenticate(&bearer, &credentials, expired)
                .is_err()
        );

        let form = format!(
            "grant_type=refresh_token&client_id=id&client_secret=secret&refresh_token={refresh}"
        );
        let renewed = sessions.grant(form.as_bytes(), &credentials, &client(), expired)?;
        assert_eq!(renewed["refresh_token"], refresh.as_str());
        assert_ne!(renewed["access_token"], access.as_str());
        Ok(())
    }

    #[test]
    fn refused_grants() {
        let mut sessions = Sessions::new();
        let credentials = Credentials::parse("harness:pw");
        let cases: [(&[u8], OAuthError); 4] = [
            (
                b"grant_type=password&client_id=id&client_secret=secret&username=harness&password=no",
                OAuthError::AccessDenied,
            ),
            (
                b"grant_type=password&client_id=id&client_secret=nope&username=harness&password=pw",
                OAuthError::AccessDenied,
            ),
            (
                b"grant_type=refresh_token&client_id=id&client_secret=secret&refresh_token=x",
                OAuthError::AccessDenied,
            ),
            (b"grant_type=client_credentials", OAuthError::UnsupportedGrantType("client_credentials".into())),
        ];
        for (form, expected) in cases {
            assert_eq!(
                sessions.grant(form, &credentials, &client(), 0),
                Err(expected)
            );
        }
        assert_eq!(OAuthError::AccessDenied.status(), 401);
        assert_eq!(OAuthError::AccessDenied.body()["error"], "server_error");
    }
}
