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

/// An amount as whole cents: `"$1,100.04 "`, `1.100,04`, `€ 950`, `1100`.
pub fn parse(s: &str) -> Option<i64> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, '$' | '€' | '£' | ' ' | '\u{a0}' | '\''))
        .collect();
    let t = t
        .strip_suffix("USD")
        .or_else(|| t.strip_suffix("EUR"))
        .unwrap_or(&t);
    if t.is_empty() {
        return None;
    }
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let last_dot = t.rfind('.');
    let last_comma = t.rfind(',');
    let decimal = match (last_dot, last_comma) {
        (Some(d), Some(c)) => Some(d.max(c)),
        (Some(d), None) => (t.matches('.').count() == 1).then_some(d),
        (None, Some(c)) => (t.matches(',').count() == 1 && t.len() - c - 1 <= 2).then_some(c),
        (None, None) => None,
    };
    let (whole, frac) = match decimal {
        Some(i) => (&t[..i], &t[i + 1..]),
        None => (t, ""),
    };
    let whole: String = whole.chars().filter(|c| *c != ',' && *c != '.').collect();
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let units: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut cents_str: String = frac.chars().take(3).collect();
    while cents_str.len() < 3 {
        cents_str.push('0');
    }
    // Round half up on the third decimal.
    let milli: i64 = cents_str.parse().ok()?;
    let cents = units.checked_mul(100)?.checked_add((milli + 5) / 10)?;
    Some(if neg { -cents } else { cents })
}

/// An amount typed by a CSM, as whole cents: what `parse` reads, or a short form with
/// `k` or `M` (`85k`, `1.2M`, `$950`). Never negative.
pub fn parse_typed(s: &str) -> Option<i64> {
    let t = s.trim();
    let (number, scale) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1_000),
        Some((i, 'm' | 'M')) => (&t[..i], 1_000_000),
        _ => (t, 1),
    };
    let cents = parse(number)?.checked_mul(scale)?;
    (cents >= 0).then_some(cents)
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

    #[test]
    fn typed_amounts_take_short_forms() {
        for (typed, cents) in [
            ("85k", 8_500_000),
            ("1.2M", 120_000_000),
            ("$950", 95_000),
            (" 120,000 ", 12_000_000),
            ("1.100,50", 110_050),
        ] {
            assert_eq!(parse_typed(typed), Some(cents), "{typed}");
        }
        for bad in ["", "k", "-5", "abc", "12kk", "1e9"] {
            assert_eq!(parse_typed(bad), None, "{bad}");
        }
    }
}
