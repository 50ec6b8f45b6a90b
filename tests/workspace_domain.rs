//! Domain rules behind the workspace: coverage findings as a CSM reads them, and where
//! personas land in the relationship grid.

use attuned::domain::coverage::{Finding, PersonaTie, findings};
use attuned::domain::grid::{self, Grid, Shade};
use attuned::domain::model::{Role, Sentiment, Strength};

fn tie(role: Role, strength: Strength, sentiment: Sentiment, contacted: bool) -> PersonaTie {
    PersonaTie {
        role,
        strength,
        sentiment,
        contacted,
    }
}

#[test]
fn coverage_findings_spell_out_each_gap() {
    use Role::*;
    use Sentiment::*;
    use Strength::{None as NoTie, *};
    let sponsor = tie(ExecutiveSponsor, Okay, Positive, true);
    let buyer = tie(EconomicBuyer, VeryGood, Positive, true);
    let champion = tie(Champion, VeryGood, Positive, true);
    let cases: Vec<(&str, Vec<PersonaTie>, Vec<Finding>)> = vec![
        ("all good", vec![sponsor, buyer, champion], vec![]),
        (
            "champion gone (archived: no longer among the ties)",
            vec![sponsor, buyer],
            vec![Finding::MissingRole(Champion)],
        ),
        (
            "champion negative",
            vec![sponsor, buyer, tie(Champion, VeryGood, Negative, true)],
            vec![Finding::NegativeKeyPersona(Champion)],
        ),
        (
            "no strong tie to the economic buyer, single-threaded",
            vec![
                tie(ExecutiveSponsor, Weak, Positive, true),
                tie(EconomicBuyer, Weak, Neutral, true),
                champion,
            ],
            vec![Finding::NoStrongTie(EconomicBuyer), Finding::SingleThreaded],
        ),
        (
            "executive sponsor never contacted",
            vec![
                tie(ExecutiveSponsor, NoTie, Neutral, false),
                buyer,
                champion,
            ],
            vec![Finding::ExecutiveSponsorNeverContacted],
        ),
        (
            "a negative decision maker has influence however close",
            vec![
                sponsor,
                buyer,
                champion,
                tie(DecisionMaker, VeryGood, Negative, true),
            ],
            vec![Finding::InfluentialDetractor],
        ),
        (
            "a detractor the CSM can reach is not flagged as influential",
            vec![
                sponsor,
                buyer,
                champion,
                tie(Detractor, Okay, Negative, true),
            ],
            vec![],
        ),
    ];
    for (name, ties, want) in cases {
        assert_eq!(findings(&ties), want, "case: {name}");
    }
    assert_eq!(
        Finding::NoStrongTie(EconomicBuyer).describe(),
        "No strong tie to the economic buyer"
    );
}

#[test]
fn every_combination_has_one_cell_and_a_grade() {
    let mut seen = std::collections::HashSet::new();
    for s in Strength::ALL {
        for f in Sentiment::ALL {
            let (r, c) = grid::cell_of(*s, *f);
            assert!(r < 4 && c < 3);
            assert!(seen.insert((r, c)), "{s:?} {f:?} shares a cell");
        }
    }
    assert_eq!(seen.len(), 12);
    assert_eq!(
        grid::shade(Strength::None, Sentiment::Negative),
        Shade::Danger
    );
    assert_eq!(
        grid::shade(Strength::VeryGood, Sentiment::Positive),
        Shade::Strong
    );
    let placed = Grid::place([
        (Strength::Okay, Sentiment::Positive, 1),
        (Strength::Okay, Sentiment::Positive, 2),
        (Strength::None, Sentiment::Neutral, 3),
    ]);
    assert_eq!(placed.cells[1][2], vec![1, 2]);
    assert_eq!(placed.cells[3][1], vec![3]);
    // Glyphs are distinct, so the grade reads without color.
    let glyphs: std::collections::HashSet<&str> = [
        Shade::Danger,
        Shade::Concern,
        Shade::Neutral,
        Shade::Good,
        Shade::Strong,
    ]
    .iter()
    .map(|s| s.glyph())
    .collect();
    assert_eq!(glyphs.len(), 5);
}
