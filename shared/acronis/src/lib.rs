//! Typed Acronis Cyber Cloud client.
