//! The relationship grid: personas placed by strength (rows) against sentiment
//! (columns), each cell graded from danger (cold and negative) to strength (very good
//! and positive).

use super::model::{Sentiment, Strength};

/// Rows top to bottom: the strongest ties first, so "good" sits top right.
pub const ROWS: [Strength; 4] = [
    Strength::VeryGood,
    Strength::Okay,
    Strength::Weak,
    Strength::None,
];

/// Columns left to right.
pub const COLUMNS: [Sentiment; 3] = [Sentiment::Negative, Sentiment::Neutral, Sentiment::Positive];

/// How healthy a cell is, from the worst to the best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shade {
    Danger,
    Concern,
    Neutral,
    Good,
    Strong,
}

impl Shade {
    /// A glyph that carries the grade where color is not available (NO_COLOR).
    pub fn glyph(self) -> &'static str {
        match self {
            Shade::Danger => "!!",
            Shade::Concern => "! ",
            Shade::Neutral => "· ",
            Shade::Good => "+ ",
            Shade::Strong => "++",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Shade::Danger => "danger",
            Shade::Concern => "concern",
            Shade::Neutral => "neutral",
            Shade::Good => "good",
            Shade::Strong => "strong",
        }
    }
}

/// The grade of a cell: a score from the strength (0–3) and the sentiment (-1, 0, +1,
/// weighted double because a negative voice outweighs a warm one).
pub fn shade(strength: Strength, sentiment: Sentiment) -> Shade {
    let s = match strength {
        Strength::None => 0,
        Strength::Weak => 1,
        Strength::Okay => 2,
        Strength::VeryGood => 3,
    };
    let f = match sentiment {
        Sentiment::Negative => -2,
        Sentiment::Neutral => 0,
        Sentiment::Positive => 2,
    };
    match s + f {
        i32::MIN..=-1 => Shade::Danger,
        0..=1 => Shade::Concern,
        2 => Shade::Neutral,
        3..=4 => Shade::Good,
        _ => Shade::Strong,
    }
}

/// The (row, column) of a persona in the grid.
pub fn cell_of(strength: Strength, sentiment: Sentiment) -> (usize, usize) {
    let row = ROWS.iter().position(|s| *s == strength).unwrap_or(0);
    let col = COLUMNS.iter().position(|s| *s == sentiment).unwrap_or(0);
    (row, col)
}

/// Items placed into the 4×3 grid, in their given order within each cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid<T> {
    pub cells: [[Vec<T>; 3]; 4],
}

impl<T: Clone> Grid<T> {
    pub fn place(items: impl IntoIterator<Item = (Strength, Sentiment, T)>) -> Grid<T> {
        let mut cells: [[Vec<T>; 3]; 4] = Default::default();
        for (strength, sentiment, item) in items {
            let (r, c) = cell_of(strength, sentiment);
            cells[r][c].push(item);
        }
        Grid { cells }
    }
}

/// One step up or down the four strength levels, staying within them.
pub fn step_strength(s: Strength, up: bool) -> Strength {
    let i = Strength::ALL.iter().position(|x| *x == s).unwrap_or(0);
    let j = if up {
        (i + 1).min(Strength::ALL.len() - 1)
    } else {
        i.saturating_sub(1)
    };
    Strength::ALL[j]
}

/// One step toward positive or negative, staying within the three levels.
pub fn step_sentiment(s: Sentiment, up: bool) -> Sentiment {
    let i = Sentiment::ALL.iter().position(|x| *x == s).unwrap_or(0);
    let j = if up {
        (i + 1).min(Sentiment::ALL.len() - 1)
    } else {
        i.saturating_sub(1)
    };
    Sentiment::ALL[j]
}

#[cfg(test)]
mod tests {
    use super::*;
    use Sentiment::*;
    use Strength::{None as NoTie, *};

    #[test]
    fn placement_puts_strong_positive_top_right_and_cold_negative_bottom_left() {
        assert_eq!(cell_of(VeryGood, Positive), (0, 2));
        assert_eq!(cell_of(NoTie, Negative), (3, 0));
        assert_eq!(cell_of(Okay, Neutral), (1, 1));
        let g = Grid::place([
            (Weak, Negative, "Dana"),
            (VeryGood, Positive, "Sam"),
            (Weak, Negative, "Lee"),
        ]);
        assert_eq!(g.cells[2][0], vec!["Dana", "Lee"]);
        assert_eq!(g.cells[0][2], vec!["Sam"]);
        let total: usize = g.cells.iter().flatten().map(Vec::len).sum();
        assert_eq!(total, 3);
    }

    #[test]
    fn shading_runs_from_danger_to_strength() {
        let table = [
            (NoTie, Negative, Shade::Danger),
            (Okay, Negative, Shade::Concern),
            (VeryGood, Negative, Shade::Concern),
            (NoTie, Neutral, Shade::Concern),
            (Okay, Neutral, Shade::Neutral),
            (VeryGood, Neutral, Shade::Good),
            (NoTie, Positive, Shade::Neutral),
            (Okay, Positive, Shade::Good),
            (VeryGood, Positive, Shade::Strong),
        ];
        for (st, se, want) in table {
            assert_eq!(shade(st, se), want, "{st:?} {se:?}");
        }
        // Monotone: more strength or better sentiment never grades worse.
        for pair in ROWS.windows(2) {
            for col in COLUMNS {
                assert!(shade(pair[0], col) >= shade(pair[1], col));
            }
            for cols in COLUMNS.windows(2) {
                assert!(shade(pair[0], cols[1]) >= shade(pair[0], cols[0]));
            }
        }
    }

    #[test]
    fn steps_stay_within_the_levels() {
        assert_eq!(step_strength(VeryGood, true), VeryGood);
        assert_eq!(step_strength(NoTie, false), NoTie);
        assert_eq!(step_strength(Weak, true), Okay);
        assert_eq!(step_sentiment(Positive, true), Positive);
        assert_eq!(step_sentiment(Neutral, false), Negative);
    }
}
