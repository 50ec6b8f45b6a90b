//! A persona's role guessed from their job title, for contacts imported without a role.
//!
//! A title is folded (lowercase, accents dropped, `ß` → `ss`) and cut into words at
//! anything that is not a letter or digit, so `IT-Leiter`, `Directeur financier` and
//! `VP, Finance & Ops` all read as plain words. The rules below are tried in order, most
//! specific first, and the first that fits wins: a rule fits when each of its groups has
//! a word of the title (in any order; `x*` matches any word starting with `x`). A title
//! that fits none keeps no role (the persona stays "Other"). Titles never make a champion
//! or a detractor: those are the CSM's call.

use crate::domain::model::Role;

/// Words that lead a team, in English, French, German and Spanish.
const LEADS: &[&str] = &[
    "head",
    "director",
    "directeur",
    "directrice",
    "directora",
    "direktor*",
    "vp",
    "svp",
    "evp",
    "vice",
    "chief",
    "lead",
    "leader",
    "jefe",
    "jefa",
    "gerente",
    "responsable",
    "leiter*",
    "chef",
];

/// Leaders, and managers too (an IT or operations manager runs the tool day to day).
const LEADS_OR_MANAGERS: &[&str] = &[
    "head",
    "director",
    "directeur",
    "directrice",
    "directora",
    "direktor*",
    "lead",
    "leader",
    "jefe",
    "jefa",
    "gerente",
    "responsable",
    "leiter*",
    "chef",
    "manager",
    "managerin",
];

const FINANCE: &[&str] = &["financ*", "finanz*"];
const PROCUREMENT: &[&str] = &[
    "procurement",
    "purchasing",
    "einkauf*",
    "beschaffung*",
    "achat*",
    "compras",
    "adquisiciones",
    "aprovisionamiento",
];
const DIRECTORS: &[&str] = &[
    "director",
    "directora",
    "directeur",
    "directrice",
    "direktor*",
];

/// What a rule gives: a role, or no guess at all (e.g. an assistant to a CFO).
type Rule = (&'static [&'static [&'static str]], Option<Role>);

use Role::{Admin, DecisionMaker, EconomicBuyer, EndUser, ExecutiveSponsor, TechnicalLead};

const RULES: &[Rule] = &[
    // Someone working for a leader is not that leader.
    (
        &[&[
            "assistant*",
            "assistent*",
            "asistente",
            "intern",
            "trainee",
            "stagiaire",
            "praktikant*",
            "becari*",
        ]],
        None,
    ),
    // The economic buyer: who holds the budget.
    (
        &[&[
            "cfo",
            "daf",
            "controller",
            "comptroller",
            "contralor",
            "treasurer",
            "tresorier",
            "tesorero",
            "finanzvorstand",
            "finanzleiter*",
            "finanzdirektor*",
            "finanzchef*",
            "einkaufsleiter*",
            "einkaufsdirektor*",
            "einkaufschef*",
        ]],
        Some(EconomicBuyer),
    ),
    (&[FINANCE, LEADS], Some(EconomicBuyer)),
    (&[PROCUREMENT, LEADS], Some(EconomicBuyer)),
    (
        &[&["controleur"], &["gestion", "financ*"]],
        Some(EconomicBuyer),
    ),
    (
        &[
            &["kaufmannisch*", "kaufmaennisch*"],
            &["leiter*", "direktor*", "vorstand"],
        ],
        Some(EconomicBuyer),
    ),
    // Technical leaders, before the C-level rule below takes every "chief".
    (&[&["cto", "cio", "ciso", "dsi"]], Some(TechnicalLead)),
    (
        &[
            &["chief", "directeur", "directrice"],
            &[
                "technology",
                "technical",
                "technique",
                "information",
                "systemes",
                "digital",
            ],
        ],
        Some(TechnicalLead),
    ),
    (
        &[
            &["technisch*", "tecnico", "tecnica", "tecnologia"],
            &[
                "leiter*",
                "direktor*",
                "director",
                "directora",
                "geschaftsfuhrer*",
                "jefe",
                "jefa",
            ],
        ],
        Some(TechnicalLead),
    ),
    // The executive sponsor: the top of the company or of a division.
    (
        &[&[
            "ceo",
            "coo",
            "pdg",
            "dg",
            "svp",
            "evp",
            "vp",
            "president*",
            "presidente",
            "vicepresident*",
            "vizeprasident*",
            "vizepraesident*",
            "founder",
            "cofounder",
            "fondateur",
            "fondatrice",
            "fundador*",
            "grunder*",
            "gruender*",
            "geschaftsfuhrer*",
            "geschaeftsfuehrer*",
            "generaldirektor*",
            "vorstand*",
            "inhaber*",
            "gerant",
            "gerante",
        ]],
        Some(ExecutiveSponsor),
    ),
    (
        &[&["chief"], &["officer", "executive"]],
        Some(ExecutiveSponsor),
    ),
    (&[&["managing"], &["director"]], Some(ExecutiveSponsor)),
    (
        &[DIRECTORS, &["general", "generale", "generaldirektor*"]],
        Some(ExecutiveSponsor),
    ),
    (
        &[&["general", "gerente"], &["manager", "general"]],
        Some(ExecutiveSponsor),
    ),
    (
        &[&["consejero"], &["delegado", "delegada"]],
        Some(ExecutiveSponsor),
    ),
    // Technical leads below the C-level.
    (
        &[&["architect*", "architekt*", "arquitect*", "techlead"]],
        Some(TechnicalLead),
    ),
    (
        &[
            &[
                "engineering",
                "ingenierie",
                "ingenieria",
                "entwicklung",
                "desarrollo",
            ],
            LEADS,
        ],
        Some(TechnicalLead),
    ),
    (
        &[&["tech", "technical"], &["lead", "leader"]],
        Some(TechnicalLead),
    ),
    // The admin: who runs the tool and the systems around it day to day.
    (
        &[&[
            "admin*",
            "sysadmin*",
            "systemadministrator*",
            "itleiter*",
            "edvleiter*",
        ]],
        Some(Admin),
    ),
    (
        &[
            &[
                "it",
                "edv",
                "informatique",
                "informatica",
                "informatico",
                "sistemas",
                "systems",
                "operations",
                "ops",
                "exploitation",
                "operaciones",
                "betrieb*",
            ],
            LEADS_OR_MANAGERS,
        ],
        Some(Admin),
    ),
    // Other heads of a department decide.
    (&[DIRECTORS], Some(DecisionMaker)),
    (
        &[&[
            "head",
            "leiter*",
            "leiterin",
            "jefe",
            "jefa",
            "bereichsleiter*",
            "abteilungsleiter*",
        ]],
        Some(DecisionMaker),
    ),
    // The people who use the product.
    (
        &[&[
            "analyst*",
            "analyste",
            "analista",
            "specialist*",
            "specialiste",
            "spezialist*",
            "especialista",
            "agent",
            "agente",
            "representative",
            "coordinator",
            "coordinateur",
            "coordinatrice",
            "koordinator*",
            "coordinador*",
            "engineer",
            "ingenieur*",
            "ingeniero*",
            "developer",
            "developpeur*",
            "entwickler*",
            "desarrollador*",
            "technician",
            "technicien*",
            "techniker*",
            "sachbearbeiter*",
            "conseiller*",
            "asesor*",
            "user",
            "utilisateur*",
            "usuario*",
        ]],
        Some(EndUser),
    ),
];

/// The role a title suggests, by the table above; `None` when it suggests none.
pub fn role_from_title(title: &str) -> Option<Role> {
    let folded = fold(title);
    let words: Vec<&str> = folded.split_whitespace().collect();
    if words.is_empty() {
        return None;
    }
    let fits = |pattern: &str| match pattern.strip_suffix('*') {
        Some(prefix) => words.iter().any(|w| w.starts_with(prefix)),
        None => words.contains(&pattern),
    };
    RULES
        .iter()
        .find(|(groups, _)| groups.iter().all(|g| g.iter().any(|p| fits(p))))
        .and_then(|(_, role)| *role)
}

/// A role as shown, marked `?` when it was guessed from the title (until a CSM sets it).
pub fn shown(role: Role, guessed: bool) -> String {
    if guessed {
        format!("{}?", role.label())
    } else {
        role.label().to_string()
    }
}

/// The title folded: lowercase, without accents, anything but letters and digits a space.
fn fold(title: &str) -> String {
    let mut folded = String::with_capacity(title.len());
    for c in title.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => folded.push('a'),
            'ç' => folded.push('c'),
            'è' | 'é' | 'ê' | 'ë' => folded.push('e'),
            'ì' | 'í' | 'î' | 'ï' => folded.push('i'),
            'ñ' => folded.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => folded.push('o'),
            'ù' | 'ú' | 'û' | 'ü' => folded.push('u'),
            'ý' | 'ÿ' => folded.push('y'),
            'ß' => folded.push_str("ss"),
            'œ' => folded.push_str("oe"),
            'æ' => folded.push_str("ae"),
            c if c.is_alphanumeric() => folded.push(c),
            _ => folded.push(' '),
        }
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(cases: &[(&str, Option<Role>)]) {
        for (title, want) in cases {
            assert_eq!(role_from_title(title), *want, "{title:?}");
        }
    }

    #[test]
    fn english_titles() {
        check(&[
            ("CFO", Some(EconomicBuyer)),
            ("Chief Financial Officer", Some(EconomicBuyer)),
            ("VP Finance", Some(EconomicBuyer)),
            ("VP, Finance & Operations", Some(EconomicBuyer)),
            ("Controller", Some(EconomicBuyer)),
            ("Head of Procurement", Some(EconomicBuyer)),
            ("Director of Purchasing", Some(EconomicBuyer)),
            ("CEO", Some(ExecutiveSponsor)),
            ("COO", Some(ExecutiveSponsor)),
            ("President", Some(ExecutiveSponsor)),
            ("SVP Customer Experience", Some(ExecutiveSponsor)),
            ("Co-Founder", Some(ExecutiveSponsor)),
            ("Chief Revenue Officer", Some(ExecutiveSponsor)),
            ("Managing Director", Some(ExecutiveSponsor)),
            ("CTO", Some(TechnicalLead)),
            ("Chief Information Officer", Some(TechnicalLead)),
            ("Head of Engineering", Some(TechnicalLead)),
            ("Solutions Architect", Some(TechnicalLead)),
            ("IT Manager", Some(Admin)),
            ("IT Director", Some(Admin)),
            ("System Administrator", Some(Admin)),
            ("Salesforce Admin", Some(Admin)),
            ("Operations Lead", Some(Admin)),
            ("Director of Customer Support", Some(DecisionMaker)),
            ("Head of Marketing", Some(DecisionMaker)),
            ("Support Agent", Some(EndUser)),
            ("Data Analyst", Some(EndUser)),
            ("Onboarding Specialist", Some(EndUser)),
            ("Executive Assistant to the CEO", None),
            ("Account Manager", None),
            ("Engineer", Some(EndUser)),
            ("", None),
            ("Gardener", None),
        ]);
    }

    #[test]
    fn french_titles() {
        check(&[
            ("Directeur financier", Some(EconomicBuyer)),
            ("Directrice Financière", Some(EconomicBuyer)),
            ("DAF", Some(EconomicBuyer)),
            ("Responsable des achats", Some(EconomicBuyer)),
            ("Contrôleur de gestion", Some(EconomicBuyer)),
            ("PDG", Some(ExecutiveSponsor)),
            ("Président-directeur général", Some(ExecutiveSponsor)),
            ("Directeur général", Some(ExecutiveSponsor)),
            ("Fondatrice", Some(ExecutiveSponsor)),
            ("Directeur technique", Some(TechnicalLead)),
            ("Directeur des systèmes d'information", Some(TechnicalLead)),
            ("Responsable informatique", Some(Admin)),
            ("Administrateur systèmes", Some(Admin)),
            ("Directrice marketing", Some(DecisionMaker)),
            ("Chargée de clientèle", None),
            ("Analyste", Some(EndUser)),
            ("Assistante de direction", None),
        ]);
    }

    #[test]
    fn german_titles() {
        check(&[
            ("Finanzvorstand", Some(EconomicBuyer)),
            ("Leiter Einkauf", Some(EconomicBuyer)),
            ("Einkaufsleiterin", Some(EconomicBuyer)),
            ("Kaufmännischer Leiter", Some(EconomicBuyer)),
            ("Geschäftsführer", Some(ExecutiveSponsor)),
            ("Geschaeftsfuehrerin", Some(ExecutiveSponsor)),
            ("Vorstandsvorsitzender", Some(ExecutiveSponsor)),
            ("Technischer Leiter", Some(TechnicalLead)),
            ("IT-Leiter", Some(Admin)),
            ("Systemadministrator", Some(Admin)),
            ("Leiterin Vertrieb", Some(DecisionMaker)),
            ("Sachbearbeiterin", Some(EndUser)),
            ("Entwicklerin", Some(EndUser)),
        ]);
    }

    #[test]
    fn spanish_titles() {
        check(&[
            ("Director Financiero", Some(EconomicBuyer)),
            ("Directora Financiera", Some(EconomicBuyer)),
            ("Jefe de Compras", Some(EconomicBuyer)),
            ("Tesorero", Some(EconomicBuyer)),
            ("Director General", Some(ExecutiveSponsor)),
            ("Consejero Delegado", Some(ExecutiveSponsor)),
            ("Presidente", Some(ExecutiveSponsor)),
            ("Director de Tecnología", Some(TechnicalLead)),
            ("Administrador de sistemas", Some(Admin)),
            ("Jefa de Operaciones", Some(Admin)),
            ("Directora de Marketing", Some(DecisionMaker)),
            ("Analista", Some(EndUser)),
            ("Agente de soporte", Some(EndUser)),
        ]);
    }

    #[test]
    fn case_accents_and_punctuation_do_not_matter() {
        for t in [
            "cfo",
            "  C.F.O ",
            "DIRECTEUR FINANCIER",
            "directeur financier",
        ] {
            let want = if t.contains('.') {
                None
            } else {
                Some(EconomicBuyer)
            };
            assert_eq!(role_from_title(t), want, "{t:?}");
        }
        assert_eq!(shown(EconomicBuyer, true), "Economic buyer?");
        assert_eq!(shown(EconomicBuyer, false), "Economic buyer");
    }
}
