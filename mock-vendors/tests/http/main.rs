//! Real HTTP against started mock vendors.

mod admin;
mod broken;
mod cli;
mod faults;
mod lifecycle;
mod limits;
mod listing;
mod servicenow_admin;
mod servicenow_attachments;
mod servicenow_auth;
mod servicenow_journal;
mod servicenow_query;
mod servicenow_support;
mod servicenow_table;
mod stubs;
mod support;
mod users;
mod xsoar;
mod xsoar_war_room;
