//! The built-in vendors by [`VendorKind`]: [`create`] builds one.
//!
//! The registry sits above every vendor (it is the only module that
//! imports them all); a new vendor gets a [`VendorKind`] and an arm here.

use std::sync::Arc;

use crate::clock::Clock;
use crate::kit::vendor::{Vendor, VendorKind};
use crate::okta::{self, Okta};
use crate::servicenow::{self, ServiceNow};
use crate::stub_vendor::StubVendor;
use crate::xsoar::{self, Xsoar};

/// Why [`create`] could not build a vendor.
///
/// ```
/// use mock_vendors::Clock;
/// use mock_vendors::{create, CreateError, VendorKind};
///
/// let error = create(VendorKind::ServiceNow, Clock::default(), Some("no-colon".into())).err();
/// assert!(matches!(error, Some(CreateError::InvalidToken { vendor: VendorKind::ServiceNow, .. })));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CreateError {
    /// The credential given for the vendor does not have its form.
    #[error("invalid credentials for the {vendor} mock vendor: {reason}")]
    InvalidToken {
        /// The vendor.
        vendor: VendorKind,
        /// What form it expects.
        reason: &'static str,
    },
}

/// Builds a built-in vendor in its empty state.
///
/// `token` is the credential the vendor accepts; `None` picks the vendor's
/// default. For Okta it is the API token (default [`okta::DEFAULT_TOKEN`]);
/// for ServiceNow it is `user:password` (default
/// [`servicenow::DEFAULT_CREDENTIALS`]); for XSOAR the API key (default
/// [`xsoar::DEFAULT_API_KEY`]). The stub-only vendor takes none
/// (its stubs match on `Authorization` if they care).
///
/// # Errors
///
/// [`CreateError::InvalidToken`] for ServiceNow credentials without a
/// `user:` part, an empty XSOAR key, or any token for the stub-only vendor.
///
/// ```
/// use mock_vendors::Clock;
/// use mock_vendors::{create, VendorKind};
///
/// let okta = create(VendorKind::Okta, Clock::default(), None)?;
/// assert_eq!(okta.kind(), VendorKind::Okta);
/// let stub = create(VendorKind::Stub, Clock::default(), None)?;
/// assert_eq!(stub.dump(), serde_json::json!({}));
/// assert!(create(VendorKind::Stub, Clock::default(), Some("t0ken".into())).is_err());
/// # Ok::<(), mock_vendors::CreateError>(())
/// ```
pub fn create(
    kind: VendorKind,
    clock: Clock,
    token: Option<String>,
) -> Result<Arc<dyn Vendor>, CreateError> {
    match kind {
        VendorKind::Okta => {
            let token = token.unwrap_or_else(|| okta::DEFAULT_TOKEN.to_owned());
            Ok(Arc::new(Okta::new(clock, token)))
        }
        VendorKind::ServiceNow => {
            let credentials = token.unwrap_or_else(|| servicenow::DEFAULT_CREDENTIALS.to_owned());
            match credentials.split_once(':') {
                Some((user, _)) if !user.is_empty() => {
                    Ok(Arc::new(ServiceNow::new(clock, credentials)))
                }
                _ => Err(CreateError::InvalidToken {
                    vendor: kind,
                    reason: "expected user:password",
                }),
            }
        }
        VendorKind::Xsoar => match token {
            Some(key) if key.trim().is_empty() => Err(CreateError::InvalidToken {
                vendor: kind,
                reason: "expected a non-empty API key",
            }),
            key => Ok(Arc::new(Xsoar::new(
                clock,
                key.unwrap_or_else(|| xsoar::DEFAULT_API_KEY.to_owned()),
            ))),
        },
        // A silently ignored token would suggest the mock checks it.
        VendorKind::Stub => match token {
            None => Ok(Arc::new(StubVendor::new())),
            Some(_) => Err(CreateError::InvalidToken {
                vendor: kind,
                reason: "it takes none; match the Authorization header in a stub instead",
            }),
        },
    }
}
