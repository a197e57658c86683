//! Glue between stages for one row: load a template (`.edit` or Shotstack JSON), expand a row,
//! validate. Used by every command, by the batch runner and by watch mode.
