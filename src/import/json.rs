//! Reading back `attuned export --format json`: the checks that need no database.

use serde_json::Value;

use crate::error::{ImportProblem, Result, bad};
use crate::json_id::id_of;

/// The arrays of an export, in the order they can be written (parents first).
pub const SECTIONS: &[&str] = &[
    "csms",
    "accounts",
    "personas",
    "touches",
    "persona_changes",
    "pulse_history",
    "followups",
    "signals",
];

/// Parses an export and checks its shape: an object from a schema this build knows,
/// whose sections are arrays of objects each with an `id` (a decimal string, or an
/// integer in exports written before ids became strings).
pub fn parse(file: &str, bytes: &[u8], latest_schema: i64) -> Result<Value> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        bad(
            file,
            ImportProblem::NotJson {
                line: e.line(),
                column: e.column(),
                what: match e.classify() {
                    serde_json::error::Category::Eof => "it ends too early",
                    serde_json::error::Category::Syntax => "not valid JSON",
                    serde_json::error::Category::Data => "unexpected data",
                    serde_json::error::Category::Io => "unreadable",
                },
            },
        )
    })?;
    let Some(obj) = v.as_object() else {
        return Err(bad(file, ImportProblem::NotAnExport));
    };
    let version = obj
        .get("schema_version")
        .and_then(Value::as_i64)
        .ok_or_else(|| bad(file, ImportProblem::NoSchemaVersion))?;
    if version > latest_schema {
        return Err(bad(
            file,
            ImportProblem::NewerSchema {
                found: version,
                supported: latest_schema,
            },
        ));
    }
    for s in SECTIONS {
        match obj.get(*s) {
            None => {}
            Some(Value::Array(items)) => {
                if let Some(i) = items
                    .iter()
                    .position(|x| x.get("id").and_then(id_of).is_none())
                {
                    return Err(bad(
                        file,
                        ImportProblem::NoId {
                            section: s,
                            record: i + 1,
                        },
                    ));
                }
            }
            Some(_) => {
                return Err(bad(file, ImportProblem::NotAnArray { section: s }));
            }
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_errors_are_one_clear_message() {
        assert!(parse("x", b"{\"schema_version\":1,\"accounts\":[{\"id\":1}]}", 2).is_ok());
        assert!(
            parse(
                "x",
                b"{\"schema_version\":1,\"accounts\":[{\"id\":\"1\"}]}",
                2
            )
            .is_ok()
        );
        for (bytes, want) in [
            (&b"{"[..], "ends too early"),
            (b"[1]", "not an attuned JSON export"),
            (b"{\"accounts\":[]}", "no schema_version"),
            (b"{\"schema_version\":9}", "newer attuned"),
            (b"{\"schema_version\":1,\"accounts\":{}}", "not an array"),
            (
                b"{\"schema_version\":1,\"accounts\":[{\"name\":\"x\"}]}",
                "no integer id",
            ),
            (
                b"{\"schema_version\":1,\"accounts\":[{\"id\":\"x1\"}]}",
                "no integer id",
            ),
        ] {
            let e = parse("x", bytes, 2).unwrap_err().to_string();
            assert!(e.contains(want), "{e}");
        }
    }
}
