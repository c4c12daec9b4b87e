//! The bridge's settings.
//!
//! NOTE: placeholder owned by the settings helper, who replaces it with the full model.

use serde::{Deserialize, Serialize};

/// Every option of the vendor guide, validated as a whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {}
