//! The terminal workstation.
