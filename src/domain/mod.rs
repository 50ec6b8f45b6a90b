//! Pure rules of the product: no SQL, no terminal, the clock passed in.

pub mod audit;
pub mod checklist;
pub mod clock;
pub mod completeness;
pub mod coverage;
pub mod criteria;
pub mod grid;
pub mod kpi;
pub mod limits;
pub mod model;
pub mod money;
pub mod outcome;
pub mod phrasing;
pub mod pilot;
pub mod pilot_report;
pub mod prompts;
pub mod risk;
pub mod roles;
pub mod scenarios;
pub mod tagging;
pub mod text;

pub use clock::{Clock, FixedClock, SystemClock};
