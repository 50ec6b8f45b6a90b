//! Ids in JSON output are decimal strings.
//!
//! Ids are 64-bit (a random per-file origin in the high half), well above 2^53, so a JSON
//! reader that holds numbers as doubles (JavaScript's `JSON.parse`, jq 1.6) would round
//! them and merge distinct records. Reading accepts both forms, so exports written before
//! ids became strings still import.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A record id, written to JSON as a string (`"8079533453619331073"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JsonId(pub i64);

impl Serialize for JsonId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for JsonId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        id_of(&v)
            .map(JsonId)
            .ok_or_else(|| serde::de::Error::custom("an id is an integer or a decimal string"))
    }
}

impl rusqlite::types::FromSql for JsonId {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        i64::column_result(v).map(JsonId)
    }
}

/// An id as JSON holds it: a decimal string (this build's exports) or an integer (older
/// exports). Anything else is no id.
pub fn id_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Whether a field of an exported record holds an id: `id` or `…_id`. `external_id` is a
/// CRM's own key, text, and no id of ours.
pub fn is_id_key(key: &str) -> bool {
    key == "id" || (key.ends_with("_id") && key != "external_id")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_as_strings_read_in_both_forms() {
        let big = 8_079_533_453_619_331_073_i64;
        assert_eq!(
            serde_json::to_string(&JsonId(big)).unwrap(),
            format!("\"{big}\"")
        );
        for text in [format!("\"{big}\""), big.to_string()] {
            let id: JsonId = serde_json::from_str(&text).unwrap();
            assert_eq!(id, JsonId(big));
        }
        assert!(serde_json::from_str::<JsonId>("\"12a\"").is_err());
        assert!(serde_json::from_str::<JsonId>("1.5").is_err());
        assert_eq!(id_of(&Value::Null), None);
    }

    #[test]
    fn id_keys() {
        for k in ["id", "account_id", "reports_to_id", "team_lead_id"] {
            assert!(is_id_key(k), "{k}");
        }
        for k in ["external_id", "name", "idle", "external_ids"] {
            assert!(!is_id_key(k), "{k}");
        }
    }
}
