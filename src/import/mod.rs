//! `attuned import`: recognising CRM exports by their headers and turning their rows into
//! records. Everything here is pure (no SQL): `store::import` writes the records.
//!
//! Known files: Salesforce Account and Contact exports (API names such as `Id, Name,
//! ParentId, OwnerId` / `Id, AccountId, FirstName, LastName, ReportsToId`, or report
//! labels such as `Account ID, Account Name`), HubSpot Companies and Contacts (`Record
//! ID, Company name, Company owner` / `Record ID, First Name, Last Name, Associated
//! Company`), the Maven CRM sample (`accounts.csv`, `sales_teams.csv`,
//! `sales_pipeline.csv`), and `attuned export --format json`. Any other CSV is read with
//! `--map 'Header=field'`; a guess is offered.

pub mod csv;
pub mod json;

use std::collections::HashMap;

use chrono::NaiveDate;

use self::csv::{Row, Table, parse_amount, parse_date};
use crate::domain::limits::{self, Limit};
use crate::domain::model::{Role, Segment, Sentiment, Strength};
use crate::error::{Error, Result};

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
                Error::Invalid(format!(
                    "--map: unknown field {s:?}; fields are {}",
                    FIELDS
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
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
        let (h, f) = s
            .rsplit_once('=')
            .ok_or_else(|| Error::Invalid(format!("--map {s:?}: expected 'Header=field'")))?;
        if h.trim().is_empty() {
            return Err(Error::Invalid(format!("--map {s:?}: the header is empty")));
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

/// An opportunity of the Maven pipeline: a touch in the account's history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DealRec {
    pub line: u64,
    pub external_id: String,
    pub account_name: String,
    pub csm: Option<String>,
    pub product: Option<String>,
    pub stage: String,
    pub engaged_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub value_cents: Option<i64>,
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
}

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

/// Recognises a file by its headers; `None` for Maven, whose columns are fixed.
fn recognise(headers: &[String]) -> (Kind, System, bool) {
    let set: Vec<String> = headers.iter().map(|h| norm(h)).collect();
    let is = |cols: &[&str]| cols.iter().all(|c| set.iter().any(|s| s == c));
    if is(&["account", "sector", "subsidiaryof"]) {
        return (Kind::MavenAccounts, System::Maven, true);
    }
    if is(&["salesagent", "manager"]) && !set.iter().any(|s| s == "opportunityid") {
        return (Kind::MavenTeams, System::Maven, true);
    }
    if is(&["opportunityid", "salesagent", "account", "dealstage"]) {
        return (Kind::MavenPipeline, System::Maven, true);
    }
    if is(&["product", "series", "salesprice"]) || is(&["table", "field", "description"]) {
        return (Kind::MavenReference, System::Maven, true);
    }
    let contacts = has(
        headers,
        &[
            "firstname",
            "lastname",
            "contactid",
            "reportstoid",
            "jobtitle",
            "email",
        ],
    );
    let kind = if contacts {
        Kind::Contacts
    } else {
        Kind::Accounts
    };
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
    let system = if hubspot {
        System::Hubspot
    } else if salesforce {
        System::Salesforce
    } else {
        System::Csv
    };
    (kind, system, system != System::Csv)
}

/// Reads one file's bytes into records. `maps` are the user's `--map` rules (applied to
/// any file with such a header); a file that is neither known nor mapped gets a guessed
/// mapping, marked `guessed`.
pub fn parse_file(file: &str, bytes: &[u8], maps: &[MapRule]) -> Result<Parsed> {
    if looks_like_json(bytes) {
        return Err(Error::Invalid(format!(
            "{file}: JSON is imported whole (attuned export --format json); use it alone"
        )));
    }
    let table = csv::parse(file, bytes)?;
    let (kind, system, known) = recognise(&table.headers);
    let mut p = match kind {
        Kind::MavenAccounts => maven_accounts(file, &table),
        Kind::MavenTeams => maven_teams(file, &table),
        Kind::MavenPipeline => maven_pipeline(file, &table),
        Kind::MavenReference => Parsed::new(file, kind, System::Maven),
        Kind::Accounts | Kind::Contacts => {
            let user: Vec<&MapRule> = maps
                .iter()
                .filter(|m| table.headers.iter().any(|h| norm(h) == norm(&m.header)))
                .collect();
            let mut fields: Vec<Option<Field>> = table
                .headers
                .iter()
                .map(|h| guess_field(h, kind == Kind::Contacts))
                .collect();
            for m in &user {
                for (i, h) in table.headers.iter().enumerate() {
                    if norm(h) == norm(&m.header) {
                        fields[i] = Some(m.field);
                    }
                }
            }
            // A user mapping may turn an accounts file into a contacts file.
            let kind = if fields.iter().flatten().any(|f| f.is_contact_only()) {
                Kind::Contacts
            } else {
                Kind::Accounts
            };
            let mut p = Parsed::new(file, kind, system);
            p.guessed = !known && user.is_empty();
            p.mapping = table
                .headers
                .iter()
                .zip(&fields)
                .map(|(h, f)| (h.clone(), f.unwrap_or(Field::Ignore)))
                .collect();
            mapped(&mut p, &table, &fields);
            p
        }
    };
    p.file = file.to_string();
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
            Kind::Contacts => contact_row(row, &col, system)
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

fn contact_row(row: &Row, col: &Col<'_>, system: System) -> Result<ContactRec, String> {
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
    let role = match parse(Field::Role) {
        Some(r) => Some(role_of(&r).ok_or_else(|| format!("role {r:?} is not one attuned knows"))?),
        None => None,
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
        title: parse(Field::Title),
        email,
        role,
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

fn maven_accounts(file: &str, table: &Table) -> Parsed {
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

fn maven_teams(file: &str, table: &Table) -> Parsed {
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

fn maven_pipeline(file: &str, table: &Table) -> Parsed {
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
        p.deals.push(DealRec {
            line: row.line,
            external_id: id,
            account_name: account,
            csm: text(row, at("salesagent")),
            product: text(row, at("product")),
            stage,
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
}
