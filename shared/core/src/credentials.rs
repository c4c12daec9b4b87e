//! PLACEHOLDER: credential types (owned by the secrets/events helper).
