//! Placeholder: the JSON export is read back by `store::import_json`.
