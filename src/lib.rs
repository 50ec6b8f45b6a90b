//! attuned: a terminal workstation for Customer Success Managers.
//!
//! Layers: `domain` (pure rules), `store` (all SQL), `ui` (screens), `cli` (commands).

pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod export;
pub mod fsx;
pub mod import;
pub mod json_id;
pub mod progress;
pub mod report;
pub mod store;
pub mod ui;

pub use error::{Error, Result};
