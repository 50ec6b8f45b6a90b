//! Contract values are whole cents in storage and compact dollars on screen.

/// "$1.2M", "$85k", "$950": short enough for a table column.
pub fn compact(cents: i64) -> String {
    let dollars = cents as f64 / 100.0;
    let abs = dollars.abs();
    let sign = if dollars < 0.0 { "-" } else { "" };
    if abs >= 1_000_000_000.0 {
        format!("{sign}${:.1}B", abs / 1_000_000_000.0)
    } else if abs >= 1_000_000.0 {
        format!("{sign}${:.1}M", abs / 1_000_000.0)
    } else if abs >= 10_000.0 {
        format!("{sign}${:.0}k", abs / 1_000.0)
    } else if abs >= 1_000.0 {
        format!("{sign}${:.1}k", abs / 1_000.0)
    } else {
        format!("{sign}${abs:.0}")
    }
}

/// "$1,234,567": the full amount, for detail screens.
pub fn full(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}${}", grouped((cents / 100).unsigned_abs()))
}

/// "1,234,567": digits in groups of three.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_full_amounts() {
        let table = [
            (0, "$0", "$0"),
            (95_000, "$950", "$950"),
            (123_400, "$1.2k", "$1,234"),
            (8_500_000, "$85k", "$85,000"),
            (123_456_700, "$1.2M", "$1,234,567"),
            (250_000_000_000, "$2.5B", "$2,500,000,000"),
        ];
        for (cents, short, long) in table {
            assert_eq!(compact(cents), short);
            assert_eq!(full(cents), long);
        }
    }
}
