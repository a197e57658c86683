//! Integration tests: edit.
