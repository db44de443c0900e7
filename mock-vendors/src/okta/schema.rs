//! `GET /api/v1/meta/schemas/user/default`: the default user profile schema.
//!
//! Mapping-field commands read `definitions.base.properties` (and `custom`)
//! and use each property's `title`, so those are what must look real.

use serde_json::{Map, Value, json};

/// Base profile properties: name, title, type. The first four are required.
const BASE_PROPERTIES: [(&str, &str, &str); 31] = [
    ("login", "Username", "string"),
    ("firstName", "First name", "string"),
    ("lastName", "Last name", "string"),
    ("email", "Primary email", "string"),
    ("middleName", "Middle name", "string"),
    ("honorificPrefix", "Honorific prefix", "string"),
    ("honorificSuffix", "Honorific suffix", "string"),
    ("title", "Title", "string"),
    ("displayName", "Display name", "string"),
    ("nickName", "Nickname", "string"),
    ("profileUrl", "Profile Url", "string"),
    ("secondEmail", "Secondary email", "string"),
    ("mobilePhone", "Mobile phone", "string"),
    ("primaryPhone", "Primary phone", "string"),
    ("streetAddress", "Street address", "string"),
    ("city", "City", "string"),
    ("state", "State", "string"),
    ("zipCode", "Zip code", "string"),
    ("countryCode", "Country code", "string"),
    ("postalAddress", "Postal Address", "string"),
    ("preferredLanguage", "Preferred language", "string"),
    ("locale", "Locale", "string"),
    ("timezone", "Time zone", "string"),
    ("userType", "User type", "string"),
    ("employeeNumber", "Employee number", "string"),
    ("costCenter", "Cost center", "string"),
    ("organization", "Organization", "string"),
    ("division", "Division", "string"),
    ("department", "Department", "string"),
    ("managerId", "ManagerId", "string"),
    ("manager", "Manager", "string"),
];

const REQUIRED: [&str; 4] = ["login", "firstName", "lastName", "email"];

/// The schema document; `base` is the scheme and authority of the request.
pub(crate) fn default_user_schema(base: &str, created: &str) -> Value {
    let mut properties = Map::new();
    for (name, title, kind) in BASE_PROPERTIES {
        let mut property = json!({
            "title": title,
            "type": kind,
            "required": REQUIRED.contains(&name),
            "mutability": "READ_WRITE",
            "scope": "NONE",
            "permissions": [{"principal": "SELF", "action": "READ_WRITE"}],
            "master": {"type": "PROFILE_MASTER"},
        });
        let extra = match name {
            "login" => json!({"minLength": 5, "maxLength": 100, "unique": "UNIQUE_VALIDATED"}),
            "firstName" | "lastName" => json!({"minLength": 1, "maxLength": 50}),
            "email" | "secondEmail" => json!({"format": "email"}),
            "profileUrl" => json!({"format": "uri"}),
            _ => json!({}),
        };
        if let (Some(property), Value::Object(extra)) = (property.as_object_mut(), extra) {
            property.extend(extra);
        }
        properties.insert(name.to_owned(), property);
    }
    json!({
        "id": format!("{base}/meta/schemas/user/default"),
        "$schema": "http://json-schema.org/draft-04/schema#",
        "name": "user",
        "title": "Default Okta User",
        "description": "Okta user profile template",
        "created": created,
        "lastUpdated": created,
        "type": "object",
        "definitions": {
            "custom": {
                "id": "#custom",
                "type": "object",
                "properties": {},
                "required": [],
            },
            "base": {
                "id": "#base",
                "type": "object",
                "properties": properties,
                "required": REQUIRED,
            },
        },
        "properties": {
            "profile": {
                "allOf": [
                    {"$ref": "#/definitions/custom"},
                    {"$ref": "#/definitions/base"},
                ],
            },
        },
        "_links": {
            "self": {"href": format!("{base}/api/v1/meta/schemas/user/default"), "method": "GET"},
        },
    })
}
