//! `attuned demo`: a realistic, deterministic portfolio.
