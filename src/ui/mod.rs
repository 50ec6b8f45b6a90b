//! The terminal workstation.

use crate::error::Result;
use crate::store::Store;

/// Opens the workstation on `store` and runs until the CSM quits.
pub fn run(store: Store) -> Result<()> {
    let _ = store;
    Ok(())
}
