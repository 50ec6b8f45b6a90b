//! The clock is a parameter: production reads the system time, tests pin it.

use chrono::{DateTime, Local, NaiveDate, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// The CSM's calendar day, which is what due dates and renewals are compared with.
    fn today(&self) -> NaiveDate;
}

/// The machine's clock, with "today" in the local time zone.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn today(&self) -> NaiveDate {
        Local::now().date_naive()
    }
}

/// A clock that always says the same time; for tests and reproducible demos.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl FixedClock {
    /// Noon UTC on the given day.
    pub fn on(day: NaiveDate) -> FixedClock {
        FixedClock(day.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc())
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }

    fn today(&self) -> NaiveDate {
        self.0.date_naive()
    }
}
