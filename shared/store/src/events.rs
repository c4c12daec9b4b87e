//! PLACEHOLDER: replaced by the helper that owns this module.
