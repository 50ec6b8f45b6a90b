//! `attuned import`: recognising CRM exports by their headers and turning their rows into
//! records. Everything here is pure (no SQL): `store::import` writes the records.
//!
//! Known files: Salesforce Account and Contact exports (API names such as `Id, Name,
//! ParentId, OwnerId` / `Id, AccountId, FirstName, LastName, ReportsToId`, or report
//! labels such as `Account ID, Account Name`), HubSpot Companies and Contacts (`Record
//! ID, Company name, Company owner` / `Record ID, First Name, Last Name, Associated
//! Company`), Salesforce Opportunities and HubSpot Deals (`FORMATS` lists the columns that
//! define each kind), the Maven CRM sample (`accounts.csv`, `sales_teams.csv`,
//! `sales_pipeline.csv`), and `attuned export --format json`. Any other CSV is read with
//! `--map 'Header=field'`; a guess is offered.

pub mod csv;
pub mod json;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use self::csv::{Row, Table, parse_amount, parse_date};
use crate::domain::limits::{self, Limit};
use crate::domain::model::{Role, Segment, Sentiment, Strength};
use crate::domain::roles::role_from_title;
use crate::error::{Argument, Error, ImportProblem, Result, bad};

/// A column's meaning, the right-hand side of `--map 'Header=field'`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    AccountId,
    AccountName,
    ParentId,
    ParentName,
    ContractValue,
    Revenue,
    Industry,
    Segment,
    Tier,
    RenewalDate,
    Owner,
    ContactId,
    FirstName,
    LastName,
    ContactName,
    Title,
    Email,
    Role,
    ReportsToId,
    Strength,
    Sentiment,
    Ignore,
}

const FIELDS: &[(&str, Field)] = &[
    ("account_id", Field::AccountId),
    ("account_name", Field::AccountName),
    ("parent_id", Field::ParentId),
    ("parent_name", Field::ParentName),
    ("contract_value", Field::ContractValue),
    ("revenue", Field::Revenue),
    ("industry", Field::Industry),
    ("segment", Field::Segment),
    ("tier", Field::Tier),
    ("renewal_date", Field::RenewalDate),
    ("owner", Field::Owner),
    ("contact_id", Field::ContactId),
    ("first_name", Field::FirstName),
    ("last_name", Field::LastName),
    ("contact_name", Field::ContactName),
    ("title", Field::Title),
    ("email", Field::Email),
    ("role", Field::Role),
    ("reports_to_id", Field::ReportsToId),
    ("strength", Field::Strength),
    ("sentiment", Field::Sentiment),
    ("ignore", Field::Ignore),
];

impl Field {
    pub fn name(self) -> &'static str {
        FIELDS
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("ignore", |(n, _)| n)
    }

    pub fn parse(s: &str) -> Result<Field> {
        let want = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        FIELDS
            .iter()
            .find(|(n, _)| *n == want)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                Error::from(Argument::UnknownField {
                    given: s.to_string(),
                    known: FIELDS
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            })
    }

    /// Whether a column of this field can tell one record from another: a file with
    /// none of them holds nothing attuned can import.
    fn names_a_record(self) -> bool {
        matches!(
            self,
            Field::AccountId
                | Field::AccountName
                | Field::ContactId
                | Field::ContactName
                | Field::FirstName
                | Field::LastName
                | Field::Email
        )
    }

    fn is_contact_only(self) -> bool {
        matches!(
            self,
            Field::ContactId
                | Field::FirstName
                | Field::LastName
                | Field::ContactName
                | Field::Title
                | Field::Email
                | Field::ReportsToId
                | Field::Role
                | Field::Strength
                | Field::Sentiment
        )
    }
}

/// One `--map 'Header=field'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapRule {
    pub header: String,
    pub field: Field,
}

impl MapRule {
    pub fn parse(s: &str) -> Result<MapRule> {
        let (h, f) = s.rsplit_once('=').ok_or_else(|| Argument::MapSyntax {
            given: s.to_string(),
        })?;
        if h.trim().is_empty() {
            return Err(Argument::MapHeaderEmpty {
                given: s.to_string(),
            }
            .into());
        }
        Ok(MapRule {
            header: h.trim().to_string(),
            field: Field::parse(f)?,
        })
    }
}

/// Which CRM a file came from; external ids are kept per system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum System {
    Salesforce,
    Hubspot,
    Maven,
    Csv,
}

impl System {
    pub fn as_str(self) -> &'static str {
        match self {
            System::Salesforce => "salesforce",
            System::Hubspot => "hubspot",
            System::Maven => "maven",
            System::Csv => "csv",
        }
    }
}

/// What a file holds, as recognised from its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Accounts,
    Contacts,
    MavenAccounts,
    MavenTeams,
    MavenPipeline,
    /// Maven's product list and data dictionary: recognised, nothing in them to import.
    MavenReference,
    /// Salesforce Opportunities or HubSpot Deals.
    Opportunities,
}

impl Kind {
    /// What the kind is called in messages.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Accounts => "accounts (companies)",
            Kind::Contacts => "contacts",
            Kind::MavenAccounts => "Maven accounts",
            Kind::MavenTeams => "Maven sales teams",
            Kind::MavenPipeline => "Maven pipeline",
            Kind::MavenReference => "Maven reference table",
            Kind::Opportunities => "opportunities (deals)",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountRec {
    pub line: u64,
    pub external_id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub parent_name: Option<String>,
    pub contract_value_cents: Option<i64>,
    pub segment: Option<Segment>,
    pub tier: Option<u8>,
    pub industry: Option<String>,
    pub renewal_date: Option<NaiveDate>,
    /// A CSM's name (HubSpot, labels, Maven) or CRM user id (Salesforce API).
    pub owner: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactRec {
    pub line: u64,
    pub external_id: String,
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    pub name: String,
    pub title: Option<String>,
    pub email: Option<String>,
    pub role: Option<Role>,
    /// `role` was guessed from the title (`domain::roles`): the file gave none.
    pub role_guessed: bool,
    pub reports_to_id: Option<String>,
    pub strength: Option<Strength>,
    pub sentiment: Option<Sentiment>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CsmRec {
    pub line: u64,
    pub name: String,
    pub team_lead: Option<String>,
    pub region: Option<String>,
}

/// An opportunity (a Maven pipeline row, a Salesforce Opportunity, a HubSpot Deal): a
/// touch in the account's history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DealRec {
    pub line: u64,
    pub external_id: String,
    /// The account's CRM id, when the file gives one (tried before the name).
    pub account_id: Option<String>,
    /// The account's name; empty when the file gives only its id.
    pub account_name: String,
    pub csm: Option<String>,
    /// What was sold: the Maven product, or the opportunity's name and type.
    pub product: Option<String>,
    pub stage: String,
    pub status: DealStatus,
    pub deal_type: DealType,
    pub engaged_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub value_cents: Option<i64>,
}

/// Where an opportunity stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DealStatus {
    #[default]
    Open,
    Won,
    Lost,
}

/// What an opportunity sells, from its `Type` / `Deal Type`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DealType {
    /// No type, or one not listed below: counted as recurring business.
    #[default]
    Unknown,
    New,
    Renewal,
    Expansion,
    /// Services, training, anything sold once: never part of the contract value.
    OneTime,
}

impl DealType {
    /// Reads a CRM's type: Salesforce's `New Customer`, `Existing Customer - Upgrade`,
    /// `Renewal`; HubSpot's `newbusiness`, `existingbusiness`; and the like.
    pub fn of(s: &str) -> DealType {
        let n = norm(s);
        let any = |words: &[&str]| words.iter().any(|w| n.contains(w));
        if n.contains("renewal") {
            DealType::Renewal
        } else if any(&[
            "onetime",
            "oneoff",
            "service",
            "training",
            "consult",
            "implementation",
        ]) {
            DealType::OneTime
        } else if n.starts_with("new") {
            DealType::New
        } else if any(&[
            "existing",
            "upsell",
            "expansion",
            "upgrade",
            "crosssell",
            "addon",
        ]) {
            DealType::Expansion
        } else {
            DealType::Unknown
        }
    }

    /// Whether a won deal of this type counts toward the yearly contract value.
    pub fn is_recurring(self) -> bool {
        self != DealType::OneTime
    }
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// One file, read and turned into records.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub file: String,
    pub kind: Kind,
    pub system: System,
    /// Header → field as used (Maven files have fixed columns and list none).
    pub mapping: Vec<(String, Field)>,
    /// The mapping was guessed: shown in `--dry-run`, refused otherwise.
    pub guessed: bool,
    pub accounts: Vec<AccountRec>,
    pub contacts: Vec<ContactRec>,
    pub csms: Vec<CsmRec>,
    pub deals: Vec<DealRec>,
    pub rejected: Vec<Rejected>,
    /// Rows left out on purpose (e.g. an open opportunity with no account yet).
    pub skipped: Vec<Rejected>,
    /// A large file's rows are read as the import goes (`Parsed::each_chunk`), not held
    /// here: then the record lists above are empty.
    pub stream: Option<Stream>,
}

/// Where the rows of a file opened with `open_file` are read from, chunk by chunk.
#[derive(Debug, Clone)]
pub struct Stream {
    path: PathBuf,
    fields: Vec<Option<Field>>,
    /// Rows the file holds (blank lines aside), counted when it was opened.
    pub rows: u64,
    /// Rows turned into records at a time.
    pub(crate) chunk: usize,
}

/// Rows a streamed file is read by: enough for `mapped`'s two threads, few enough that
/// their records take a few megabytes.
const CHUNK_ROWS: usize = SPLIT_ROWS;

impl Parsed {
    fn new(file: &str, kind: Kind, system: System) -> Parsed {
        Parsed {
            file: file.to_string(),
            kind,
            system,
            mapping: Vec::new(),
            guessed: false,
            accounts: Vec::new(),
            contacts: Vec::new(),
            csms: Vec::new(),
            deals: Vec::new(),
            rejected: Vec::new(),
            skipped: Vec::new(),
            stream: None,
        }
    }

    /// Rows the file holds: records, rejected and skipped.
    pub fn rows(&self) -> u64 {
        match &self.stream {
            Some(s) => s.rows,
            None => {
                (self.accounts.len()
                    + self.contacts.len()
                    + self.csms.len()
                    + self.deals.len()
                    + self.rejected.len()
                    + self.skipped.len()) as u64
            }
        }
    }

    /// Records in the file (for a streamed one: its rows, rejected or not).
    pub fn records(&self) -> usize {
        match &self.stream {
            Some(s) => usize::try_from(s.rows).unwrap_or(usize::MAX),
            None => self.accounts.len() + self.contacts.len() + self.deals.len() + self.csms.len(),
        }
    }

    /// Runs `work` on the file's records: all at once, or for a streamed file on each
    /// chunk of rows in turn (a `Parsed` of the same file, kind and system, with the
    /// chunk's records and rejected rows), reading the file again from its start.
    pub fn each_chunk(&self, mut work: impl FnMut(&Parsed) -> Result<()>) -> Result<()> {
        let Some(s) = &self.stream else {
            return work(self);
        };
        let f = std::fs::File::open(&s.path).map_err(|e| Error::io(&s.path, e))?;
        let mut rows = csv::Rows::new(&self.file, f)?;
        let mut table = Table {
            headers: std::mem::take(&mut rows.headers),
            rows: Vec::with_capacity(s.chunk),
        };
        if table.headers.len() != s.fields.len() {
            return Err(bad(&self.file, ImportProblem::ChangedMeanwhile));
        }
        loop {
            table.rows.clear();
            while table.rows.len() < s.chunk.max(1) {
                match rows.next_row()? {
                    Some(row) => table.rows.push(row),
                    None => break,
                }
            }
            if table.rows.is_empty() {
                return Ok(());
            }
            let mut part = Parsed::new(&self.file, self.kind, self.system);
            mapped(&mut part, &table, &s.fields);
            work(&part)?;
        }
    }

    fn reject(&mut self, line: u64, reason: impl Into<String>) {
        self.rejected.push(Rejected {
            file: self.file.clone(),
            line,
            reason: reason.into(),
        });
    }

    /// The `--map` arguments that reproduce this file's mapping.
    pub fn map_args(&self) -> String {
        self.mapping
            .iter()
            .filter(|(_, f)| *f != Field::Ignore)
            .map(|(h, f)| format!("--map '{h}={}'", f.name()))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Header text reduced to lowercase letters and digits: `Account Name ` → `accountname`.
fn norm(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The field a header most likely means; `contacts` decides `Id` and `Name`.
fn guess_field(header: &str, contacts: bool) -> Option<Field> {
    let n = norm(header);
    let f = match n.as_str() {
        "id" | "recordid" => {
            if contacts {
                Field::ContactId
            } else {
                Field::AccountId
            }
        }
        "name" | "fullname" => {
            if contacts {
                Field::ContactName
            } else {
                Field::AccountName
            }
        }
        "accountid"
        | "companyid"
        | "customerid"
        | "associatedcompanyid"
        | "associatedcompanyids"
        | "associatedcompanyidprimary" => Field::AccountId,
        "account"
        | "accountname"
        | "company"
        | "companyname"
        | "customer"
        | "customername"
        | "associatedcompany"
        | "associatedcompanyprimary"
        | "organization" => Field::AccountName,
        "parentid" | "parentaccountid" | "parentcompanyid" => Field::ParentId,
        "parent" | "parentaccount" | "parentcompany" | "subsidiaryof" | "parentaccountname" => {
            Field::ParentName
        }
        "arr"
        | "acv"
        | "contractvalue"
        | "annualcontractvalue"
        | "arrc"
        | "contractvaluec"
        | "annualrecurringrevenue" => Field::ContractValue,
        "revenue" | "annualrevenue" => Field::Revenue,
        "industry" | "sector" | "vertical" => Field::Industry,
        "segment" | "customersegment" => Field::Segment,
        "tier" => Field::Tier,
        "renewal" | "renewaldate" | "renewalon" | "contractend" | "contractenddate" => {
            Field::RenewalDate
        }
        "owner"
        | "ownerid"
        | "accountowner"
        | "companyowner"
        | "csm"
        | "customersuccessmanager"
        | "accountownerid" => Field::Owner,
        "contactid" => Field::ContactId,
        "firstname" | "givenname" => Field::FirstName,
        "lastname" | "surname" | "familyname" => Field::LastName,
        "contactname" | "contact" => Field::ContactName,
        "title" | "jobtitle" | "position" => Field::Title,
        "email" | "emailaddress" => Field::Email,
        "role" | "contactrole" | "persona" => Field::Role,
        "reportstoid" | "reportsto" | "managerid" => Field::ReportsToId,
        "strength" | "relationshipstrength" => Field::Strength,
        "sentiment" => Field::Sentiment,
        _ => return None,
    };
    Some(f)
}

fn has(headers: &[String], any: &[&str]) -> bool {
    headers.iter().any(|h| any.contains(&norm(h).as_str()))
}

/// A kind of file attuned knows: the columns that define it (each group must have one of
/// its headers, compared as `norm` gives them), those that rule it out, and how its rows
/// are read (`None`: by the field mapping, see `mapped`). A new format is one entry here.
struct Format {
    kind: Kind,
    system: System,
    defined_by: &'static [&'static [&'static str]],
    unless: &'static [&'static str],
    read: Option<fn(&str, &Table, System) -> Parsed>,
}

const FORMATS: &[Format] = &[
    Format {
        kind: Kind::MavenAccounts,
        system: System::Maven,
        defined_by: &[&["account"], &["sector"], &["subsidiaryof"]],
        unless: &[],
        read: Some(maven_accounts),
    },
    Format {
        kind: Kind::MavenTeams,
        system: System::Maven,
        defined_by: &[&["salesagent"], &["manager"]],
        unless: &["opportunityid"],
        read: Some(maven_teams),
    },
    Format {
        kind: Kind::MavenPipeline,
        system: System::Maven,
        defined_by: &[
            &["opportunityid"],
            &["salesagent"],
            &["account"],
            &["dealstage"],
        ],
        unless: &[],
        read: Some(maven_pipeline),
    },
    Format {
        kind: Kind::MavenReference,
        system: System::Maven,
        defined_by: &[&["product"], &["series"], &["salesprice"]],
        unless: &[],
        read: Some(nothing),
    },
    Format {
        kind: Kind::MavenReference,
        system: System::Maven,
        defined_by: &[&["table"], &["field"], &["description"]],
        unless: &[],
        read: Some(nothing),
    },
    // Salesforce Opportunity, API names: `Id, AccountId, Name, StageName, CloseDate, ...`.
    Format {
        kind: Kind::Opportunities,
        system: System::Salesforce,
        defined_by: &[&["stagename"], &["closedate"]],
        unless: &[],
        read: Some(opportunities),
    },
    // Report labels: `Opportunity ID, Account ID, Opportunity Name, Stage, Close Date, ...`.
    Format {
        kind: Kind::Opportunities,
        system: System::Salesforce,
        defined_by: &[&["opportunityid", "opportunityname"], &["stage"]],
        unless: &[],
        read: Some(opportunities),
    },
    // HubSpot Deals: `Record ID, Deal Name, Deal Stage, Amount, Close Date, ...`.
    Format {
        kind: Kind::Opportunities,
        system: System::Hubspot,
        defined_by: &[&["dealname"], &["dealstage"]],
        unless: &[],
        read: Some(opportunities),
    },
    // People: a name, an email, a title or a manager (Salesforce, HubSpot or any CSV).
    Format {
        kind: Kind::Contacts,
        system: System::Csv,
        defined_by: &[&[
            "firstname",
            "lastname",
            "email",
            "emailaddress",
            "reportstoid",
            "jobtitle",
        ]],
        unless: &[],
        read: None,
    },
];

/// The formats `headers` fit. Several of one kind are one (the first wins); several
/// kinds, or none of the kinds above and no account name, are refused by `recognise`.
fn fitting(headers: &[String]) -> Vec<&'static Format> {
    let set: Vec<String> = headers.iter().map(|h| norm(h)).collect();
    let has = |c: &str| set.iter().any(|s| s == c);
    let mut found: Vec<&'static Format> = Vec::new();
    for f in FORMATS {
        let fits = f.defined_by.iter().all(|g| g.iter().any(|c| has(c)))
            && !f.unless.iter().any(|c| has(c));
        if fits && !found.iter().any(|x| x.kind == f.kind) {
            found.push(f);
        }
    }
    found
}

/// Recognises a file by its headers: its format, or `None` for accounts (or contacts a
/// mapping makes of it), read by the field mapping. A file that fits two kinds is refused
/// with the headers seen: never guessed into accounts.
fn recognise(file: &str, headers: &[String]) -> Result<Option<&'static Format>> {
    let found = fitting(headers);
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        many => Err(Error::Import {
            file: file.to_string(),
            problem: ImportProblem::Ambiguous {
                kinds: many
                    .iter()
                    .map(|f| f.kind.label())
                    .collect::<Vec<_>>()
                    .join(" and "),
                headers: shown_headers(headers),
            },
        }),
    }
}

/// The refusal of a file that fits no kind and names no account or contact.
fn unknown_kind(file: &str, headers: &[String]) -> Error {
    let mut kinds: Vec<&str> = vec![Kind::Accounts.label()];
    for f in FORMATS {
        if !kinds.contains(&f.kind.label()) {
            kinds.push(f.kind.label());
        }
    }
    Error::Import {
        file: file.to_string(),
        problem: ImportProblem::UnknownKind {
            headers: shown_headers(headers),
            kinds: kinds.join(", "),
        },
    }
}

/// The headers as a message lists them: at most 30.
fn shown_headers(headers: &[String]) -> String {
    let mut s = headers
        .iter()
        .take(30)
        .map(|h| h.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if headers.len() > 30 {
        s.push_str(&format!(" and {} more", headers.len() - 30));
    }
    s
}

/// Which CRM an accounts or contacts file came from, by its headers.
fn system_of(headers: &[String]) -> System {
    let exact = |h: &str| headers.iter().any(|x| x == h);
    let salesforce = exact("AccountId")
        || exact("ParentId")
        || exact("OwnerId")
        || exact("ReportsToId")
        || (exact("Id") && exact("Name"))
        || (exact("Id") && exact("LastName"))
        || has(
            headers,
            &[
                "contactid",
                "reportstoid",
                "parentaccountid",
                "accountowner",
            ],
        )
        || (has(headers, &["accountid"]) && has(headers, &["accountname"]));
    let hubspot = has(headers, &["recordid"])
        && has(
            headers,
            &[
                "companyname",
                "companyowner",
                "associatedcompany",
                "firstname",
                "lastname",
                "email",
            ],
        );
    if hubspot {
        System::Hubspot
    } else if salesforce {
        System::Salesforce
    } else {
        System::Csv
    }
}

/// A Maven reference table: nothing to import.
fn nothing(file: &str, _: &Table, system: System) -> Parsed {
    Parsed::new(file, Kind::MavenReference, system)
}

/// Reads one file's bytes into records. `maps` are the user's `--map` rules (applied to
/// any file with such a header); a file that is neither known nor mapped gets a guessed
/// mapping, marked `guessed`.
pub fn parse_file(file: &str, bytes: &[u8], maps: &[MapRule]) -> Result<Parsed> {
    if looks_like_json(bytes) {
        return Err(Error::Import {
            file: file.to_string(),
            problem: ImportProblem::JsonNotAlone,
        });
    }
    let table = csv::parse(file, bytes)?;
    let format = recognise(file, &table.headers)?;
    let mut p = match format {
        Some(Format {
            read: Some(read),
            system,
            ..
        }) => read(file, &table, *system),
        _ => {
            let (mut p, fields) = by_mapping(file, &table.headers, maps, format)?;
            mapped(&mut p, &table, &fields);
            p
        }
    };
    p.file = file.to_string();
    Ok(p)
}

/// A file read by its field mapping (no `Format` reads it): its `Parsed` without records,
/// and each column's field. `maps` are the user's `--map` rules; a file that is neither
/// known nor mapped gets a guessed mapping, marked `guessed`.
fn by_mapping(
    file: &str,
    headers: &[String],
    maps: &[MapRule],
    format: Option<&Format>,
) -> Result<(Parsed, Vec<Option<Field>>)> {
    // A contact id says contacts here too (it only failed to define the kind because
    // opportunity exports carry one).
    let contacts = format.is_some_and(|f| f.kind == Kind::Contacts) || has(headers, &["contactid"]);
    let system = system_of(headers);
    let known = system != System::Csv;
    let user: Vec<&MapRule> = maps
        .iter()
        .filter(|m| headers.iter().any(|h| norm(h) == norm(&m.header)))
        .collect();
    let mut fields: Vec<Option<Field>> = headers.iter().map(|h| guess_field(h, contacts)).collect();
    for m in &user {
        for (i, h) in headers.iter().enumerate() {
            if norm(h) == norm(&m.header) {
                fields[i] = Some(m.field);
            }
        }
    }
    if !known && user.is_empty() && !fields.iter().flatten().any(|f| f.names_a_record()) {
        return Err(unknown_kind(file, headers));
    }
    // A user mapping may turn an accounts file into a contacts file.
    let kind = if fields.iter().flatten().any(|f| f.is_contact_only()) {
        Kind::Contacts
    } else {
        Kind::Accounts
    };
    let mut p = Parsed::new(file, kind, system);
    p.guessed = !known && user.is_empty();
    p.mapping = headers
        .iter()
        .zip(&fields)
        .map(|(h, f)| (h.clone(), f.unwrap_or(Field::Ignore)))
        .collect();
    Ok((p, fields))
}

/// Opens the file at `path` (named `file` in messages) for an import. Accounts and
/// contacts files are read row by row: their header now, their rows counted (and checked
/// as UTF-8 CSV, so a broken file is refused before anything is written), and their
/// records made chunk by chunk as the import goes (`Parsed::each_chunk`), so memory does
/// not grow with the file. Other files, and pipes, are parsed whole, as `parse_file` does.
pub fn open_file(path: &Path, file: &str, maps: &[MapRule]) -> Result<Parsed> {
    // A pipe (`<(zcat export.csv.gz)`) can be read only once: read whole.
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        return parse_file(file, &bytes, maps);
    }
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut rows = csv::Rows::new(file, f)?;
    let format = recognise(file, &rows.headers)?;
    if format.is_some_and(|f| f.read.is_some()) {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        return parse_file(file, &bytes, maps);
    }
    let (mut p, fields) = by_mapping(file, &rows.headers, maps, format)?;
    let mut n = 0;
    while rows.skip_row()? {
        n += 1;
    }
    p.stream = Some(Stream {
        path: path.to_path_buf(),
        fields,
        rows: n,
        chunk: CHUNK_ROWS,
    });
    Ok(p)
}

pub fn looks_like_json(bytes: &[u8]) -> bool {
    let start = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    start
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{')
}

/// Longest text a name or other cell may have; longer is a mistake, not a name.
const MAX_CELL: usize = 2000;

fn text(row: &Row, i: Option<usize>) -> Option<String> {
    i.and_then(|i| row.get(i)).map(|s| {
        // Most cells have nothing to collapse: no run of spaces, no other white space or
        // control character (a vertical tab is white space to `split_whitespace`). The
        // rest lose runs of white space and every control character (an ESC from a CRM
        // must not reach a terminal).
        let plain = s
            .as_bytes()
            .windows(2)
            .all(|w| w[0] != b' ' || w[1] != b' ')
            && s.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
        if plain {
            s.to_string()
        } else {
            let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
            crate::domain::text::clean_line(&joined).into_owned()
        }
    })
}

/// Salesforce ids come as 15 characters (case-sensitive) or 18 (the 15 plus a checksum);
/// both name the same record.
fn crm_id(system: System, s: &str) -> String {
    let s = s.trim();
    if system == System::Salesforce && s.len() == 18 && s.chars().all(|c| c.is_ascii_alphanumeric())
    {
        s[..15].to_string()
    } else {
        s.to_string()
    }
}

/// From this many rows on, a file's rows are turned into records on two threads.
const SPLIT_ROWS: usize = 20_000;

fn mapped(p: &mut Parsed, table: &Table, fields: &[Option<Field>]) {
    let (kind, system) = (p.kind, p.system);
    let rows = &table.rows[..];
    let (first, second) = if rows.len() >= SPLIT_ROWS {
        let (a, b) = rows.split_at(rows.len() / 2);
        std::thread::scope(|s| {
            let second = s.spawn(|| records(table, b, fields, kind, system));
            let first = records(table, a, fields, kind, system);
            let second = second
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (first, second)
        })
    } else {
        (
            records(table, rows, fields, kind, system),
            Records::default(),
        )
    };
    for part in [first, second] {
        p.accounts.extend(part.accounts);
        p.contacts.extend(part.contacts);
        for (line, reason) in part.rejected {
            p.reject(line, reason);
        }
    }
}

/// What a run of rows became: records, and (line, reason) of the rows rejected.
#[derive(Default)]
struct Records {
    accounts: Vec<AccountRec>,
    contacts: Vec<ContactRec>,
    rejected: Vec<(u64, String)>,
}

fn records(
    table: &Table,
    rows: &[Row],
    fields: &[Option<Field>],
    kind: Kind,
    system: System,
) -> Records {
    let col = |f: Field| fields.iter().position(|x| *x == Some(f));
    let mut out = Records::default();
    let mut guesses = Guesses::default();
    for row in rows {
        if let Some(i) = row.cells.iter().position(|c| c.len() > MAX_CELL) {
            let h = table.headers.get(i).map_or("?", |s| s.as_str());
            let len = row.cells.get(i).map_or(0, str::len);
            out.rejected.push((
                row.line,
                format!("the {h:?} cell is {len} characters long (at most {MAX_CELL})"),
            ));
            continue;
        }
        let r = match kind {
            Kind::Contacts => contact_row(row, &col, system, &mut guesses)
                .and_then(contact_within_limits)
                .map(|c| out.contacts.push(c)),
            _ => account_row(row, &col, system)
                .and_then(account_within_limits)
                .map(|a| out.accounts.push(a)),
        };
        if let Err(reason) = r {
            out.rejected.push((row.line, reason));
        }
    }
    out
}

type Col<'a> = dyn Fn(Field) -> Option<usize> + 'a;

/// The workstation's length limits (`domain::limits`), on imported text too: a longer
/// value is refused with its line ("title is 500 characters; at most 120").
fn within(fields: &[(Option<&str>, Limit)]) -> Result<(), String> {
    fields
        .iter()
        .filter_map(|(v, limit)| v.map(|v| limit.check(v)))
        .collect()
}

fn account_within_limits(a: AccountRec) -> Result<AccountRec, String> {
    within(&[
        (Some(&a.name), limits::NAME),
        (a.parent_name.as_deref(), limits::NAME.named("parent name")),
        (a.owner.as_deref(), limits::NAME.named("owner")),
        (a.industry.as_deref(), limits::TITLE.named("industry")),
    ])?;
    Ok(a)
}

fn contact_within_limits(c: ContactRec) -> Result<ContactRec, String> {
    within(&[
        (Some(&c.name), limits::NAME),
        (c.title.as_deref(), limits::TITLE),
        (c.email.as_deref(), limits::EMAIL),
    ])?;
    Ok(c)
}

fn account_row(row: &Row, col: &Col<'_>, system: System) -> Result<AccountRec, String> {
    let name = text(row, col(Field::AccountName)).ok_or("no account name")?;
    let external_id = match text(row, col(Field::AccountId)) {
        Some(id) => crm_id(system, &id),
        None if col(Field::AccountId).is_some() => return Err("no account id".into()),
        None => name.to_lowercase(),
    };
    let contract_value_cents = match text(row, col(Field::ContractValue)) {
        Some(v) => Some(amount(&v, "contract value")?),
        None => None,
    };
    let revenue = match text(row, col(Field::Revenue)) {
        Some(v) => Some(amount(&v, "revenue")?),
        None => None,
    };
    let segment = match text(row, col(Field::Segment)) {
        Some(s) => Some(s.parse::<Segment>().map_err(|e| e.to_string())?),
        None => segment_for(revenue.map(|c| c / 100), contract_value_cents),
    };
    let tier = match text(row, col(Field::Tier)) {
        Some(t) => Some(
            t.trim_start_matches(|c: char| !c.is_ascii_digit())
                .parse::<u8>()
                .ok()
                .filter(|t| (1..=3).contains(t))
                .ok_or_else(|| format!("tier {t:?} is not 1, 2 or 3"))?,
        ),
        None => None,
    };
    let renewal_date = match text(row, col(Field::RenewalDate)) {
        Some(d) => Some(parse_date(&d).ok_or_else(|| format!("renewal date {d:?} is not a date"))?),
        None => None,
    };
    Ok(AccountRec {
        line: row.line,
        external_id,
        name,
        parent_id: text(row, col(Field::ParentId)).map(|s| crm_id(system, &s)),
        parent_name: text(row, col(Field::ParentName)),
        contract_value_cents,
        segment,
        tier,
        industry: text(row, col(Field::Industry)),
        renewal_date,
        owner: text(row, col(Field::Owner)),
    })
}

fn amount(v: &str, what: &str) -> Result<i64, String> {
    match parse_amount(v) {
        Some(c) if c >= 0 => Ok(c),
        Some(_) => Err(format!("{what} {v:?} is negative")),
        None => Err(format!("{what} {v:?} is not an amount")),
    }
}

/// Segment from a company's yearly revenue in dollars, else from the contract value.
pub fn segment_for(revenue_dollars: Option<i64>, contract_cents: Option<i64>) -> Option<Segment> {
    if let Some(r) = revenue_dollars {
        return Some(if r >= 1_000_000_000 {
            Segment::Enterprise
        } else if r >= 50_000_000 {
            Segment::MidMarket
        } else {
            Segment::Smb
        });
    }
    contract_cents.map(|c| {
        if c >= 10_000_000 {
            Segment::Enterprise
        } else if c >= 2_000_000 {
            Segment::MidMarket
        } else {
            Segment::Smb
        }
    })
}

/// The roles titles suggest, remembered: a file repeats a few hundred titles over
/// thousands of contacts, and matching one against the table takes a microsecond.
#[derive(Default)]
struct Guesses(HashMap<String, Option<Role>>);

impl Guesses {
    /// Titles remembered at most (a file of unique titles should not fill memory).
    const MAX: usize = 10_000;

    fn of(&mut self, title: &str) -> Option<Role> {
        if let Some(r) = self.0.get(title) {
            return *r;
        }
        let r = role_from_title(title);
        if self.0.len() < Self::MAX {
            self.0.insert(title.to_string(), r);
        }
        r
    }
}

fn contact_row(
    row: &Row,
    col: &Col<'_>,
    system: System,
    guesses: &mut Guesses,
) -> Result<ContactRec, String> {
    let first = text(row, col(Field::FirstName));
    let last = text(row, col(Field::LastName));
    let email = text(row, col(Field::Email));
    let name = match (text(row, col(Field::ContactName)), &first, &last) {
        (Some(n), _, _) => n,
        (None, Some(f), Some(l)) => format!("{f} {l}"),
        (None, Some(x), None) | (None, None, Some(x)) => x.clone(),
        (None, None, None) => email.clone().ok_or("no name and no email")?,
    };
    let account_id = text(row, col(Field::AccountId)).map(|s| {
        // HubSpot lists several associated company ids separated by ';'.
        crm_id(system, s.split(';').next().unwrap_or(&s))
    });
    let account_name = text(row, col(Field::AccountName));
    if account_id.is_none() && account_name.is_none() {
        return Err("no account: the contact names no account id or company".into());
    }
    let external_id = match text(row, col(Field::ContactId)) {
        Some(id) => crm_id(system, &id),
        None if col(Field::ContactId).is_some() => return Err("no contact id".into()),
        None => match &email {
            Some(e) => e.to_lowercase(),
            None => format!(
                "{}/{}",
                account_id
                    .clone()
                    .or(account_name.clone())
                    .unwrap_or_default()
                    .to_lowercase(),
                name.to_lowercase()
            ),
        },
    };
    let parse = |f: Field| text(row, col(f));
    let title = parse(Field::Title);
    // A row without a role gets the one its title suggests, marked as guessed.
    let (role, role_guessed) = match parse(Field::Role) {
        Some(r) => (
            Some(role_of(&r).ok_or_else(|| format!("role {r:?} is not one attuned knows"))?),
            false,
        ),
        None => {
            let guess = title.as_deref().and_then(|t| guesses.of(t));
            (guess, guess.is_some())
        }
    };
    let strength = match parse(Field::Strength) {
        Some(s) => Some(
            strength_of(&s)
                .ok_or_else(|| format!("strength {s:?} is not none, weak, okay or very good"))?,
        ),
        None => None,
    };
    let sentiment = match parse(Field::Sentiment) {
        Some(s) => Some(s.parse::<Sentiment>().map_err(|e| e.to_string())?),
        None => None,
    };
    Ok(ContactRec {
        line: row.line,
        external_id,
        account_id,
        account_name,
        name,
        title,
        email,
        role,
        role_guessed,
        reports_to_id: parse(Field::ReportsToId).map(|s| crm_id(system, &s)),
        strength,
        sentiment,
    })
}

fn role_of(s: &str) -> Option<Role> {
    if let Ok(r) = s.parse::<Role>() {
        return Some(r);
    }
    let n = norm(s);
    Role::ALL
        .iter()
        .copied()
        .find(|r| norm(r.as_str()) == n || norm(r.label()) == n)
}

fn strength_of(s: &str) -> Option<Strength> {
    if let Ok(v) = s.parse::<Strength>() {
        return Some(v);
    }
    let n = norm(s);
    Strength::ALL
        .iter()
        .copied()
        .find(|v| norm(v.as_str()) == n)
}

/// Column positions of a Maven file, by header name.
fn columns(table: &Table) -> HashMap<String, usize> {
    table
        .headers
        .iter()
        .enumerate()
        .map(|(i, h)| (norm(h), i))
        .collect()
}

fn maven_accounts(file: &str, table: &Table, _: System) -> Parsed {
    let mut p = Parsed::new(file, Kind::MavenAccounts, System::Maven);
    let c = columns(table);
    let at = |k: &str| c.get(k).copied();
    for row in &table.rows {
        let Some(name) = text(row, at("account")) else {
            p.reject(row.line, "no account name");
            continue;
        };
        // Revenue is the company's, in millions of dollars: it sets the segment.
        let revenue = match text(row, at("revenue")) {
            Some(v) => match parse_amount(&v) {
                Some(c) if c >= 0 => Some(c / 100 * 1_000_000 + c % 100 * 10_000),
                _ => {
                    p.reject(row.line, format!("revenue {v:?} is not an amount"));
                    continue;
                }
            },
            None => None,
        };
        p.accounts.push(AccountRec {
            line: row.line,
            external_id: name.to_lowercase(),
            parent_name: text(row, at("subsidiaryof")),
            segment: segment_for(revenue, None),
            industry: text(row, at("sector")),
            name,
            ..AccountRec::default()
        });
    }
    p
}

fn maven_teams(file: &str, table: &Table, _: System) -> Parsed {
    let mut p = Parsed::new(file, Kind::MavenTeams, System::Maven);
    let c = columns(table);
    let at = |k: &str| c.get(k).copied();
    for row in &table.rows {
        let Some(name) = text(row, at("salesagent")) else {
            p.reject(row.line, "no sales agent");
            continue;
        };
        p.csms.push(CsmRec {
            line: row.line,
            name,
            team_lead: text(row, at("manager")),
            region: text(row, at("regionaloffice")),
        });
    }
    p
}

fn maven_pipeline(file: &str, table: &Table, _: System) -> Parsed {
    let mut p = Parsed::new(file, Kind::MavenPipeline, System::Maven);
    let c = columns(table);
    let at = |k: &str| c.get(k).copied();
    for row in &table.rows {
        let Some(id) = text(row, at("opportunityid")) else {
            p.reject(row.line, "no opportunity id");
            continue;
        };
        let stage = text(row, at("dealstage")).unwrap_or_default();
        let Some(account) = text(row, at("account")) else {
            if stage.eq_ignore_ascii_case("won") || stage.eq_ignore_ascii_case("lost") {
                p.reject(
                    row.line,
                    format!("{stage} opportunity {id} names no account"),
                );
            } else {
                p.skipped.push(Rejected {
                    file: file.to_string(),
                    line: row.line,
                    reason: format!("open opportunity {id} has no account yet"),
                });
            }
            continue;
        };
        let date = |k: &str| -> Result<Option<NaiveDate>, String> {
            match text(row, at(k)) {
                Some(d) => parse_date(&d)
                    .map(Some)
                    .ok_or_else(|| format!("{k} {d:?} is not a date")),
                None => Ok(None),
            }
        };
        let (engaged_on, closed_on) = match (date("engagedate"), date("closedate")) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => {
                p.reject(row.line, e);
                continue;
            }
        };
        let value_cents = match text(row, at("closevalue")) {
            Some(v) => match amount(&v, "close value") {
                Ok(c) => Some(c),
                Err(e) => {
                    p.reject(row.line, e);
                    continue;
                }
            },
            None => None,
        };
        if engaged_on.is_none() && closed_on.is_none() {
            p.skipped.push(Rejected {
                file: file.to_string(),
                line: row.line,
                reason: format!("opportunity {id} has no date yet"),
            });
            continue;
        }
        let status = match stage.to_ascii_lowercase().as_str() {
            "won" => DealStatus::Won,
            "lost" => DealStatus::Lost,
            _ => DealStatus::Open,
        };
        p.deals.push(DealRec {
            line: row.line,
            external_id: id,
            account_name: account,
            csm: text(row, at("salesagent")),
            product: text(row, at("product")),
            stage,
            status,
            engaged_on,
            closed_on,
            value_cents,
            ..DealRec::default()
        });
    }
    p
}

/// What an account's opportunities say about its contract, as of `today`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContractTerms {
    /// A year's contract value in cents.
    pub value_cents: Option<i64>,
    pub renewal_date: Option<NaiveDate>,
}

/// The contract value and renewal date an account's opportunities give:
/// - value: the amount of the latest won renewal (by close date); without one, the sum of
///   the won recurring deals (every type but one-time services) closed in the 12 months up
///   to `today`; none when neither exists;
/// - renewal date: the close date of the open renewal (the earliest, if several); without
///   one, a year after the last won recurring deal; none when neither exists.
pub fn contract_terms(deals: &[&DealRec], today: NaiveDate) -> ContractTerms {
    let won = |d: &&&DealRec| d.status == DealStatus::Won && d.closed_on.is_some();
    let renewal = |d: &&&DealRec| d.deal_type == DealType::Renewal;
    let latest_renewal = deals
        .iter()
        .filter(won)
        .filter(renewal)
        .filter(|d| d.value_cents.is_some())
        .max_by_key(|d| (d.closed_on, d.line));
    let year_ago = today.checked_sub_months(chrono::Months::new(12));
    let recurring: Vec<&&DealRec> = deals
        .iter()
        .filter(won)
        .filter(|d| d.deal_type.is_recurring())
        .collect();
    let value_cents = match latest_renewal {
        Some(d) => d.value_cents,
        None => {
            let last_year: Vec<i64> = recurring
                .iter()
                .filter(|d| {
                    d.closed_on
                        .is_some_and(|c| c <= today && Some(c) > year_ago)
                })
                .map(|d| d.value_cents.unwrap_or(0))
                .collect();
            (!last_year.is_empty())
                .then(|| last_year.iter().fold(0i64, |a, b| a.saturating_add(*b)))
        }
    };
    let open_renewal = deals
        .iter()
        .filter(|d| d.status == DealStatus::Open)
        .filter(renewal)
        .filter_map(|d| d.closed_on)
        .min();
    let renewal_date = open_renewal.or_else(|| {
        recurring
            .iter()
            .filter_map(|d| d.closed_on)
            .max()
            .and_then(|d| d.checked_add_months(chrono::Months::new(12)))
    });
    ContractTerms {
        value_cents,
        renewal_date,
    }
}

/// The first of `names` (normalised headers) the file has.
fn column(c: &HashMap<String, usize>, names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| c.get(*n).copied())
}

/// `true`/`false` as CRMs write them.
fn yes_no(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "x" => Some(true),
        "false" | "0" | "no" | "n" => Some(false),
        _ => None,
    }
}

/// Where an opportunity stands: Salesforce's `IsClosed`/`IsWon` when the file has them,
/// else its stage: `Closed Won` / `closedwon` / `Won`, `Closed Lost` / `closedlost` /
/// `Lost`; every other stage is open.
fn deal_status(stage: &str, closed: Option<bool>, won: Option<bool>) -> DealStatus {
    match (closed, won) {
        (_, Some(true)) => DealStatus::Won,
        (Some(true), Some(false)) => DealStatus::Lost,
        (Some(false), _) => DealStatus::Open,
        _ => match norm(stage).as_str() {
            "closedwon" | "won" => DealStatus::Won,
            "closedlost" | "lost" => DealStatus::Lost,
            _ => DealStatus::Open,
        },
    }
}

/// Salesforce Opportunities and HubSpot Deals. A row naming no account at all is skipped
/// and counted; one without a close date too (it has no place in the history yet).
fn opportunities(file: &str, table: &Table, system: System) -> Parsed {
    let mut p = Parsed::new(file, Kind::Opportunities, system);
    let c = columns(table);
    let at = |names: &[&str]| column(&c, names);
    let id_col = at(&["id", "opportunityid", "recordid", "dealid"]);
    let name_col = at(&["name", "opportunityname", "dealname"]);
    let account_id_col = at(&[
        "accountid",
        "associatedcompanyid",
        "associatedcompanyids",
        "associatedcompanyidprimary",
        "associatedcompanyidsprimary",
        "companyid",
    ]);
    let account_name_col = at(&[
        "accountname",
        "account",
        "associatedcompany",
        "associatedcompanyprimary",
        "companyname",
        "company",
    ]);
    let stage_col = at(&["stagename", "stage", "dealstage"]);
    let amount_col = at(&["amount"]);
    let close_col = at(&["closedate"]);
    let created_col = at(&["createddate", "createdate"]);
    let type_col = at(&["type", "dealtype", "opportunitytype"]);
    let closed_col = at(&["isclosed"]);
    let won_col = at(&["iswon"]);
    for row in &table.rows {
        if let Some(i) = row.cells.iter().position(|c| c.len() > MAX_CELL) {
            let h = table.headers.get(i).map_or("?", |s| s.as_str());
            p.reject(
                row.line,
                format!("the {h:?} cell is longer than {MAX_CELL} characters"),
            );
            continue;
        }
        let Some(id) = text(row, id_col) else {
            p.reject(row.line, "no opportunity id");
            continue;
        };
        let id = crm_id(system, &id);
        // HubSpot lists several associated companies separated by ';': the first is the
        // primary one. Its `Associated Company` holds a name or, in some exports, an id.
        let first = |s: String| s.split(';').next().unwrap_or(&s).trim().to_string();
        let mut account_id = text(row, account_id_col).map(|s| crm_id(system, &first(s)));
        let account_name = text(row, account_name_col).map(first).unwrap_or_default();
        if account_id.is_none() && account_name.chars().all(|c| c.is_ascii_digit()) {
            account_id = Some(account_name.clone()).filter(|s| !s.is_empty());
        }
        let stage = text(row, stage_col).unwrap_or_default();
        if account_id.is_none() && account_name.is_empty() {
            p.skipped.push(Rejected {
                file: file.to_string(),
                line: row.line,
                reason: format!("opportunity {id} names no account"),
            });
            continue;
        }
        let date = |col: Option<usize>, what: &str| -> Result<Option<NaiveDate>, String> {
            match text(row, col) {
                Some(d) => parse_date(&d)
                    .map(Some)
                    .ok_or_else(|| format!("{what} {d:?} is not a date")),
                None => Ok(None),
            }
        };
        let (closed_on, engaged_on) = match (
            date(close_col, "close date"),
            date(created_col, "created date"),
        ) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => {
                p.reject(row.line, e);
                continue;
            }
        };
        let value_cents = match text(row, amount_col) {
            Some(v) => match amount(&v, "amount") {
                Ok(c) => Some(c),
                Err(e) => {
                    p.reject(row.line, e);
                    continue;
                }
            },
            None => None,
        };
        if closed_on.is_none() {
            p.skipped.push(Rejected {
                file: file.to_string(),
                line: row.line,
                reason: format!("opportunity {id} has no close date yet"),
            });
            continue;
        }
        let flag = |col: Option<usize>| text(row, col).and_then(|s| yes_no(&s));
        let status = deal_status(&stage, flag(closed_col), flag(won_col));
        let type_text = text(row, type_col);
        let deal_type = type_text.as_deref().map_or(DealType::Unknown, DealType::of);
        let stage = match (norm(&stage).as_str(), status) {
            ("closedwon", _) => "Closed Won".to_string(),
            ("closedlost", _) => "Closed Lost".to_string(),
            ("", DealStatus::Won) => "Won".to_string(),
            ("", DealStatus::Lost) => "Lost".to_string(),
            ("", DealStatus::Open) => "Open".to_string(),
            _ => stage,
        };
        let product = match (text(row, name_col), type_text) {
            (Some(n), Some(t)) => Some(format!("{n} ({t})")),
            (n, t) => n.or(t),
        };
        p.deals.push(DealRec {
            line: row.line,
            external_id: id,
            account_id,
            account_name,
            csm: None,
            product,
            stage,
            status,
            deal_type,
            engaged_on,
            closed_on,
            value_cents,
        });
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Parsed {
        parse_file("t.csv", text.as_bytes(), &[]).unwrap()
    }

    #[test]
    fn salesforce_api_accounts_and_contacts() {
        let a = parse(
            "Id,Name,ParentId,AnnualRevenue,OwnerId,Industry\n001000000000001AAA,Acme,,\"$2,000,000,000\",005x,Tech\n001000000000002,Acme EU,001000000000001AAA,,005x,\n",
        );
        assert_eq!(
            (a.kind, a.system, a.guessed),
            (Kind::Accounts, System::Salesforce, false)
        );
        assert_eq!(a.accounts[0].external_id, "001000000000001");
        assert_eq!(a.accounts[0].segment, Some(Segment::Enterprise));
        assert_eq!(a.accounts[1].parent_id.as_deref(), Some("001000000000001"));
        let c = parse(
            "Id,AccountId,FirstName,LastName,Title,ReportsToId,Email\n003a,001000000000001,Ann,Lee,CFO,,ann@acme.com\n003b,001000000000001,Bo,,IT,003a,\n",
        );
        assert_eq!((c.kind, c.system), (Kind::Contacts, System::Salesforce));
        assert_eq!(c.contacts[1].reports_to_id.as_deref(), Some("003a"));
        assert_eq!(c.contacts[0].name, "Ann Lee");
        assert_eq!(c.contacts[0].strength, None);
    }

    #[test]
    fn labels_and_hubspot_are_recognised() {
        let a = parse("Account ID,Account Name,Parent Account ID,Account Owner\n1,A,,Kim\n");
        assert_eq!((a.kind, a.system), (Kind::Accounts, System::Salesforce));
        let h = parse("Record ID,Company name,Company owner,Annual Revenue\n9,B,Kim,10\n");
        assert_eq!((h.kind, h.system), (Kind::Accounts, System::Hubspot));
        assert_eq!(h.accounts[0].owner.as_deref(), Some("Kim"));
        let hc = parse(
            "Record ID,First Name,Last Name,Email,Associated Company,Job Title\n7,Al,Bo,a@b.c,B,CTO\n",
        );
        assert_eq!((hc.kind, hc.system), (Kind::Contacts, System::Hubspot));
        assert_eq!(hc.contacts[0].account_name.as_deref(), Some("B"));
        assert_eq!(hc.contacts[0].title.as_deref(), Some("CTO"));
    }

    #[test]
    fn unknown_files_get_a_guess_and_maps_override_it() {
        let g = parse("Customer,ARR,Renewal Date,Weird\nA,\"$1,100.04 \",2027-01-31,x\n");
        assert!(g.guessed);
        assert_eq!(g.accounts[0].contract_value_cents, Some(110004));
        assert!(
            g.map_args().contains("--map 'ARR=contract_value'"),
            "{}",
            g.map_args()
        );
        let maps = [
            MapRule::parse("Weird=industry").unwrap(),
            MapRule::parse(" Revenue = contract_value").unwrap(),
        ];
        let m = parse_file("t.csv", b"Customer,Revenue,Weird\nA,10,Retail\n", &maps).unwrap();
        assert!(!m.guessed);
        assert_eq!(m.accounts[0].contract_value_cents, Some(1000));
        assert_eq!(m.accounts[0].industry.as_deref(), Some("Retail"));
        assert!(MapRule::parse("x=nonsense").is_err());
        assert!(MapRule::parse("nothing").is_err());
    }

    #[test]
    fn bad_rows_are_rejected_with_their_line() {
        let p = parse("Name,ARR,Tier\nA,-5,1\n,1,1\nC,abc,1\nD,1,7\nE,1,2\n");
        let lines: Vec<u64> = p.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5]);
        assert_eq!(p.accounts.len(), 1);
        assert!(p.rejected[0].to_string().starts_with("t.csv:2: "));
    }

    #[test]
    fn text_longer_than_the_workstation_takes_is_refused_with_its_line() {
        let title = "T".repeat(500);
        let p = parse(&format!(
            "Name,Email,Company,Title\nAna,ana@x.com,X,{title}\nBo,bo@x.com,X,CFO\n"
        ));
        assert_eq!(p.contacts.len(), 1);
        assert_eq!(
            p.rejected[0].to_string(),
            "t.csv:2: title is 500 characters; at most 120"
        );
        let p = parse(&format!("Name,ARR\n{},1\n", "N".repeat(121)));
        assert_eq!(
            p.rejected[0].to_string(),
            "t.csv:2: name is 121 characters; at most 120"
        );
    }

    #[test]
    fn contacts_may_carry_strength_and_sentiment() {
        let p =
            parse("Email,Company,Strength,Sentiment,Role\na@x.com,X,Very good,positive,Champion\n");
        assert_eq!(p.contacts[0].strength, Some(Strength::VeryGood));
        assert_eq!(p.contacts[0].sentiment, Some(Sentiment::Positive));
        assert_eq!(p.contacts[0].role, Some(Role::Champion));
        assert_eq!(p.contacts[0].external_id, "a@x.com");
    }

    #[test]
    fn maven_files() {
        let a = parse(
            "account,sector,year_established,revenue,employees,office_location,subsidiary_of\nAcme Corporation,technolgy,1996,1100.04,2822,United States,\nSub,retail,1,1.5,1,X,Acme Corporation\n",
        );
        assert_eq!(a.kind, Kind::MavenAccounts);
        assert_eq!(a.accounts[0].segment, Some(Segment::Enterprise));
        assert_eq!(
            a.accounts[1].parent_name.as_deref(),
            Some("Acme Corporation")
        );
        let t = parse("sales_agent,manager,regional_office\nAnna,Dustin,Central\n");
        assert_eq!(t.csms[0].team_lead.as_deref(), Some("Dustin"));
        let p = parse(
            "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n1,A,GTX,Acme Corporation,Won,2016-10-20,2017-03-01,1054\n2,A,GTX,,Engaging,2016-10-20,,\n3,A,GTX,,Won,2016-10-20,2017-03-01,5\n",
        );
        assert_eq!(p.deals.len(), 1);
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.rejected.len(), 1);
        assert_eq!(p.deals[0].value_cents, Some(105400));
    }

    #[test]
    fn a_hubspot_deals_export_is_never_read_as_companies() {
        let p = parse(
            "Record ID,Deal Name,Deal Stage,Amount,Close Date,Deal Type,Pipeline,Associated Company\n1,Renewal 2026,closedwon,1000,2026-03-14 10:22,existingbusiness,default,Initech\n2,Seats,appointmentscheduled,\"$2,500.00\",3/14/2026,newbusiness,default,Initech\n3,Lost one,closedlost,10,2026-01-02,renewal,default,Initech\n",
        );
        assert_eq!((p.kind, p.system), (Kind::Opportunities, System::Hubspot));
        assert!(p.accounts.is_empty());
        let d = &p.deals;
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].account_name, "Initech");
        assert_eq!(d[0].account_id, None);
        assert_eq!(
            (d[0].status, d[0].deal_type, d[0].stage.as_str()),
            (DealStatus::Won, DealType::Expansion, "Closed Won")
        );
        assert_eq!(d[0].closed_on, NaiveDate::from_ymd_opt(2026, 3, 14));
        assert_eq!(d[1].closed_on, NaiveDate::from_ymd_opt(2026, 3, 14));
        assert_eq!(
            (d[1].status, d[1].deal_type),
            (DealStatus::Open, DealType::New)
        );
        assert_eq!(d[1].value_cents, Some(250_000));
        assert_eq!(
            (d[2].status, d[2].deal_type),
            (DealStatus::Lost, DealType::Renewal)
        );
        assert_eq!(
            d[0].product.as_deref(),
            Some("Renewal 2026 (existingbusiness)")
        );
    }

    #[test]
    fn hubspot_deals_name_their_company_by_id_or_by_name() {
        let by_ids = parse(
            "Record ID,Deal Name,Deal Stage,Close Date,Associated Company IDs\n1,A,Closed Won,2026-01-01,9001;9002\n2,B,Closed Won,2026-01-01,\n",
        );
        assert_eq!(by_ids.deals[0].account_id.as_deref(), Some("9001"));
        assert_eq!(by_ids.skipped.len(), 1, "a deal with no company is skipped");
        let numeric = parse(
            "Record ID,Deal Name,Deal Stage,Close Date,Associated Company\n1,A,closedwon,2026-01-01,9001\n",
        );
        assert_eq!(numeric.deals[0].account_id.as_deref(), Some("9001"));
        assert_eq!(numeric.deals[0].account_name, "9001");
    }

    #[test]
    fn salesforce_opportunities_by_api_names_and_by_report_labels() {
        let api = parse(
            "Id,AccountId,Name,StageName,Amount,CloseDate,Type,IsClosed,IsWon,OwnerId\n006000000000001AAA,001000000000001AAA,Renewal FY26,Negotiation,12000,2026-06-30,Renewal,false,false,005x\n006000000000002,001000000000001,Upsell,Signed,3000,2026-02-01,Existing Customer - Upgrade,true,true,005x\n006000000000003,001000000000001,Pilot,Closed Lost,500,2025-11-01,New Customer,,,005x\n",
        );
        assert_eq!(
            (api.kind, api.system),
            (Kind::Opportunities, System::Salesforce)
        );
        let d = &api.deals;
        assert_eq!(d[0].external_id, "006000000000001");
        assert_eq!(d[0].account_id.as_deref(), Some("001000000000001"));
        assert_eq!(
            (d[0].status, d[0].deal_type),
            (DealStatus::Open, DealType::Renewal)
        );
        assert_eq!(
            (d[1].status, d[1].deal_type),
            (DealStatus::Won, DealType::Expansion),
            "IsWon decides, whatever the stage is called"
        );
        assert_eq!(
            (d[2].status, d[2].deal_type),
            (DealStatus::Lost, DealType::New)
        );
        let labels = parse(
            "Opportunity ID,Account ID,Opportunity Name,Stage,Amount,Close Date,Type\n0065000000AAAAA,0015000000ABCDE,Renewal,Closed Won,\"$1,100.04\",2026-03-14,Renewal\n0065000000AAAAB,,No account,Prospecting,1,2026-03-14,\n0065000000AAAAC,0015000000ABCDE,Bad,Closed Won,abc,2026-03-14,\n",
        );
        assert_eq!(
            (labels.kind, labels.system),
            (Kind::Opportunities, System::Salesforce)
        );
        assert_eq!(labels.deals.len(), 1);
        assert_eq!(labels.deals[0].value_cents, Some(110_004));
        assert_eq!(labels.deals[0].status, DealStatus::Won);
        assert_eq!(labels.skipped.len(), 1);
        assert_eq!(labels.rejected.len(), 1);
        assert!(
            labels.rejected[0]
                .to_string()
                .starts_with("t.csv:4: amount")
        );
    }

    #[test]
    fn a_file_of_two_kinds_is_refused_with_what_was_seen() {
        let e = parse_file(
            "both.csv",
            b"Record ID,First Name,Last Name,Email,Deal Name,Deal Stage\n1,A,B,a@b.c,D,closedwon\n",
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("fit opportunities (deals) and contacts at once"),
            "{e}"
        );
        assert!(
            e.contains(
                "headers seen: Record ID, First Name, Last Name, Email, Deal Name, Deal Stage"
            ),
            "{e}"
        );
        assert!(e.contains("nothing was imported"), "{e}");
        assert_eq!(e.lines().count(), 1);
    }

    #[test]
    fn a_file_of_no_known_kind_is_refused_with_what_was_seen() {
        let e = parse_file(
            "tickets.csv",
            b"Ticket ID,Ticket name,Pipeline,Ticket status\n1,Broken,support,open\n",
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("headers seen: Ticket ID, Ticket name, Pipeline, Ticket status"),
            "{e}"
        );
        assert!(
            e.contains("kinds considered: accounts (companies), "),
            "{e}"
        );
        assert!(e.contains("opportunities (deals)"), "{e}");
        // A mapping makes it importable.
        let maps = [MapRule::parse("Ticket name=account_name").unwrap()];
        assert!(parse_file("tickets.csv", b"Ticket ID,Ticket name\n1,x\n", &maps).is_ok());
    }

    #[test]
    fn every_known_format_is_recognised_by_the_columns_that_define_it() {
        let kind = |h: &str| parse(&format!("{h}\n")).kind;
        assert_eq!(kind("Id,Name,ParentId"), Kind::Accounts);
        assert_eq!(kind("Record ID,Company name,Company owner"), Kind::Accounts);
        assert_eq!(kind("Id,AccountId,FirstName,LastName"), Kind::Contacts);
        let by_id = parse("Contact ID,Account ID,Name,Title\n003a,001a,Ann Lee,CFO\n");
        assert_eq!(by_id.kind, Kind::Contacts);
        assert_eq!(by_id.contacts[0].name, "Ann Lee");
        assert_eq!(
            kind("Record ID,First Name,Email,Associated Company"),
            Kind::Contacts
        );
        assert_eq!(
            kind("Id,AccountId,Name,StageName,CloseDate,ContactId"),
            Kind::Opportunities
        );
        assert_eq!(
            kind("Opportunity Name,Account Name,Stage,Close Date"),
            Kind::Opportunities
        );
        assert_eq!(
            kind("Deal Name,Deal Stage,Associated Company"),
            Kind::Opportunities
        );
        assert_eq!(kind("account,sector,subsidiary_of"), Kind::MavenAccounts);
        assert_eq!(
            kind("sales_agent,manager,regional_office"),
            Kind::MavenTeams
        );
        assert_eq!(
            kind(
                "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value"
            ),
            Kind::MavenPipeline
        );
        assert_eq!(kind("product,series,sales_price"), Kind::MavenReference);
    }

    fn deal(status: DealStatus, deal_type: DealType, closed: &str, cents: i64) -> DealRec {
        DealRec {
            status,
            deal_type,
            closed_on: NaiveDate::parse_from_str(closed, "%Y-%m-%d").ok(),
            value_cents: Some(cents),
            ..DealRec::default()
        }
    }

    #[test]
    fn contract_value_and_renewal_from_opportunities() {
        use DealStatus::{Lost, Open, Won};
        use DealType::{Expansion, New, OneTime, Renewal, Unknown};
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let terms = |deals: &[DealRec]| {
            let refs: Vec<&DealRec> = deals.iter().collect();
            let t = contract_terms(&refs, today);
            (t.value_cents, t.renewal_date.map(|d| d.to_string()))
        };
        // The latest won renewal is the value, the open renewal the date.
        assert_eq!(
            terms(&[
                deal(Won, Renewal, "2024-12-01", 90_000),
                deal(Won, Renewal, "2025-12-01", 100_000),
                deal(Won, Expansion, "2026-03-01", 20_000),
                deal(Open, Renewal, "2026-12-01", 120_000),
                deal(Lost, Renewal, "2026-10-01", 1),
            ]),
            (Some(100_000), Some("2026-12-01".into()))
        );
        // No renewal yet: the won recurring business of the last 12 months (not the
        // one-time services, not what closed before), renewal a year after the last win.
        assert_eq!(
            terms(&[
                deal(Won, New, "2026-01-15", 50_000),
                deal(Won, Unknown, "2026-06-01", 10_000),
                deal(Won, OneTime, "2026-07-01", 99_000),
                deal(Won, New, "2025-11-23", 7),
                deal(Lost, Expansion, "2026-08-01", 5),
            ]),
            (Some(60_000), Some("2027-06-01".into()))
        );
        // Nothing won in a year: no value to set, the renewal still follows the last win.
        assert_eq!(
            terms(&[deal(Won, New, "2024-05-02", 5)]),
            (None, Some("2025-05-02".into()))
        );
        assert_eq!(terms(&[deal(Open, New, "2027-01-01", 5)]), (None, None));
        // The README's worked example.
        let globex = [
            deal(Won, DealType::of("newbusiness"), "2026-08-15", 1_200_000),
            deal(
                Won,
                DealType::of("One-time services"),
                "2026-08-25",
                500_000,
            ),
            deal(Won, DealType::of("existingbusiness"), "2026-10-24", 300_000),
            deal(Lost, DealType::of("existingbusiness"), "2026-11-03", 80_000),
        ];
        assert_eq!(terms(&globex), (Some(1_500_000), Some("2027-10-24".into())));
        let mut renewing = globex.to_vec();
        renewing.push(deal(Open, DealType::of("Renewal"), "2027-09-30", 1_600_000));
        assert_eq!(
            terms(&renewing),
            (Some(1_500_000), Some("2027-09-30".into()))
        );
        renewing.push(deal(Won, DealType::of("Renewal"), "2026-11-20", 1_600_000));
        assert_eq!(
            terms(&renewing),
            (Some(1_600_000), Some("2027-09-30".into()))
        );
        assert_eq!(terms(&[]), (None, None));
    }

    #[test]
    fn contacts_without_a_role_get_one_guessed_from_their_title() {
        let p = parse(
            "Email,Company,Title,Role\na@x.com,X,CFO,\nb@x.com,X,CFO,Champion\nc@x.com,X,Gardener,\n",
        );
        let roles: Vec<_> = p
            .contacts
            .iter()
            .map(|c| (c.role, c.role_guessed))
            .collect();
        assert_eq!(
            roles,
            [
                (Some(Role::EconomicBuyer), true),
                (Some(Role::Champion), false),
                (None, false)
            ]
        );
    }
}
