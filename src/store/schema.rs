//! The schema, as a list of migrations applied in order (`PRAGMA user_version`).
//!
//! Ids are 64-bit: the high 32 bits are the file's random origin (in `meta`), the low 32
//! bits a sequence. Files of different CSMs can therefore be combined without collisions,
//! and inserts stay append-only within one file.
//!
//! Closed sets are checked with `=` chains rather than `IN (...)`: SQLite evaluates an
//! `IN` list in a CHECK by building a temporary table per row, which made bulk writes
//! over twice as slow.
//!
//! Columns under "summary" on `accounts` are derived: the store recomputes them in the same
//! transaction as every write that affects them, so the portfolio never needs a scan.

use rusqlite_migration::{M, Migrations};

const V1: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE csms (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    email        TEXT,
    region       TEXT,
    team_lead_id INTEGER REFERENCES csms(id),
    is_team_lead INTEGER NOT NULL DEFAULT 0 CHECK (is_team_lead = 0 OR is_team_lead = 1),
    is_me        INTEGER NOT NULL DEFAULT 0 CHECK (is_me = 0 OR is_me = 1),
    created_at   TEXT NOT NULL
) STRICT;

CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    segment        TEXT NOT NULL CHECK (segment = 'enterprise' OR segment = 'mid_market' OR segment = 'smb'),
    tier           INTEGER NOT NULL DEFAULT 2 CHECK (tier BETWEEN 1 AND 3),
    industry       TEXT,
    contract_value INTEGER NOT NULL DEFAULT 0 CHECK (contract_value >= 0), -- cents a year
    renewal_date   TEXT,                                                    -- YYYY-MM-DD
    owner_csm_id   INTEGER REFERENCES csms(id),
    parent_id      INTEGER REFERENCES accounts(id),
    created_at     TEXT NOT NULL,
    archived_at    TEXT,
    -- summary, kept current by the store
    pulse             TEXT CHECK (pulse = 'red' OR pulse = 'yellow' OR pulse = 'green'),
    pulse_prev        TEXT CHECK (pulse_prev = 'red' OR pulse_prev = 'yellow' OR pulse_prev = 'green'),
    pulse_at          TEXT,
    personas_total    INTEGER NOT NULL DEFAULT 0,
    personas_strong   INTEGER NOT NULL DEFAULT 0,
    coverage_pct      INTEGER NOT NULL DEFAULT 0,
    missing_roles     TEXT NOT NULL DEFAULT '',
    risk              INTEGER NOT NULL DEFAULT 0,
    risk_as_of        TEXT,
    last_touch_at     TEXT,
    next_followup_on  TEXT,
    overdue_followups INTEGER NOT NULL DEFAULT 0,
    -- sort keys for keyset pagination (NULLs sort last)
    seg_tier_key  INTEGER GENERATED ALWAYS AS (
        (CASE segment WHEN 'enterprise' THEN 0 WHEN 'mid_market' THEN 1 ELSE 2 END) * 10 + tier
    ) VIRTUAL,
    pulse_key     INTEGER GENERATED ALWAYS AS (
        CASE pulse WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 WHEN 'green' THEN 2 ELSE 3 END
    ) VIRTUAL,
    renewal_key   TEXT GENERATED ALWAYS AS (ifnull(renewal_date, '9999-12-31')) VIRTUAL,
    touch_key     TEXT GENERATED ALWAYS AS (ifnull(last_touch_at, '')) VIRTUAL,
    followup_key  TEXT GENERATED ALWAYS AS (ifnull(next_followup_on, '9999-12-31')) VIRTUAL,
    pulse_at_key  TEXT GENERATED ALWAYS AS (ifnull(pulse_at, '')) VIRTUAL
) STRICT;

-- Sort and filter indexes cover only live accounts, so a quick filter is counted from an
-- index range without reading the accounts themselves.
CREATE INDEX accounts_by_name     ON accounts(name COLLATE NOCASE, id) WHERE archived_at IS NULL;
CREATE INDEX accounts_by_segment  ON accounts(seg_tier_key, id) WHERE archived_at IS NULL;
CREATE INDEX accounts_by_value    ON accounts(contract_value, id) WHERE archived_at IS NULL;
CREATE INDEX accounts_by_renewal  ON accounts(renewal_key, id) WHERE archived_at IS NULL;
CREATE INDEX accounts_by_pulse    ON accounts(pulse_key, id) WHERE archived_at IS NULL;
CREATE INDEX accounts_by_coverage ON accounts(coverage_pct, id) WHERE archived_at IS NULL;
CREATE INDEX accounts_by_risk     ON accounts(risk, id) WHERE archived_at IS NULL;
CREATE INDEX accounts_by_touch    ON accounts(touch_key, id) WHERE archived_at IS NULL;
CREATE INDEX accounts_by_followup ON accounts(followup_key, id) WHERE archived_at IS NULL;
CREATE INDEX accounts_by_pulse_at ON accounts(pulse_at_key, id) WHERE archived_at IS NULL;

-- Account names by trigram, so "contains" filters find rare matches without a scan.
CREATE VIRTUAL TABLE account_names USING fts5(
    name, content = 'accounts', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER account_names_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO account_names (rowid, name) VALUES (NEW.id, NEW.name);
END;
CREATE TRIGGER account_names_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO account_names (account_names, rowid, name) VALUES ('delete', OLD.id, OLD.name);
END;
CREATE TRIGGER account_names_update AFTER UPDATE OF name ON accounts BEGIN
    INSERT INTO account_names (account_names, rowid, name) VALUES ('delete', OLD.id, OLD.name);
    INSERT INTO account_names (rowid, name) VALUES (NEW.id, NEW.name);
END;

CREATE INDEX accounts_by_owner    ON accounts(owner_csm_id);
CREATE INDEX accounts_by_parent   ON accounts(parent_id);
CREATE INDEX accounts_risk_stale  ON accounts(risk_as_of);

-- CRM ids of accounts, personas and CSMs, so re-imports update instead of duplicating.
CREATE TABLE external_ids (
    entity      TEXT NOT NULL CHECK (entity = 'account' OR entity = 'persona' OR entity = 'csm'),
    local_id    INTEGER NOT NULL,
    system      TEXT NOT NULL,          -- 'salesforce', 'hubspot', 'maven', ...
    external_id TEXT NOT NULL,
    PRIMARY KEY (entity, system, external_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX external_ids_local ON external_ids(entity, local_id);

CREATE TABLE personas (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    title           TEXT,
    email           TEXT,
    phone           TEXT,
    role            TEXT NOT NULL DEFAULT 'other' CHECK (role = 'champion' OR role = 'economic_buyer' OR role = 'executive_sponsor' OR role = 'decision_maker' OR role = 'technical_lead' OR role = 'admin' OR role = 'end_user' OR role = 'detractor' OR role = 'other'),
    reports_to_id   INTEGER REFERENCES personas(id) ON DELETE SET NULL,
    strength        TEXT NOT NULL DEFAULT 'none'
                        CHECK (strength = 'none' OR strength = 'weak' OR strength = 'okay' OR strength = 'very_good'),
    sentiment       TEXT NOT NULL DEFAULT 'neutral'
                        CHECK (sentiment = 'negative' OR sentiment = 'neutral' OR sentiment = 'positive'),
    last_contact_at TEXT,
    notes           TEXT,
    created_at      TEXT NOT NULL,
    archived_at     TEXT
) STRICT;
CREATE INDEX personas_by_account ON personas(account_id);
CREATE INDEX personas_by_manager ON personas(reports_to_id);

-- Every change of a persona's strength or sentiment, with when and why.
CREATE TABLE persona_changes (
    id         INTEGER PRIMARY KEY,
    persona_id INTEGER NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
    changed_at TEXT NOT NULL,
    strength   TEXT NOT NULL CHECK (strength = 'none' OR strength = 'weak' OR strength = 'okay' OR strength = 'very_good'),
    sentiment  TEXT NOT NULL CHECK (sentiment = 'negative' OR sentiment = 'neutral' OR sentiment = 'positive'),
    reason     TEXT,
    touch_id   INTEGER REFERENCES touches(id) ON DELETE SET NULL
) STRICT;
CREATE INDEX persona_changes_by_persona ON persona_changes(persona_id, changed_at);

-- The CSM's Red/Yellow/Green read of an account, as a history.
CREATE TABLE pulse_history (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    pulse      TEXT NOT NULL CHECK (pulse = 'red' OR pulse = 'yellow' OR pulse = 'green'),
    reason     TEXT,
    set_at     TEXT NOT NULL,
    csm_id     INTEGER REFERENCES csms(id),
    touch_id   INTEGER REFERENCES touches(id) ON DELETE SET NULL
) STRICT;
CREATE INDEX pulse_history_by_account ON pulse_history(account_id, set_at);

CREATE TABLE touches (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    csm_id        INTEGER REFERENCES csms(id),
    kind          TEXT NOT NULL CHECK (kind = 'call' OR kind = 'meeting' OR kind = 'email' OR kind = 'qbr' OR kind = 'note'),
    call_type     TEXT CHECK (call_type = 'check_in' OR call_type = 'escalation' OR call_type = 'renewal' OR call_type = 'onboarding' OR call_type = 'qbr'),
    status        TEXT NOT NULL DEFAULT 'done' CHECK (status = 'in_progress' OR status = 'retro_pending' OR status = 'done'),
    occurred_at   TEXT NOT NULL,
    ended_at      TEXT,
    summary       TEXT,
    notes         TEXT,
    -- tags
    sentiment     TEXT CHECK (sentiment = 'red' OR sentiment = 'yellow' OR sentiment = 'green'),
    intervention  TEXT CHECK (intervention = 'empathy' OR intervention = 'coaching' OR intervention = 'escalation' OR intervention = 'product_fix'),
    followup_on   TEXT,
    no_followup   INTEGER NOT NULL DEFAULT 0 CHECK (no_followup = 0 OR no_followup = 1),
    outcome       TEXT,
    csat          INTEGER CHECK (csat BETWEEN 1 AND 5),
    escalated     INTEGER NOT NULL DEFAULT 0 CHECK (escalated = 0 OR escalated = 1),
    -- retrospective (step 6)
    retro_worked  TEXT,
    retro_failed  TEXT,
    retro_at      TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX touches_by_account ON touches(account_id, occurred_at);
CREATE INDEX touches_by_csm     ON touches(csm_id, occurred_at);
CREATE INDEX touches_open       ON touches(status) WHERE status <> 'done';

CREATE TABLE touch_participants (
    touch_id   INTEGER NOT NULL REFERENCES touches(id) ON DELETE CASCADE,
    persona_id INTEGER NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
    PRIMARY KEY (touch_id, persona_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX touch_participants_by_persona ON touch_participants(persona_id);

-- One row per checklist step of a call: timings, skips and the note typed on it.
CREATE TABLE touch_steps (
    id             INTEGER PRIMARY KEY,
    touch_id       INTEGER NOT NULL REFERENCES touches(id) ON DELETE CASCADE,
    step           INTEGER NOT NULL CHECK (step BETWEEN 1 AND 6),
    started_at     TEXT,
    ended_at       TEXT,
    elapsed_ms     INTEGER NOT NULL DEFAULT 0,
    skipped_reason TEXT,
    note           TEXT NOT NULL DEFAULT '',
    note_saved_at  TEXT,
    UNIQUE (touch_id, step)
) STRICT;

-- Which prompts were shown during a call, and whether the CSM used them.
CREATE TABLE touch_prompts (
    id         INTEGER PRIMARY KEY,
    touch_id   INTEGER NOT NULL REFERENCES touches(id) ON DELETE CASCADE,
    step       INTEGER NOT NULL CHECK (step BETWEEN 1 AND 6),
    prompt_key TEXT NOT NULL,
    shown_at   TEXT NOT NULL,
    used       INTEGER NOT NULL DEFAULT 0 CHECK (used = 0 OR used = 1)
) STRICT;
CREATE INDEX touch_prompts_by_touch ON touch_prompts(touch_id);
CREATE INDEX touch_prompts_by_key   ON touch_prompts(prompt_key);

-- Earlier values of a corrected touch.
CREATE TABLE touch_revisions (
    id         INTEGER PRIMARY KEY,
    touch_id   INTEGER NOT NULL REFERENCES touches(id) ON DELETE CASCADE,
    revised_at TEXT NOT NULL,
    previous   TEXT NOT NULL -- JSON of the fields before the correction
) STRICT;
CREATE INDEX touch_revisions_by_touch ON touch_revisions(touch_id);

CREATE TABLE followups (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    touch_id    INTEGER REFERENCES touches(id) ON DELETE SET NULL,
    persona_id  INTEGER REFERENCES personas(id) ON DELETE SET NULL,
    due_on      TEXT NOT NULL,
    action      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    done_at     TEXT,
    snoozed_from TEXT
) STRICT;
CREATE INDEX followups_open_by_due ON followups(due_on) WHERE done_at IS NULL;
CREATE INDEX followups_by_account  ON followups(account_id, due_on);

CREATE TABLE signals (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind = 'nps' OR kind = 'csat' OR kind = 'open_tickets' OR kind = 'usage_trend' OR kind = 'competitor_mention'),
    value       REAL NOT NULL,
    note        TEXT,
    observed_at TEXT NOT NULL
) STRICT;
CREATE INDEX signals_by_account ON signals(account_id, kind, observed_at);

-- Portfolio totals kept current by triggers, so the header never scans the accounts.
CREATE TABLE portfolio_totals (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    accounts       INTEGER NOT NULL,
    contract_value INTEGER NOT NULL,
    value_at_risk  INTEGER NOT NULL,
    red            INTEGER NOT NULL,
    yellow         INTEGER NOT NULL,
    green          INTEGER NOT NULL,
    unrated        INTEGER NOT NULL
) STRICT;
INSERT INTO portfolio_totals VALUES (1, 0, 0, 0, 0, 0, 0, 0);

CREATE TRIGGER accounts_totals_insert AFTER INSERT ON accounts WHEN NEW.archived_at IS NULL
BEGIN
    UPDATE portfolio_totals SET
        accounts = accounts + 1,
        contract_value = contract_value + NEW.contract_value,
        value_at_risk = value_at_risk + (CASE WHEN NEW.risk >= 50 THEN NEW.contract_value ELSE 0 END),
        red = red + (NEW.pulse IS 'red'),
        yellow = yellow + (NEW.pulse IS 'yellow'),
        green = green + (NEW.pulse IS 'green'),
        unrated = unrated + (NEW.pulse IS NULL)
    WHERE id = 1;
END;

CREATE TRIGGER accounts_totals_delete AFTER DELETE ON accounts WHEN OLD.archived_at IS NULL
BEGIN
    UPDATE portfolio_totals SET
        accounts = accounts - 1,
        contract_value = contract_value - OLD.contract_value,
        value_at_risk = value_at_risk - (CASE WHEN OLD.risk >= 50 THEN OLD.contract_value ELSE 0 END),
        red = red - (OLD.pulse IS 'red'),
        yellow = yellow - (OLD.pulse IS 'yellow'),
        green = green - (OLD.pulse IS 'green'),
        unrated = unrated - (OLD.pulse IS NULL)
    WHERE id = 1;
END;

CREATE TRIGGER accounts_totals_update
AFTER UPDATE OF contract_value, risk, pulse, archived_at ON accounts
BEGIN
    UPDATE portfolio_totals SET
        accounts = accounts - (OLD.archived_at IS NULL) + (NEW.archived_at IS NULL),
        contract_value = contract_value
            - (CASE WHEN OLD.archived_at IS NULL THEN OLD.contract_value ELSE 0 END)
            + (CASE WHEN NEW.archived_at IS NULL THEN NEW.contract_value ELSE 0 END),
        value_at_risk = value_at_risk
            - (CASE WHEN OLD.archived_at IS NULL AND OLD.risk >= 50 THEN OLD.contract_value ELSE 0 END)
            + (CASE WHEN NEW.archived_at IS NULL AND NEW.risk >= 50 THEN NEW.contract_value ELSE 0 END),
        red = red - (OLD.archived_at IS NULL AND OLD.pulse IS 'red')
                  + (NEW.archived_at IS NULL AND NEW.pulse IS 'red'),
        yellow = yellow - (OLD.archived_at IS NULL AND OLD.pulse IS 'yellow')
                        + (NEW.archived_at IS NULL AND NEW.pulse IS 'yellow'),
        green = green - (OLD.archived_at IS NULL AND OLD.pulse IS 'green')
                      + (NEW.archived_at IS NULL AND NEW.pulse IS 'green'),
        unrated = unrated - (OLD.archived_at IS NULL AND OLD.pulse IS NULL)
                          + (NEW.archived_at IS NULL AND NEW.pulse IS NULL)
    WHERE id = 1;
END;
"#;

/// V2: touches get CRM ids too (an imported pipeline's opportunities), so re-importing a
/// history updates it instead of adding it again.
const V2: &str = r#"
CREATE TABLE external_ids_v2 (
    entity      TEXT NOT NULL CHECK (entity = 'account' OR entity = 'persona' OR entity = 'csm' OR entity = 'touch'),
    local_id    INTEGER NOT NULL,
    system      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    PRIMARY KEY (entity, system, external_id)
) STRICT, WITHOUT ROWID;
INSERT INTO external_ids_v2 SELECT entity, local_id, system, external_id FROM external_ids;
DROP TABLE external_ids;
ALTER TABLE external_ids_v2 RENAME TO external_ids;
CREATE INDEX external_ids_local ON external_ids(entity, local_id);
"#;

/// V3: adaptability audits. A team lead draws a sample of each CSM's touches per quarter
/// and scores each on the 1–5 rubric and the six pillars (NULL until scored).
///
/// No foreign keys on `touch_id` and `csm_id`, on purpose: audits live in the team lead's
/// merged team file, and `team merge` replaces each CSM's touches wholesale with foreign
/// keys off. An audit must survive that (and an audit whose touch vanished says so on
/// screen), so a cascade or a dangling-reference check would be wrong here.
const V3: &str = r#"
CREATE TABLE audits (
    id              INTEGER PRIMARY KEY,
    touch_id        INTEGER NOT NULL,
    csm_id          INTEGER NOT NULL,
    quarter         TEXT NOT NULL CHECK (quarter GLOB '[0-9][0-9][0-9][0-9]Q[1-4]'),
    seed            INTEGER NOT NULL,
    drawn_at        TEXT NOT NULL,
    rubric          INTEGER CHECK (rubric BETWEEN 1 AND 5),
    personalization INTEGER CHECK (personalization BETWEEN 1 AND 5),
    integrity       INTEGER CHECK (integrity BETWEEN 1 AND 5),
    expectations    INTEGER CHECK (expectations BETWEEN 1 AND 5),
    empathy         INTEGER CHECK (empathy BETWEEN 1 AND 5),
    time_to_value   INTEGER CHECK (time_to_value BETWEEN 1 AND 5),
    responsibility  INTEGER CHECK (responsibility BETWEEN 1 AND 5),
    comment         TEXT NOT NULL DEFAULT '',
    scored_at       TEXT,
    UNIQUE (touch_id, quarter)
) STRICT;
CREATE INDEX audits_by_csm ON audits(csm_id, quarter);
"#;

/// V4: the team view's figures per CSM without reading the accounts: `csm_totals` is
/// kept by triggers, like `portfolio_totals`: per owner, their live accounts' figures
/// (overdue follow-ups as of each account's last summary refresh, like its risk), and per
/// CSM the calls they ran; key 0 holds the accounts without an owner. No foreign key:
/// `team merge` replaces a CSM's rows with foreign keys off. Stale sentiments depend on
/// the day, so they are counted per owner on an index range; the open follow-ups' index
/// carries their account (those due today per owner).
const V4: &str = r#"
CREATE TABLE csm_totals (
    csm_id            INTEGER PRIMARY KEY,
    accounts          INTEGER NOT NULL DEFAULT 0,
    contract_value    INTEGER NOT NULL DEFAULT 0,
    value_at_risk     INTEGER NOT NULL DEFAULT 0,
    red               INTEGER NOT NULL DEFAULT 0,
    yellow            INTEGER NOT NULL DEFAULT 0,
    green             INTEGER NOT NULL DEFAULT 0,
    unrated           INTEGER NOT NULL DEFAULT 0,
    overdue_followups INTEGER NOT NULL DEFAULT 0,
    calls             INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT INTO csm_totals (csm_id, accounts, contract_value, value_at_risk, red, yellow, green,
    unrated, overdue_followups)
SELECT ifnull(owner_csm_id, 0), count(*), sum(contract_value),
    sum(CASE WHEN risk >= 50 THEN contract_value ELSE 0 END),
    sum(pulse IS 'red'), sum(pulse IS 'yellow'), sum(pulse IS 'green'), sum(pulse IS NULL),
    sum(overdue_followups)
FROM accounts WHERE archived_at IS NULL GROUP BY 1;

INSERT INTO csm_totals (csm_id, calls)
SELECT csm_id, count(*) FROM touches WHERE kind = 'call' AND csm_id IS NOT NULL GROUP BY csm_id
ON CONFLICT (csm_id) DO UPDATE SET calls = excluded.calls;

CREATE TRIGGER csm_totals_account_insert AFTER INSERT ON accounts WHEN NEW.archived_at IS NULL
BEGIN
    INSERT INTO csm_totals (csm_id, accounts, contract_value, value_at_risk, red, yellow,
        green, unrated, overdue_followups)
    VALUES (ifnull(NEW.owner_csm_id, 0), 1, NEW.contract_value,
        CASE WHEN NEW.risk >= 50 THEN NEW.contract_value ELSE 0 END,
        NEW.pulse IS 'red', NEW.pulse IS 'yellow', NEW.pulse IS 'green', NEW.pulse IS NULL,
        NEW.overdue_followups)
    ON CONFLICT (csm_id) DO UPDATE SET
        accounts = accounts + 1,
        contract_value = contract_value + excluded.contract_value,
        value_at_risk = value_at_risk + excluded.value_at_risk,
        red = red + excluded.red,
        yellow = yellow + excluded.yellow,
        green = green + excluded.green,
        unrated = unrated + excluded.unrated,
        overdue_followups = overdue_followups + excluded.overdue_followups;
END;

CREATE TRIGGER csm_totals_account_delete AFTER DELETE ON accounts WHEN OLD.archived_at IS NULL
BEGIN
    UPDATE csm_totals SET
        accounts = accounts - 1,
        contract_value = contract_value - OLD.contract_value,
        value_at_risk = value_at_risk - (CASE WHEN OLD.risk >= 50 THEN OLD.contract_value ELSE 0 END),
        red = red - (OLD.pulse IS 'red'),
        yellow = yellow - (OLD.pulse IS 'yellow'),
        green = green - (OLD.pulse IS 'green'),
        unrated = unrated - (OLD.pulse IS NULL),
        overdue_followups = overdue_followups - OLD.overdue_followups
    WHERE csm_id = ifnull(OLD.owner_csm_id, 0);
END;

CREATE TRIGGER csm_totals_account_update
AFTER UPDATE OF owner_csm_id, contract_value, risk, pulse, archived_at, overdue_followups ON accounts
WHEN OLD.archived_at IS NULL OR NEW.archived_at IS NULL
BEGIN
    UPDATE csm_totals SET
        accounts = accounts - 1,
        contract_value = contract_value - OLD.contract_value,
        value_at_risk = value_at_risk - (CASE WHEN OLD.risk >= 50 THEN OLD.contract_value ELSE 0 END),
        red = red - (OLD.pulse IS 'red'),
        yellow = yellow - (OLD.pulse IS 'yellow'),
        green = green - (OLD.pulse IS 'green'),
        unrated = unrated - (OLD.pulse IS NULL),
        overdue_followups = overdue_followups - OLD.overdue_followups
    WHERE csm_id = ifnull(OLD.owner_csm_id, 0) AND OLD.archived_at IS NULL;
    INSERT INTO csm_totals (csm_id, accounts, contract_value, value_at_risk, red, yellow,
        green, unrated, overdue_followups)
    SELECT ifnull(NEW.owner_csm_id, 0), 1, NEW.contract_value,
        CASE WHEN NEW.risk >= 50 THEN NEW.contract_value ELSE 0 END,
        NEW.pulse IS 'red', NEW.pulse IS 'yellow', NEW.pulse IS 'green', NEW.pulse IS NULL,
        NEW.overdue_followups
    WHERE NEW.archived_at IS NULL
    ON CONFLICT (csm_id) DO UPDATE SET
        accounts = accounts + 1,
        contract_value = contract_value + excluded.contract_value,
        value_at_risk = value_at_risk + excluded.value_at_risk,
        red = red + excluded.red,
        yellow = yellow + excluded.yellow,
        green = green + excluded.green,
        unrated = unrated + excluded.unrated,
        overdue_followups = overdue_followups + excluded.overdue_followups;
END;

CREATE TRIGGER csm_totals_call_insert AFTER INSERT ON touches
WHEN NEW.kind = 'call' AND NEW.csm_id IS NOT NULL
BEGIN
    INSERT INTO csm_totals (csm_id, calls) VALUES (NEW.csm_id, 1)
    ON CONFLICT (csm_id) DO UPDATE SET calls = calls + 1;
END;

CREATE TRIGGER csm_totals_call_delete AFTER DELETE ON touches
WHEN OLD.kind = 'call' AND OLD.csm_id IS NOT NULL
BEGIN
    UPDATE csm_totals SET calls = calls - 1 WHERE csm_id = OLD.csm_id;
END;

CREATE TRIGGER csm_totals_call_update AFTER UPDATE OF kind, csm_id ON touches
WHEN (OLD.kind = 'call' AND OLD.csm_id IS NOT NULL) OR (NEW.kind = 'call' AND NEW.csm_id IS NOT NULL)
BEGIN
    UPDATE csm_totals SET calls = calls - 1
    WHERE csm_id = OLD.csm_id AND OLD.kind = 'call';
    INSERT INTO csm_totals (csm_id, calls) SELECT NEW.csm_id, 1
    WHERE NEW.kind = 'call' AND NEW.csm_id IS NOT NULL
    ON CONFLICT (csm_id) DO UPDATE SET calls = calls + 1;
END;

CREATE INDEX accounts_by_owner_stale ON accounts(owner_csm_id, pulse_at_key)
    WHERE archived_at IS NULL;
DROP INDEX followups_open_by_due;
CREATE INDEX followups_open_by_due ON followups(due_on, account_id) WHERE done_at IS NULL;
"#;

/// V5: coaching KPIs read every touch once in (account, time) order: the account index
/// carries what the KPIs need (tags, CSAT, outcome), so the pass never reads the touches
/// themselves. It replaces `touches_by_account`, whose columns it starts with.
const V5: &str = r#"
DROP INDEX touches_by_account;
CREATE INDEX touches_by_account ON touches(
    account_id, occurred_at, csm_id, kind, call_type, status, sentiment, intervention,
    escalated, csat, followup_on, no_followup, outcome
);
"#;

/// V6: each sort index also carries the columns the quick filters and the owner filter
/// test, after its key and id (so the order is unchanged): walking it for a rare
/// combination of filters tests them on the index and reads only the matching accounts,
/// instead of reading each account it passes (30 ms for all four filters on 100k
/// accounts, 3 ms so).
const V6: &str = r#"
DROP INDEX accounts_by_name;
CREATE INDEX accounts_by_name ON accounts(name COLLATE NOCASE, id,
    risk, renewal_key, pulse_at_key, followup_key, owner_csm_id) WHERE archived_at IS NULL;
DROP INDEX accounts_by_segment;
CREATE INDEX accounts_by_segment ON accounts(seg_tier_key, id,
    risk, renewal_key, pulse_at_key, followup_key, owner_csm_id) WHERE archived_at IS NULL;
DROP INDEX accounts_by_value;
CREATE INDEX accounts_by_value ON accounts(contract_value, id,
    risk, renewal_key, pulse_at_key, followup_key, owner_csm_id) WHERE archived_at IS NULL;
DROP INDEX accounts_by_renewal;
CREATE INDEX accounts_by_renewal ON accounts(renewal_key, id,
    risk, pulse_at_key, followup_key, owner_csm_id) WHERE archived_at IS NULL;
DROP INDEX accounts_by_pulse;
CREATE INDEX accounts_by_pulse ON accounts(pulse_key, id,
    risk, renewal_key, pulse_at_key, followup_key, owner_csm_id) WHERE archived_at IS NULL;
DROP INDEX accounts_by_coverage;
CREATE INDEX accounts_by_coverage ON accounts(coverage_pct, id,
    risk, renewal_key, pulse_at_key, followup_key, owner_csm_id) WHERE archived_at IS NULL;
DROP INDEX accounts_by_risk;
CREATE INDEX accounts_by_risk ON accounts(risk, id,
    renewal_key, pulse_at_key, followup_key, owner_csm_id) WHERE archived_at IS NULL;
DROP INDEX accounts_by_touch;
CREATE INDEX accounts_by_touch ON accounts(touch_key, id,
    risk, renewal_key, pulse_at_key, followup_key, owner_csm_id) WHERE archived_at IS NULL;
DROP INDEX accounts_by_followup;
CREATE INDEX accounts_by_followup ON accounts(followup_key, id,
    risk, renewal_key, pulse_at_key, owner_csm_id) WHERE archived_at IS NULL;
"#;

/// V7: a persona's role guessed from their title on import is marked as a guess (shown
/// with a `?`) until a CSM sets the role; a re-import may update a guess, never a role a
/// CSM set.
const V7: &str = r#"
ALTER TABLE personas ADD COLUMN role_guessed INTEGER NOT NULL DEFAULT 0
    CHECK (role_guessed = 0 OR role_guessed = 1);
"#;

/// V8: missing data is not risk (issue 18).
/// - `personas_rated`: active personas whose strength a CSM rated (not "none"), kept with
///   the other summary columns;
/// - `missing_key`: what the account lacks to be scored with confidence, as bits
///   (1 contract value, 2 renewal date, 4 rated persona, 8 CSM sentiment): the rule of
///   `domain::completeness`, generated so it can never disagree with its columns;
/// - `risk_rank`: the risk order with its ties broken by what is at stake: score, then
///   contract value (larger first), then renewal (sooner first, none last) when walked
///   descending: `risk` and `contract_value` zero-padded, then the renewal day inverted;
/// - every sort index carries `missing_key` for the "incomplete" quick filter, and the
///   risk index is keyed on `risk_rank`.
const V8: &str = r#"
ALTER TABLE accounts ADD COLUMN personas_rated INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET personas_rated = (SELECT count(*) FROM personas p
    WHERE p.account_id = accounts.id AND p.archived_at IS NULL AND p.strength != 'none');
ALTER TABLE accounts ADD COLUMN missing_key INTEGER GENERATED ALWAYS AS (
    (CASE WHEN contract_value <= 0 THEN 1 ELSE 0 END)
    | (CASE WHEN renewal_date IS NULL THEN 2 ELSE 0 END)
    | (CASE WHEN personas_rated = 0 THEN 4 ELSE 0 END)
    | (CASE WHEN pulse IS NULL THEN 8 ELSE 0 END)
) VIRTUAL;
ALTER TABLE accounts ADD COLUMN risk_rank TEXT GENERATED ALWAYS AS (
    printf('%03d%019d%08d', risk, contract_value,
        99999999 - CAST(replace(ifnull(renewal_date, '9999-12-31'), '-', '') AS INTEGER))
) VIRTUAL;
DROP INDEX accounts_by_name;
CREATE INDEX accounts_by_name ON accounts(name COLLATE NOCASE, id,
    risk, renewal_key, pulse_at_key, followup_key, owner_csm_id, missing_key) WHERE archived_at IS NULL;
DROP INDEX accounts_by_segment;
CREATE INDEX accounts_by_segment ON accounts(seg_tier_key, id,
    risk, renewal_key, pulse_at_key, followup_key, owner_csm_id, missing_key) WHERE archived_at IS NULL;
DROP INDEX accounts_by_value;
CREATE INDEX accounts_by_value ON accounts(contract_value, id,
    risk, renewal_key, pulse_at_key, followup_key, owner_csm_id, missing_key) WHERE archived_at IS NULL;
DROP INDEX accounts_by_renewal;
CREATE INDEX accounts_by_renewal ON accounts(renewal_key, id,
    risk, pulse_at_key, followup_key, owner_csm_id, missing_key) WHERE archived_at IS NULL;
DROP INDEX accounts_by_pulse;
CREATE INDEX accounts_by_pulse ON accounts(pulse_key, id,
    risk, renewal_key, pulse_at_key, followup_key, owner_csm_id, missing_key) WHERE archived_at IS NULL;
DROP INDEX accounts_by_coverage;
CREATE INDEX accounts_by_coverage ON accounts(coverage_pct, id,
    risk, renewal_key, pulse_at_key, followup_key, owner_csm_id, missing_key) WHERE archived_at IS NULL;
DROP INDEX accounts_by_risk;
CREATE INDEX accounts_by_risk ON accounts(risk_rank, id,
    risk, renewal_key, pulse_at_key, followup_key, owner_csm_id, missing_key) WHERE archived_at IS NULL;
DROP INDEX accounts_by_touch;
CREATE INDEX accounts_by_touch ON accounts(touch_key, id,
    risk, renewal_key, pulse_at_key, followup_key, owner_csm_id, missing_key) WHERE archived_at IS NULL;
DROP INDEX accounts_by_followup;
CREATE INDEX accounts_by_followup ON accounts(followup_key, id,
    risk, renewal_key, pulse_at_key, owner_csm_id, missing_key) WHERE archived_at IS NULL;
CREATE INDEX accounts_incomplete ON accounts(missing_key, owner_csm_id) WHERE archived_at IS NULL AND missing_key != 0;
"#;

/// V9: the coaching KPIs kept per CSM and month (`store::kpi_cache`). The figures are
/// counted by the store, in the transaction of each write; these triggers list the
/// accounts a write may change (a touch counts by the touches before it on its own
/// account only). Marked at first: every account with touches (counted on the next
/// writable open). No foreign keys: `team merge` replaces a CSM's rows with foreign keys
/// off.
const V9: &str = r#"
CREATE TABLE kpi_tallies (
    csm_id               INTEGER NOT NULL, -- 0: touches without a CSM
    month                TEXT NOT NULL,    -- YYYY-MM
    segment              TEXT NOT NULL,
    touches              INTEGER NOT NULL,
    tagged               INTEGER NOT NULL,
    escalated            INTEGER NOT NULL,
    done                 INTEGER NOT NULL,
    complete             INTEGER NOT NULL,
    red                  INTEGER NOT NULL,
    yellow               INTEGER NOT NULL,
    green                INTEGER NOT NULL,
    remediation_sum      INTEGER NOT NULL,
    remediation_n        INTEGER NOT NULL,
    simple_sum           INTEGER NOT NULL,
    simple_n             INTEGER NOT NULL,
    complex_sum          INTEGER NOT NULL,
    complex_n            INTEGER NOT NULL,
    coached_retained     INTEGER NOT NULL,
    coached_lost         INTEGER NOT NULL,
    not_coached_retained INTEGER NOT NULL,
    not_coached_lost     INTEGER NOT NULL,
    PRIMARY KEY (month, csm_id, segment)
) STRICT, WITHOUT ROWID;

-- The elapsed ms of every run of one checklist step, ascending, as 8-byte integers.
CREATE TABLE kpi_steps (
    csm_id INTEGER NOT NULL,
    month  TEXT NOT NULL,
    step   INTEGER NOT NULL,
    ms     BLOB NOT NULL,
    PRIMARY KEY (month, csm_id, step)
) STRICT, WITHOUT ROWID;

CREATE TABLE kpi_lines (
    csm_id     INTEGER NOT NULL,
    month      TEXT NOT NULL,
    prompt_key TEXT NOT NULL,
    step       INTEGER NOT NULL,
    uses       INTEGER NOT NULL,
    accounts   TEXT NOT NULL,    -- the lowest account ids, comma-separated
    call_types INTEGER NOT NULL, -- bit mask
    PRIMARY KEY (month, csm_id, prompt_key)
) STRICT, WITHOUT ROWID;

CREATE TABLE kpi_stale (
    account_id INTEGER PRIMARY KEY
) STRICT;

INSERT INTO kpi_stale SELECT DISTINCT account_id FROM touches;

CREATE TRIGGER kpi_touch_insert AFTER INSERT ON touches BEGIN
    INSERT OR IGNORE INTO kpi_stale VALUES (NEW.account_id);
END;

CREATE TRIGGER kpi_touch_delete AFTER DELETE ON touches BEGIN
    INSERT OR IGNORE INTO kpi_stale VALUES (OLD.account_id);
END;

CREATE TRIGGER kpi_touch_update AFTER UPDATE OF account_id, csm_id, kind, call_type, status,
    occurred_at, sentiment, intervention, followup_on, no_followup, outcome, csat, escalated
ON touches
WHEN OLD.account_id IS NOT NEW.account_id OR OLD.csm_id IS NOT NEW.csm_id
    OR OLD.kind IS NOT NEW.kind OR OLD.call_type IS NOT NEW.call_type
    OR OLD.status IS NOT NEW.status OR OLD.occurred_at IS NOT NEW.occurred_at
    OR OLD.sentiment IS NOT NEW.sentiment OR OLD.intervention IS NOT NEW.intervention
    OR (OLD.followup_on IS NULL) IS NOT (NEW.followup_on IS NULL)
    OR OLD.no_followup IS NOT NEW.no_followup OR OLD.outcome IS NOT NEW.outcome
    OR OLD.csat IS NOT NEW.csat OR OLD.escalated IS NOT NEW.escalated
BEGIN
    INSERT OR IGNORE INTO kpi_stale VALUES (OLD.account_id), (NEW.account_id);
END;

CREATE TRIGGER kpi_step_insert AFTER INSERT ON touch_steps BEGIN
    INSERT OR IGNORE INTO kpi_stale SELECT account_id FROM touches WHERE id = NEW.touch_id;
END;

CREATE TRIGGER kpi_step_delete AFTER DELETE ON touch_steps BEGIN
    INSERT OR IGNORE INTO kpi_stale SELECT account_id FROM touches WHERE id = OLD.touch_id;
END;

CREATE TRIGGER kpi_step_update AFTER UPDATE OF touch_id, step, elapsed_ms, skipped_reason
ON touch_steps
WHEN OLD.touch_id IS NOT NEW.touch_id OR OLD.step IS NOT NEW.step
    OR OLD.elapsed_ms IS NOT NEW.elapsed_ms
    OR (OLD.skipped_reason IS NULL) IS NOT (NEW.skipped_reason IS NULL)
BEGIN
    INSERT OR IGNORE INTO kpi_stale SELECT account_id FROM touches
    WHERE id = OLD.touch_id OR id = NEW.touch_id;
END;

CREATE TRIGGER kpi_prompt_insert AFTER INSERT ON touch_prompts WHEN NEW.used = 1 BEGIN
    INSERT OR IGNORE INTO kpi_stale SELECT account_id FROM touches WHERE id = NEW.touch_id;
END;

CREATE TRIGGER kpi_prompt_delete AFTER DELETE ON touch_prompts WHEN OLD.used = 1 BEGIN
    INSERT OR IGNORE INTO kpi_stale SELECT account_id FROM touches WHERE id = OLD.touch_id;
END;

CREATE TRIGGER kpi_prompt_update AFTER UPDATE OF touch_id, step, prompt_key, used
ON touch_prompts
WHEN (OLD.used = 1 OR NEW.used = 1) AND (OLD.touch_id IS NOT NEW.touch_id
    OR OLD.step IS NOT NEW.step OR OLD.prompt_key IS NOT NEW.prompt_key OR OLD.used IS NOT NEW.used)
BEGIN
    INSERT OR IGNORE INTO kpi_stale SELECT account_id FROM touches
    WHERE id = OLD.touch_id OR id = NEW.touch_id;
END;

-- The renewal results per CSM of a quarter (the report's audit section) from the index
-- alone, one range per CSM, instead of every touch of the quarter.
DROP INDEX touches_by_csm;
CREATE INDEX touches_by_csm ON touches(csm_id, occurred_at, status, outcome);

CREATE TRIGGER kpi_account_segment AFTER UPDATE OF segment ON accounts
WHEN OLD.segment IS NOT NEW.segment BEGIN
    INSERT OR IGNORE INTO kpi_stale VALUES (NEW.id);
END;
"#;

/// V10: pilots (issue 16), the team lead's own records like audits: no foreign keys to
/// CSMs or accounts (`team merge` replaces those wholesale; a pilot must survive it).
/// Each pilot account keeps its baseline as it was at the start (CSM sentiment, risk,
/// persona coverage), and each group its three KPIs over the 12 weeks before, as k of n.
const V10: &str = r#"
CREATE TABLE pilots (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    start_on   TEXT NOT NULL,    -- YYYY-MM-DD
    weeks      INTEGER NOT NULL CHECK (weeks BETWEEN 1 AND 52),
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE pilot_csms (
    pilot_id INTEGER NOT NULL REFERENCES pilots(id) ON DELETE CASCADE,
    csm_id   INTEGER NOT NULL,
    PRIMARY KEY (pilot_id, csm_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE pilot_accounts (
    pilot_id    INTEGER NOT NULL REFERENCES pilots(id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL,
    grp         TEXT NOT NULL CHECK (grp = 'pilot' OR grp = 'control'),
    matched_to  INTEGER,          -- a control: the pilot account it twins
    sentiment   TEXT CHECK (sentiment = 'red' OR sentiment = 'yellow' OR sentiment = 'green'),
    risk        INTEGER NOT NULL,
    coverage    INTEGER NOT NULL,
    PRIMARY KEY (pilot_id, account_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE pilot_baselines (
    pilot_id INTEGER NOT NULL REFERENCES pilots(id) ON DELETE CASCADE,
    grp      TEXT NOT NULL CHECK (grp = 'pilot' OR grp = 'control'),
    kpi      TEXT NOT NULL CHECK (kpi = 'renewal' OR kpi = 'csat' OR kpi = 'escalation'),
    k        INTEGER NOT NULL CHECK (k >= 0),
    n        INTEGER NOT NULL CHECK (n >= k),
    PRIMARY KEY (pilot_id, grp, kpi)
) STRICT, WITHOUT ROWID;
"#;

const STEPS: &[M<'static>] = &[
    M::up(V1),
    M::up(V2),
    M::up(V3),
    M::up(V4),
    M::up(V5),
    M::up(V6),
    M::up(V7),
    M::up(V8),
    M::up(V9),
    M::up(V10),
];

pub const MIGRATIONS: Migrations<'static> = Migrations::from_slice(STEPS);

/// The schema version this build writes.
pub const LATEST: i64 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        MIGRATIONS.validate().unwrap();
    }

    #[test]
    fn latest_matches_the_migration_list() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        MIGRATIONS.to_latest(&mut conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, LATEST);
    }
}
