//! PLACEHOLDER: event detail types (owned by the secrets/events helper).
