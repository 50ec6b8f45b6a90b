//! `attuned export`.
