//! Integration tests: template.
