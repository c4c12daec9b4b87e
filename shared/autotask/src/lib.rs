//! Typed Autotask REST client.
