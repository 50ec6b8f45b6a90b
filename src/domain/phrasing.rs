//! The phrasing check of the practice drills: a CSM's written response, judged rule by
//! rule for the checklist step it drills, each rule with ✓/✗ and a one-line reason.
//!
//! Deterministic and explainable, not a language model: the text is lowercased, split into
//! words on anything that is not a letter, a digit or an apostrophe (Unicode-aware; curly
//! and straight apostrophes are the same), and matched against the word lists below.
//! Hyphens split words, so "follow-up" is "follow up" and "check-in" is "check in".
//!
//! **mirror** (mirror and validate)
//! - *names the feeling*: an emotion word (`FEELINGS`: frustrated, worried, let down…).
//! - *reflects the customer's own words* (only when the customer's line is given): shares a
//!   content word of 4 letters or more (stop-words excluded, a final "s" ignored) or a
//!   2-word phrase with the line.
//! - *validates before fixing*: a validation phrase (`VALIDATIONS`: "makes sense",
//!   "I understand why", "that's fair"…, or a `VALIDATION_LEADS` phrase such as "that would
//!   be" or "I'd be" followed by a feeling word) before any fix phrase (`FIXES`: "I'll", "we will",
//!   "let me fix", "you should"…).
//! - *no deflecting words* (`DEFLECTIONS`; the reason names the word found).
//!
//! **clarify** (strategic clarifying questions)
//! - *an open question*: a question (or a "tell me…" / "walk me through…" request) that
//!   does not open with a yes/no word (do, is, can, could, would…) and asks what, how,
//!   which, where, when, who or why. "Could you walk me through / tell me / describe /
//!   explain / share / help me understand" counts as open: it asks for their story.
//! - *one question at a time*: at most one "?" (a run like "??" is one).
//! - *no leading question*: no "don't you think", "wouldn't you agree", "isn't it",
//!   ", right?"…
//! - *no deflecting words*.
//!
//! **propose** (propose a fix and a follow-up)
//! - *a fix with a time commitment*: a time expression (today, tomorrow, a weekday, "by end
//!   of day", "within 48 hours", "in two days", "this week", a date such as 12/3 or
//!   March 4, a clock time such as 3pm).
//! - *a follow-up review with a time*: "follow up", "check in", "review", "circle back",
//!   "touch base"… with a time expression after it in the same sentence (or, when the
//!   response has two time expressions or more, anywhere in that sentence).
//! - *an owner*: "I will", "I'll", "my team will", "our engineer"… ("we'll" is nobody).
//! - *no deflecting words*.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

/// The drills whose written responses the check judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Mirror,
    Clarify,
    Propose,
}

impl Step {
    pub const ALL: [Step; 3] = [Step::Mirror, Step::Clarify, Step::Propose];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Mirror => "mirror",
            Step::Clarify => "clarify",
            Step::Propose => "propose",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Step {
    type Err = String;
    fn from_str(s: &str) -> Result<Step, String> {
        Step::ALL
            .into_iter()
            .find(|step| step.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("'{s}' is not a step: expected mirror, clarify or propose"))
    }
}

/// One rule's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleResult {
    pub rule: &'static str,
    pub passed: bool,
    pub reason: String,
}

pub const NAMES_FEELING: &str = "names the feeling";
pub const REFLECTS_WORDS: &str = "reflects the customer's own words";
pub const VALIDATES_FIRST: &str = "validates before fixing";
pub const NO_DEFLECTION: &str = "no deflecting words";
pub const OPEN_QUESTION: &str = "an open question";
pub const ONE_QUESTION: &str = "one question at a time";
pub const NOT_LEADING: &str = "no leading question";
pub const TIME_COMMITMENT: &str = "a fix with a time commitment";
pub const FOLLOW_UP: &str = "a follow-up review with a time";
pub const OWNER: &str = "an owner";

/// Emotion words: naming one shows the CSM heard the feeling, not only the facts.
#[rustfmt::skip]
pub const FEELINGS: &[&str] = &[
    "frustrated", "frustrating", "frustration", "annoyed", "annoying", "irritated",
    "irritating", "worried", "worrying", "worry", "worries", "disappointed", "disappointing",
    "disappointment", "concerned", "concerning", "stressed", "stressful", "stress", "upset",
    "angry", "anger", "furious", "confused", "confusing", "confusion", "overwhelmed",
    "overwhelming", "let down", "anxious", "anxiety", "nervous", "uneasy", "unsettling",
    "exhausted", "exhausting", "fed up", "discouraged", "embarrassed", "embarrassing",
    "blindsided", "skeptical", "sceptical", "unsure", "uncertain", "doubtful", "on edge",
    "painful", "hurt", "ignored", "unheard", "under pressure", "relieved",
    "excited", "pleased", "proud", "thrilled", "hesitant", "wary",
];

/// Phrases that say the customer's reaction is reasonable.
#[rustfmt::skip]
pub const VALIDATIONS: &[&str] = &[
    "makes sense", "make sense", "made sense", "i understand why", "i understand how",
    "i can see why", "i see why", "i get why", "that's fair", "that is fair", "it's fair",
    "it is fair", "fair to", "you're right to", "you are right to", "you're right",
    "you are right", "i'd feel the same", "i would feel the same", "anyone would",
    "understandable", "no wonder", "that's on us", "that is on us",
    "reasonable", "you have every right", "of course you", "that's a lot", "that is a lot",
    "is a lot", "every reason to", "fair enough", "completely valid",
    "that's valid", "rightly", "well earned", "well deserved", "you've earned",
];

/// Phrases that validate when a feeling word follows within two words: "that would be
/// frustrating", "I'd be angry too" (not "I'd be glad to help", nor "that would be fixed").
#[rustfmt::skip]
const VALIDATION_LEADS: &[&str] = &[
    "that would be", "that must be", "that must have been", "that would have been", "i'd be",
    "i would be", "i'd feel", "i would feel", "anyone would be", "anyone would feel",
];

/// Phrases that start fixing; validation should come first.
#[rustfmt::skip]
pub const FIXES: &[&str] = &[
    "we will", "we'll", "i will", "i'll", "let me fix", "the solution", "the fix", "you should",
    "you need to", "you have to", "try", "workaround", "we can fix", "i can fix", "here's what",
    "here is what",
];

/// Words that deflect, minimise or argue, each with why it hurts.
pub const DEFLECTIONS: &[(&str, &str)] = &[
    ("but", "turns the validation into a rebuttal"),
    ("however", "turns the validation into a rebuttal"),
    ("although", "turns the validation into a rebuttal"),
    ("unfortunately", "announces a no before any help"),
    ("policy", "hides behind rules instead of owning the issue"),
    ("calm down", "dismisses the feeling"),
    ("relax", "dismisses the feeling"),
    ("as i said", "blames them for not listening"),
    ("as i mentioned", "blames them for not listening"),
    ("like i said", "blames them for not listening"),
    ("actually", "corrects them instead of hearing them"),
    ("to be fair", "defends the company instead of the customer"),
    ("it's just", "minimises the problem"),
    ("it is just", "minimises the problem"),
    ("just a", "minimises the problem"),
    ("you just need", "minimises the problem"),
    ("simply", "minimises the problem"),
    ("no offense", "signals the offense that follows"),
    (
        "with all due respect",
        "signals the disrespect that follows",
    ),
    ("not our fault", "argues blame instead of owning the fix"),
];

/// Words that open a yes/no question.
#[rustfmt::skip]
const YES_NO: &[&str] = &[
    "do", "does", "did", "is", "are", "was", "were", "am", "can", "could", "would", "will",
    "have", "has", "had", "should", "shall", "may", "might", "must", "don't", "doesn't",
    "didn't", "isn't", "aren't", "wasn't", "weren't", "can't", "couldn't", "wouldn't", "won't",
    "haven't", "hasn't", "shouldn't",
];

/// Requests for the customer's story; open even after "could you".
#[rustfmt::skip]
const STORY_REQUESTS: &[&str] = &[
    "walk me through", "tell me", "describe", "explain", "share", "help me understand",
    "show me", "talk me through",
];

const OPEN_WORDS: &[&str] = &["what", "how", "which", "where", "when", "who", "why"];

/// Lead-in words skipped before judging a question's opener.
const LEAD_INS: &[&str] = &[
    "so", "and", "okay", "ok", "then", "now", "well", "and", "also",
];

#[rustfmt::skip]
const LEADING: &[&str] = &[
    "don't you think", "do not you think", "wouldn't you agree", "would you not agree",
    "don't you agree", "isn't it", "isn't that", "aren't you", "surely", "wouldn't it be",
    "shouldn't we", "right?",
];

#[rustfmt::skip]
const FOLLOW_UPS: &[&str] = &[
    "follow up", "followup", "check in", "checkin", "review", "circle back", "touch base",
    "revisit", "reconvene", "regroup", "debrief", "sync", "catch up", "meet again",
    "look at the numbers", "look at the results",
];

#[rustfmt::skip]
const OWNERS: &[&str] = &[
    "i will", "i'll", "i am going to", "i'm going to", "i'm booking", "i've booked",
    "i have booked", "i've asked", "i have asked", "i've assigned", "i have assigned",
    "i'm assigning", "i'm taking", "i own", "i personally", "i'm personally", "let me",
    "my team will", "our team will", "our engineer", "our engineers", "our support lead",
    "our product team will", "i'd like to", "i would like to", "i'm setting up",
    "i'm scheduling", "i've scheduled", "i have scheduled", "i can",
];

/// Words too common to show that the customer's words were heard.
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    "that", "this", "with", "have", "been", "from", "they", "them", "their", "there", "what",
    "when", "where", "which", "would", "could", "should", "about", "just", "really", "very",
    "will", "your", "yours", "were", "into", "than", "then", "also", "some", "more", "even",
    "still", "again", "being", "does", "doing", "don't", "can't", "it's", "here", "know",
    "like", "think", "want", "need", "said", "going", "thing", "things", "because", "every",
    "much", "many", "only", "over", "such", "these", "those", "while", "after", "before",
    "other", "make", "made", "sure", "well", "okay", "feel", "feeling", "feels", "you're",
    "we're", "they're", "i've", "we've", "you've", "that's", "what's", "there's", "didn't",
    "doesn't", "isn't", "wasn't", "won't", "haven't", "hasn't", "i'm", "i'll", "we'll",
    "you'll", "i'd", "we'd", "get", "got", "getting", "yeah", "right", "now", "today", "week",
    "time", "back", "look", "sounds", "sound", "hear", "since", "always", "never", "anything",
    "something", "everything", "nothing", "anyone", "someone", "first", "last", "next",
    "thought", "maybe", "please", "thanks",
];

#[rustfmt::skip]
const WEEKDAYS: &[&str] = &[
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
];
#[rustfmt::skip]
const MONTHS: &[&str] = &[
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
];
#[rustfmt::skip]
const SOLO_TIMES: &[&str] = &[
    "today", "tonight", "tomorrow", "eod", "eow", "noon", "midday", "weekly", "daily",
    "fortnightly",
];
#[rustfmt::skip]
const UNITS: &[&str] = &[
    "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks", "month", "months",
    "fortnight", "business", "working",
];
const COUNTS: &[&str] = &[
    "a", "an", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "the", "next", "couple", "few", "24", "48", "72",
];
#[rustfmt::skip]
const PERIODS: &[&str] = &[
    "morning", "afternoon", "evening", "week", "month", "quarter", "sprint",
];

/// A text as lowercase words, each with the index of its sentence.
struct Words {
    words: Vec<String>,
    sentence: Vec<usize>,
}

/// Lowercases and makes every apostrophe straight.
fn normalize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{2019}' | '\u{2018}' | '\u{02bc}' | '`' | '\u{b4}' => '\'',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

fn words(text: &str) -> Words {
    let text = normalize(text);
    let mut out = Words {
        words: Vec::new(),
        sentence: Vec::new(),
    };
    let mut current = String::new();
    let mut sentence = 0;
    let flush = |current: &mut String, out: &mut Words, sentence: usize| {
        let w = current.trim_matches('\'');
        if !w.is_empty() {
            out.words.push(w.to_string());
            out.sentence.push(sentence);
        }
        current.clear();
    };
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        // "12/3", "2026-12-03", "14:00" and "4.2" stay one word (and "4.2" ends no sentence).
        let digit_at = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(char::is_ascii_digit)
        };
        let joins_digits = matches!(c, '/' | '-' | ':' | '.')
            && digit_at(i.checked_sub(1))
            && digit_at(Some(i + 1));
        if c.is_alphanumeric() || c == '\'' || joins_digits {
            current.push(c);
        } else {
            flush(&mut current, &mut out, sentence);
            if matches!(c, '.' | '!' | '?' | ';' | '\n') {
                sentence += 1;
            }
        }
    }
    flush(&mut current, &mut out, sentence);
    out
}

/// Where `phrase` (words separated by spaces) first starts in `w`.
fn find(w: &[String], phrase: &str) -> Option<usize> {
    let p: Vec<&str> = phrase.split(' ').collect();
    (0..w.len())
        .find(|&i| i + p.len() <= w.len() && p.iter().zip(&w[i..]).all(|(a, b)| *a == b.as_str()))
}

/// The earliest of `phrases` in `w`, with its position.
fn earliest<'a>(
    w: &[String],
    phrases: impl IntoIterator<Item = &'a str>,
) -> Option<(usize, &'a str)> {
    phrases
        .into_iter()
        .filter_map(|p| find(w, p).map(|i| (i, p)))
        .min_by_key(|(i, p)| (*i, std::cmp::Reverse(p.len())))
}

/// Checks `text` against the rules of `step`; `customer_line` feeds "reflects the
/// customer's own words" (mirror only; the rule is left out without it).
pub fn check(step: Step, text: &str, customer_line: Option<&str>) -> Vec<RuleResult> {
    let w = words(text);
    let mut out = match step {
        Step::Mirror => {
            let mut rules = vec![names_feeling(&w)];
            if let Some(line) = customer_line {
                rules.push(reflects_words(&w, line));
            }
            rules.push(validates_first(&w));
            rules
        }
        Step::Clarify => vec![
            open_question(text),
            one_question(text),
            not_leading(text, &w),
        ],
        Step::Propose => vec![time_commitment(&w), follow_up(&w), owner(&w)],
    };
    out.push(no_deflection(&w));
    out
}

fn pass(rule: &'static str, reason: impl Into<String>) -> RuleResult {
    RuleResult {
        rule,
        passed: true,
        reason: reason.into(),
    }
}

fn fail(rule: &'static str, reason: impl Into<String>) -> RuleResult {
    RuleResult {
        rule,
        passed: false,
        reason: reason.into(),
    }
}

fn names_feeling(w: &Words) -> RuleResult {
    match earliest(&w.words, FEELINGS.iter().copied()) {
        Some((_, f)) => pass(NAMES_FEELING, format!("\"{f}\"")),
        None => fail(
            NAMES_FEELING,
            "no feeling word: say what they seem to feel (frustrated, worried, let down…)",
        ),
    }
}

/// A word as compared with the customer's: a final "s" does not count.
fn stem(word: &str) -> &str {
    let w = word.strip_suffix("'s").unwrap_or(word);
    if w.chars().count() > 4 {
        w.strip_suffix('s').unwrap_or(w)
    } else {
        w
    }
}

fn is_content(word: &str) -> bool {
    word.chars().filter(|c| c.is_alphabetic()).count() >= 4 && !STOP_WORDS.contains(&word)
}

fn reflects_words(w: &Words, customer_line: &str) -> RuleResult {
    let theirs = words(customer_line).words;
    // Sets keep a long paste on both sides linear.
    let mine: HashSet<&str> = w.words.iter().map(|m| stem(m)).collect();
    let shared = theirs
        .iter()
        .filter(|t| is_content(t))
        .find(|t| mine.contains(stem(t)));
    if let Some(word) = shared {
        return pass(REFLECTS_WORDS, format!("\"{word}\""));
    }
    let pairs: HashSet<(&str, &str)> = w
        .words
        .windows(2)
        .map(|p| (p[0].as_str(), p[1].as_str()))
        .collect();
    let pair = theirs
        .windows(2)
        .filter(|p| p.iter().any(|x| !STOP_WORDS.contains(&x.as_str())))
        .map(|p| (p[0].as_str(), p[1].as_str()))
        .find(|p| pairs.contains(p))
        .map(|(a, b)| format!("{a} {b}"));
    match pair {
        Some(p) => pass(REFLECTS_WORDS, format!("\"{p}\"")),
        None => fail(
            REFLECTS_WORDS,
            "none of their words: repeat their key phrase back to them",
        ),
    }
}

fn validates_first(w: &Words) -> RuleResult {
    let led = VALIDATION_LEADS
        .iter()
        .filter_map(|lead| {
            let at = find(&w.words, lead)?;
            let after = at + lead.split(' ').count();
            let feeling = |i: usize| earliest(&w.words[i..], FEELINGS.iter().copied());
            (after < w.words.len())
                .then(|| feeling(after))
                .flatten()
                .filter(|(i, _)| *i <= 1)
                .map(|_| (at, *lead))
        })
        .min_by_key(|(i, _)| *i);
    let plain = earliest(&w.words, VALIDATIONS.iter().copied());
    let validation = [led, plain].into_iter().flatten().min_by_key(|(i, _)| *i);
    let fix = earliest(&w.words, FIXES.iter().copied());
    match (validation, fix) {
        (None, _) => fail(
            VALIDATES_FIRST,
            "no validation: say why their reaction makes sense (\"that makes sense\", \"I'd feel the same\")",
        ),
        (Some((v, _)), Some((f, fix))) if f < v => fail(
            VALIDATES_FIRST,
            format!("\"{fix}\" offers a fix before validating"),
        ),
        (Some((_, v)), Some(_)) => pass(VALIDATES_FIRST, format!("\"{v}\" comes before the fix")),
        (Some((_, v)), None) => pass(VALIDATES_FIRST, format!("\"{v}\"")),
    }
}

fn no_deflection(w: &Words) -> RuleResult {
    let found = DEFLECTIONS
        .iter()
        .filter_map(|(d, why)| find(&w.words, d).map(|i| (i, *d, *why)))
        .min_by_key(|(i, d, _)| (*i, std::cmp::Reverse(d.len())));
    match found {
        Some((_, d, why)) => fail(NO_DEFLECTION, format!("\"{d}\" {why}")),
        None => pass(NO_DEFLECTION, "none found"),
    }
}

/// The text's sentences that end with a question mark, normalized.
fn questions(text: &str) -> Vec<String> {
    let text = normalize(text);
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        if matches!(c, '.' | '!' | '?' | '\n') {
            // A run like "?!" or "??" ends one sentence.
            while let Some(&n) = chars.peek() {
                if !matches!(n, '.' | '!' | '?') {
                    break;
                }
                current.push(n);
                chars.next();
            }
            if current.contains('?') {
                out.push(current.trim().to_string());
            }
            current.clear();
        }
    }
    out
}

/// The text's sentences without a question mark that ask for the customer's story.
fn requests(text: &str) -> Option<String> {
    let w = words(text);
    let mut starts = vec![0];
    starts.extend((1..w.words.len()).filter(|&i| w.sentence[i] != w.sentence[i - 1]));
    starts.into_iter().find_map(|i| {
        let rest = &w.words[i..];
        STORY_REQUESTS
            .iter()
            .find(|r| find(rest, r) == Some(0))
            .map(|r| r.to_string())
    })
}

fn open_question(text: &str) -> RuleResult {
    let Some(q) = questions(text).into_iter().next() else {
        return match requests(text) {
            Some(r) => pass(OPEN_QUESTION, format!("\"{r}\" asks for their story")),
            None => fail(
                OPEN_QUESTION,
                "no question: ask one open question (\"What…?\", \"How…?\", \"Which…?\")",
            ),
        };
    };
    let w = words(&q).words;
    let start = w
        .iter()
        .position(|x| !LEAD_INS.contains(&x.as_str()))
        .unwrap_or(0);
    let w = &w[start..];
    let Some(first) = w.first() else {
        return fail(OPEN_QUESTION, "an empty question");
    };
    if YES_NO.contains(&first.as_str()) {
        let story = (w.get(1).map(String::as_str) == Some("you"))
            .then(|| STORY_REQUESTS.iter().find(|r| find(&w[2..], r) == Some(0)))
            .flatten();
        return match story {
            Some(r) => pass(
                OPEN_QUESTION,
                format!("\"{first} you {r}\" asks for their story"),
            ),
            None => fail(
                OPEN_QUESTION,
                format!("\"{first}\" invites a yes or no: start with what, how or which"),
            ),
        };
    }
    match earliest(w, OPEN_WORDS.iter().chain(STORY_REQUESTS).copied()) {
        Some((_, o)) => pass(OPEN_QUESTION, format!("\"{o}\" opens it up")),
        None => fail(
            OPEN_QUESTION,
            "no what, how or which: ask for their story, not a yes or no",
        ),
    }
}

fn one_question(text: &str) -> RuleResult {
    match questions(text).len() {
        0 | 1 => pass(ONE_QUESTION, "one at a time"),
        n => fail(ONE_QUESTION, format!("{n} questions: ask one, then listen")),
    }
}

fn not_leading(text: &str, w: &Words) -> RuleResult {
    let lead = earliest(
        &w.words,
        LEADING.iter().copied().filter(|l| !l.ends_with('?')),
    );
    let right = normalize(text).replace(' ', "").contains(",right?");
    match (lead, right) {
        (Some((_, l)), _) => fail(
            NOT_LEADING,
            format!("\"{l}\" puts the answer in their mouth"),
        ),
        (None, true) => fail(NOT_LEADING, "\", right?\" puts the answer in their mouth"),
        (None, false) => pass(NOT_LEADING, "leaves the answer to them"),
    }
}

/// A time expression in `w`: (first word, one past the last).
fn times(w: &[String]) -> Vec<(usize, usize)> {
    let is = |i: usize, set: &[&str]| w.get(i).is_some_and(|x| set.contains(&x.as_str()));
    let number = |i: usize| {
        w.get(i)
            .is_some_and(|x| x.chars().all(|c| c.is_ascii_digit()) && !x.is_empty())
    };
    let clock = |x: &str| {
        let digits = x.trim_end_matches("am").trim_end_matches("pm");
        digits.len() < x.len() && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
    };
    let ordinal = |x: &str| {
        ["st", "nd", "rd", "th"].iter().any(|s| {
            x.strip_suffix(s)
                .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
        })
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < w.len() {
        let x = w[i].as_str();
        let end = if SOLO_TIMES.contains(&x) || WEEKDAYS.contains(&x) || clock(x) {
            Some(i + 1)
        } else if x == "end" && w.get(i + 1).is_some_and(|y| y == "of") {
            let j = if w.get(i + 2).is_some_and(|y| y == "the") {
                i + 3
            } else {
                i + 2
            };
            (is(j, &["day", "week", "month", "quarter"]) || is(j, WEEKDAYS)).then_some(j + 1)
        } else if matches!(x, "this" | "next") && (is(i + 1, PERIODS) || is(i + 1, WEEKDAYS)) {
            Some(i + 2)
        } else if matches!(x, "within" | "in") {
            // "within 48 hours", "in two days", "within the next week", "in a couple of days"
            let mut j = i + 1;
            while j < w.len() && j < i + 5 && (is(j, COUNTS) || number(j) || w[j] == "of") {
                j += 1;
            }
            ((j > i + 1 || x == "within") && is(j, UNITS)).then_some(j + 1)
        } else if MONTHS.contains(&x)
            // "may" is a month only before a number: "May 4", not "may take".
            && (number(i + 1) || (x != "may" && w.get(i + 1).is_some_and(|y| ordinal(y))))
        {
            Some(i + 2)
        } else if matches!(x, "by" | "on")
            && w.get(i + 1).is_some_and(|y| y == "the")
            && w.get(i + 2).is_some_and(|y| ordinal(y))
        {
            Some(i + 3)
        } else if number(i) && (is(i + 1, MONTHS) || is(i + 1, &["am", "pm"])) {
            Some(i + 2)
        } else if date_or_clock(x) {
            Some(i + 1)
        } else {
            None
        };
        match end {
            Some(e) => {
                out.push((i, e));
                i = e;
            }
            None => i += 1,
        }
    }
    out
}

/// 12/3, 2026-12-03, 14:00: digits joined by "/", "-" or ":" (not a version like 4.2).
fn date_or_clock(word: &str) -> bool {
    word.contains(['/', '-', ':'])
        && word
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '/' | '-' | ':'))
}

fn quote(w: &[String], (a, b): (usize, usize)) -> String {
    format!("\"{}\"", w[a..b].join(" "))
}

fn time_commitment(w: &Words) -> RuleResult {
    match times(&w.words).first() {
        Some(&t) => pass(TIME_COMMITMENT, quote(&w.words, t)),
        None => fail(
            TIME_COMMITMENT,
            "no time: say when (\"by Friday\", \"within 48 hours\", \"today\")",
        ),
    }
}

fn follow_up(w: &Words) -> RuleResult {
    let Some((at, phrase)) = earliest(&w.words, FOLLOW_UPS.iter().copied()) else {
        return fail(
            FOLLOW_UP,
            "no follow-up: plan when you review it together (\"check in on Friday\")",
        );
    };
    let all = times(&w.words);
    let sentence = w.sentence[at];
    let same = |&&(s, _): &&(usize, usize)| w.sentence[s] == sentence;
    let when = all
        .iter()
        .filter(same)
        .find(|(s, _)| *s > at)
        .or_else(|| (all.len() >= 2).then(|| all.iter().find(same)).flatten());
    match when {
        Some(&t) => pass(FOLLOW_UP, format!("\"{phrase}\" {}", quote(&w.words, t))),
        None => fail(
            FOLLOW_UP,
            format!("\"{phrase}\" has no time of its own: say when (\"review it in a week\")"),
        ),
    }
}

fn owner(w: &Words) -> RuleResult {
    match earliest(&w.words, OWNERS.iter().copied()) {
        Some((_, o)) => pass(OWNER, format!("\"{o}\"")),
        None => fail(
            OWNER,
            "nobody owns it: say who does it (\"I'll\", \"my team will\")",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The verdict of `rule` for `text`.
    fn verdict(step: Step, text: &str, customer: Option<&str>, rule: &str) -> RuleResult {
        check(step, text, customer)
            .into_iter()
            .find(|r| r.rule == rule)
            .unwrap_or_else(|| panic!("no rule {rule}"))
    }

    fn passes(step: Step, rule: &str, text: &str) {
        let r = verdict(step, text, None, rule);
        assert!(r.passed, "{rule} should pass: {text:?} ({})", r.reason);
    }

    fn fails(step: Step, rule: &str, text: &str) -> String {
        let r = verdict(step, text, None, rule);
        assert!(!r.passed, "{rule} should fail: {text:?} ({})", r.reason);
        r.reason
    }

    #[test]
    fn names_the_feeling() {
        passes(
            Step::Mirror,
            NAMES_FEELING,
            "It sounds like you're frustrated with the rollout.",
        );
        passes(
            Step::Mirror,
            NAMES_FEELING,
            "You feel let down by the last two releases.",
        );
        passes(
            Step::Mirror,
            NAMES_FEELING,
            "That sounds STRESSFUL for the whole team.",
        );
        let r = verdict(
            Step::Mirror,
            "Sounds like you’re worried.",
            None,
            NAMES_FEELING,
        );
        assert_eq!(r.reason, "\"worried\"");
        fails(
            Step::Mirror,
            NAMES_FEELING,
            "The export failed three times this week.",
        );
        // "let" alone is not "let down".
        fails(
            Step::Mirror,
            NAMES_FEELING,
            "Let me look at the export with you.",
        );
    }

    #[test]
    fn reflects_the_customer_s_own_words() {
        let line = Some(
            "Our invoices have been wrong three months running and finance is losing patience.",
        );
        let r = verdict(
            Step::Mirror,
            "Three months of wrong invoices is frustrating.",
            line,
            REFLECTS_WORDS,
        );
        assert!(r.passed, "{}", r.reason);
        assert_eq!(r.reason, "\"invoices\"");
        // A two-word phrase of short words counts too.
        let r = verdict(
            Step::Mirror,
            "So it's a no go for now.",
            Some("It's a no go for us"),
            REFLECTS_WORDS,
        );
        assert!(r.passed, "{}", r.reason);
        // Stop-words and short words shared are not reflection.
        let r = verdict(
            Step::Mirror,
            "I hear that this has been hard.",
            line,
            REFLECTS_WORDS,
        );
        assert!(!r.passed, "{}", r.reason);
        let r = verdict(
            Step::Mirror,
            "That sounds frustrating for your team.",
            line,
            REFLECTS_WORDS,
        );
        assert!(!r.passed, "{}", r.reason);
        // Without a customer line the rule is left out, not passed.
        assert!(
            check(Step::Mirror, "anything", None)
                .iter()
                .all(|r| r.rule != REFLECTS_WORDS)
        );
    }

    #[test]
    fn validates_before_fixing() {
        passes(
            Step::Mirror,
            VALIDATES_FIRST,
            "That makes sense. I'll look into it today.",
        );
        passes(
            Step::Mirror,
            VALIDATES_FIRST,
            "I'd feel the same in your place.",
        );
        passes(
            Step::Mirror,
            VALIDATES_FIRST,
            "It’s fair to expect better than this.",
        );
        passes(
            Step::Mirror,
            VALIDATES_FIRST,
            "Two weeks of silence: that would be frustrating for anyone.",
        );
        passes(Step::Mirror, VALIDATES_FIRST, "I'd be angry too.");
        // A lead without a feeling after it is not validation.
        fails(
            Step::Mirror,
            VALIDATES_FIRST,
            "I'd be glad to help with the rollout.",
        );
        fails(
            Step::Mirror,
            VALIDATES_FIRST,
            "That would be fixed in the next release.",
        );
        let reason = fails(
            Step::Mirror,
            VALIDATES_FIRST,
            "I'll fix it today, and I understand why you're upset.",
        );
        assert!(reason.contains("\"i'll\""), "{reason}");
        fails(
            Step::Mirror,
            VALIDATES_FIRST,
            "You should clear the cache first; that makes sense?",
        );
        let reason = fails(
            Step::Mirror,
            VALIDATES_FIRST,
            "It sounds like you're frustrated.",
        );
        assert!(reason.starts_with("no validation"), "{reason}");
    }

    #[test]
    fn no_deflecting_words() {
        for step in Step::ALL {
            passes(
                step,
                NO_DEFLECTION,
                "That makes sense; the delays hurt your launch.",
            );
            passes(step, NO_DEFLECTION, "What matters most to you this week?");
            // "butter" and "policyholder"-like words are not the words themselves.
            passes(
                step,
                NO_DEFLECTION,
                "Which butter-smooth flow did they expect?",
            );
        }
        let reason = fails(
            Step::Mirror,
            NO_DEFLECTION,
            "I hear you, but the release was on time.",
        );
        assert_eq!(reason, "\"but\" turns the validation into a rebuttal");
        let reason = fails(
            Step::Propose,
            NO_DEFLECTION,
            "Unfortunately our policy is 5 business days.",
        );
        assert!(reason.starts_with("\"unfortunately\""), "{reason}");
        let reason = fails(
            Step::Clarify,
            NO_DEFLECTION,
            "As I said, what version are you on?",
        );
        assert!(reason.starts_with("\"as i said\""), "{reason}");
        assert!(fails(Step::Mirror, NO_DEFLECTION, "Please calm down.").contains("dismisses"));
        assert!(fails(Step::Mirror, NO_DEFLECTION, "It's just a small bug.").contains("minimises"));
    }

    #[test]
    fn an_open_question() {
        passes(
            Step::Clarify,
            OPEN_QUESTION,
            "Which part of implementation caused the biggest delay?",
        );
        passes(
            Step::Clarify,
            OPEN_QUESTION,
            "So, what would success look like next quarter?",
        );
        // Starts with "could", yet asks for their story: open.
        passes(
            Step::Clarify,
            OPEN_QUESTION,
            "Could you walk me through what happened?",
        );
        passes(
            Step::Clarify,
            OPEN_QUESTION,
            "Can you tell me more about the outage?",
        );
        passes(
            Step::Clarify,
            OPEN_QUESTION,
            "Walk me through how your team does this today.",
        );
        let reason = fails(Step::Clarify, OPEN_QUESTION, "Did the export fail again?");
        assert!(
            reason.starts_with("\"did\" invites a yes or no"),
            "{reason}"
        );
        // The opener decides, even with "what" later on.
        fails(Step::Clarify, OPEN_QUESTION, "Is that what broke the sync?");
        fails(Step::Clarify, OPEN_QUESTION, "Could you send the logs?");
        fails(
            Step::Clarify,
            OPEN_QUESTION,
            "I see the tickets from last week.",
        );
        fails(Step::Clarify, OPEN_QUESTION, "Anything else?");
    }

    #[test]
    fn one_question_at_a_time() {
        passes(
            Step::Clarify,
            ONE_QUESTION,
            "What changed since we last spoke?",
        );
        passes(
            Step::Clarify,
            ONE_QUESTION,
            "What changed since we last spoke??",
        );
        let reason = fails(
            Step::Clarify,
            ONE_QUESTION,
            "What changed? Who noticed first?",
        );
        assert_eq!(reason, "2 questions: ask one, then listen");
        fails(
            Step::Clarify,
            ONE_QUESTION,
            "How did it start? When? And who saw it?",
        );
    }

    #[test]
    fn no_leading_question() {
        passes(
            Step::Clarify,
            NOT_LEADING,
            "What do you think caused the drop?",
        );
        passes(
            Step::Clarify,
            NOT_LEADING,
            "Which step felt right to your team?",
        );
        let reason = fails(
            Step::Clarify,
            NOT_LEADING,
            "Don’t you think the new version is faster?",
        );
        assert_eq!(reason, "\"don't you think\" puts the answer in their mouth");
        fails(
            Step::Clarify,
            NOT_LEADING,
            "Wouldn't you agree the training helped?",
        );
        fails(
            Step::Clarify,
            NOT_LEADING,
            "The dashboard is clearer now, right?",
        );
    }

    #[test]
    fn a_fix_with_a_time_commitment() {
        for ok in [
            "I'll run a remediation session within 48 hours.",
            "My team will ship the patch by Friday.",
            "I'll send the fix by end of day.",
            "I'll have an answer in two days.",
            "I'll call you tomorrow at 3pm.",
            "I'll confirm the date on 12/3.",
            "The engineer joins on March 4.",
        ] {
            passes(Step::Propose, TIME_COMMITMENT, ok);
        }
        let r = verdict(
            Step::Propose,
            "I'll run a session within 48 hours.",
            None,
            TIME_COMMITMENT,
        );
        assert_eq!(r.reason, "\"within 48 hours\"");
        fails(
            Step::Propose,
            TIME_COMMITMENT,
            "I'll look into it as soon as I can.",
        );
        // A version number is not a date, and "ASAP" is not a time.
        fails(
            Step::Propose,
            TIME_COMMITMENT,
            "I'll make sure it ships in version 4.2.",
        );
        fails(Step::Propose, TIME_COMMITMENT, "I'll get it fixed ASAP.");
        passes(
            Step::Propose,
            TIME_COMMITMENT,
            "I'll call you at 14:00 with the plan.",
        );
        passes(
            Step::Propose,
            TIME_COMMITMENT,
            "I'll deliver it on 2026-12-03.",
        );
        fails(
            Step::Propose,
            TIME_COMMITMENT,
            "We may fix this in a later release.",
        );
        fails(
            Step::Propose,
            TIME_COMMITMENT,
            "I'll get back to you in due course.",
        );
    }

    #[test]
    fn a_follow_up_review_with_a_time() {
        passes(
            Step::Propose,
            FOLLOW_UP,
            "I'll fix it today, then review the metrics with you in one week.",
        );
        passes(
            Step::Propose,
            FOLLOW_UP,
            "I'll ship it by Friday and check in on Monday.",
        );
        passes(
            Step::Propose,
            FOLLOW_UP,
            "I'll patch it today. Next Tuesday we review the numbers together.",
        );
        let reason = fails(
            Step::Propose,
            FOLLOW_UP,
            "I'll fix it by Friday and follow up.",
        );
        assert!(reason.contains("no time of its own"), "{reason}");
        fails(Step::Propose, FOLLOW_UP, "I'll fix it by Friday.");
        fails(
            Step::Propose,
            FOLLOW_UP,
            "I'll fix it today. We can touch base sometime.",
        );
    }

    #[test]
    fn an_owner() {
        passes(Step::Propose, OWNER, "I'll book the session for tomorrow.");
        passes(
            Step::Propose,
            OWNER,
            "My team will deliver the patch by Friday.",
        );
        passes(
            Step::Propose,
            OWNER,
            "Our engineer Priya joins the call on Monday.",
        );
        fails(Step::Propose, OWNER, "We'll look into it this week.");
        fails(Step::Propose, OWNER, "The patch should land by Friday.");
    }

    #[test]
    fn every_step_ends_with_deflection_and_outputs_in_a_stable_order() {
        let rules = |s| {
            check(s, "x", Some("y"))
                .iter()
                .map(|r| r.rule)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            rules(Step::Mirror),
            [
                NAMES_FEELING,
                REFLECTS_WORDS,
                VALIDATES_FIRST,
                NO_DEFLECTION
            ]
        );
        assert_eq!(
            rules(Step::Clarify),
            [OPEN_QUESTION, ONE_QUESTION, NOT_LEADING, NO_DEFLECTION]
        );
        assert_eq!(
            rules(Step::Propose),
            [TIME_COMMITMENT, FOLLOW_UP, OWNER, NO_DEFLECTION]
        );
        assert_eq!("Clarify".parse::<Step>(), Ok(Step::Clarify));
        assert!("recognize".parse::<Step>().is_err());
    }

    #[test]
    fn big_or_odd_input_is_judged_without_panicking() {
        let big = "frustrated ".repeat(5000) + "?\u{1b}[31m’’ — 😀";
        for step in Step::ALL {
            assert_eq!(check(step, &big, Some(&big)).len(), 4);
            assert_eq!(check(step, "", Some("")).len(), 4);
        }
    }
}
