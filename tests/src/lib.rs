//! Cross-crate scenarios live in `tests/tests/`; this library is intentionally empty.
