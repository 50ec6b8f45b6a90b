//! The clock is a parameter: production reads the system time, tests pin it.
//!
//! Ages are counted in the CSM's calendar days, one way everywhere ([`days_since`]): a
//! touch of yesterday 23:50 is "1 day" old at 00:10, not "today" because fewer than 24
//! hours passed, and two touches of the same day always read the same age.

use chrono::{DateTime, Local, NaiveDate, TimeZone, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// The CSM's calendar day, which is what due dates, renewals and ages are counted
    /// from: the day `now` falls on where the CSM is, for every clock.
    fn today(&self) -> NaiveDate {
        local_day(self.now())
    }
}

/// The machine's clock, with "today" in the local time zone.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that always says the same time; for tests and reproducible demos.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl FixedClock {
    /// Noon UTC on the given day (the same calendar day from UTC−11 to UTC+11).
    pub fn on(day: NaiveDate) -> FixedClock {
        FixedClock(day.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc())
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// The calendar day `t` falls on where the CSM is (the machine's time zone).
pub fn local_day(t: DateTime<Utc>) -> NaiveDate {
    day_in(t, &Local)
}

/// The calendar day `t` falls on in `zone`.
pub fn day_in<Tz: TimeZone>(t: DateTime<Utc>, zone: &Tz) -> NaiveDate {
    t.with_timezone(zone).date_naive()
}

/// The age of `t` on `today` (the clock's day) in the CSM's calendar days: 0 the same
/// day, 1 the day before, whatever the hours. The one age of the app.
pub fn days_since(t: DateTime<Utc>, today: NaiveDate) -> i64 {
    days_since_in(t, today, &Local)
}

/// [`days_since`] where the CSM's calendar is `zone`.
pub fn days_since_in<Tz: TimeZone>(t: DateTime<Utc>, today: NaiveDate, zone: &Tz) -> i64 {
    (today - day_in(t, zone)).num_days()
}

/// The first instant of `day` where the CSM is (the earlier one if a clock change
/// repeats midnight; the first instant after a gap if it skips it).
pub fn start_of_local_day(day: NaiveDate) -> DateTime<Utc> {
    start_of_day_in(day, &Local)
}

/// [`start_of_local_day`] in `zone`.
pub fn start_of_day_in<Tz: TimeZone>(day: NaiveDate, zone: &Tz) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    // A midnight skipped by a clock change: the zone's day starts an hour later.
    (0..=2)
        .find_map(|h| {
            (midnight + chrono::Duration::hours(h))
                .and_local_timezone(zone.clone())
                .earliest()
        })
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

/// An age in days as words: "today", "1 day ago", "12 days ago".
pub fn ago_words(days: i64) -> String {
    match days {
        0 => "today".into(),
        d if d < 0 => format!("in {}", super::text::count_of(-d, "day")),
        d => format!("{} ago", super::text::count_of(d, "day")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// Two touches of the same local day have the same age, though one is more than
    /// 24 hours older than the other and they fall on two UTC days.
    #[test]
    fn ages_are_calendar_days_where_the_csm_is() {
        let paris = FixedOffset::east_opt(3600).unwrap();
        let today = d("2026-12-03");
        // 2026-11-28 00:30 and 23:30 in Paris (UTC+1): 23:30 UTC the day before, and
        // 22:30 UTC the same day.
        let early = at("2026-11-27T23:30:00Z");
        let late = at("2026-11-28T22:30:00Z");
        assert_eq!(days_since_in(early, today, &paris), 5);
        assert_eq!(days_since_in(late, today, &paris), 5);
        // In UTC they are two days apart.
        assert_eq!(days_since_in(early, today, &Utc), 6);
        // 10 minutes before local midnight, seen 20 minutes after it: 1 day, not 0.
        let tokyo = FixedOffset::east_opt(9 * 3600).unwrap();
        let t = at("2026-12-02T14:50:00Z"); // 23:50 in Tokyo
        let now = at("2026-12-02T15:10:00Z"); // 00:10 the 3rd in Tokyo
        assert_eq!(days_since_in(t, day_in(now, &tokyo), &tokyo), 1);
        assert_eq!((now - t).num_days(), 0, "what 24-hour periods said");
    }

    #[test]
    fn a_local_day_starts_at_local_midnight() {
        let ny = FixedOffset::west_opt(5 * 3600).unwrap();
        assert_eq!(
            start_of_day_in(d("2026-12-03"), &ny),
            at("2026-12-03T05:00:00Z")
        );
        assert_eq!(
            start_of_day_in(d("2026-12-03"), &Utc),
            at("2026-12-03T00:00:00Z")
        );
    }

    #[test]
    fn ages_read_as_words() {
        assert_eq!(ago_words(0), "today");
        assert_eq!(ago_words(1), "1 day ago");
        assert_eq!(ago_words(5), "5 days ago");
        assert_eq!(ago_words(-2), "in 2 days");
    }

    #[test]
    fn every_clock_has_today_where_its_now_is() {
        let c = FixedClock::on(d("2026-11-23"));
        assert_eq!(c.today(), local_day(c.now()));
        assert_eq!(SystemClock.today(), local_day(SystemClock.now()));
    }
}
