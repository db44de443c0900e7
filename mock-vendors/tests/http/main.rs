//! Real HTTP against started mock vendors.

mod admin;
mod faults;
mod lifecycle;
mod listing;
mod support;
mod users;
