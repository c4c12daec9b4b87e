//! Scenario files: the state both simulators start from.
//!
//! A scenario is a folder with `autotask.json` and `acronis.json`, the seed of each
//! simulator (`tests/scenarios/demo/`); large ones are generated ([`generate`]) rather
//! than committed.

use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default)]
    pub autotask: crate::autotask::Seed,
    #[serde(default)]
    pub acronis: crate::acronis::Seed,
}

impl Scenario {
    /// Reads a scenario folder; a missing file means an empty seed. Errors name the file
    /// and the position of the first problem.
    pub fn load(dir: &Path) -> anyhow::Result<Scenario> {
        Ok(Scenario {
            autotask: read_part(&dir.join("autotask.json"))?,
            acronis: read_part(&dir.join("acronis.json"))?,
        })
    }

    /// The demo scenario shipped in `tests/scenarios/demo/`.
    pub fn demo() -> anyhow::Result<Scenario> {
        Scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/demo"))
    }
}

fn read_part<T: Default + serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    if !path.exists() {
        return Ok(T::default());
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read scenario file {}: {e}", path.display()))?;
    let invalid = |at: String, what: String| {
        anyhow::anyhow!(
            "scenario file {} is invalid at `{}`: {}",
            path.display(),
            bounded(&at),
            bounded(&what)
        )
    };
    let mut de = serde_json::Deserializer::from_str(&text);
    let part = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| invalid(e.path().to_string(), e.inner().to_string()))?;
    de.end()
        .map_err(|e| invalid(".".into(), format!("trailing data: {e}")))?;
    Ok(part)
}

/// At most 300 characters of `text`: a decoder's message may quote a whole value.
pub(crate) fn bounded(text: &str) -> String {
    const MAX: usize = 300;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// A large, deterministic scenario: `companies` Autotask companies (each with a contact
/// and a recurring-service contract) and matching Acronis customer tenants.
pub fn generate(companies: usize) -> Scenario {
    Scenario {
        autotask: crate::autotask::Seed::generate(companies),
        acronis: crate::acronis::Seed::generate(companies),
    }
}

/// The benchmarks' scenario: [`generate`] shaped like a large MSP's database (1-3
/// contracts and 2-6 services per company, bundles, PAYG and prepaid mixed, sub-partners,
/// alerts on 0.5 % of the tenants; see `Seed::generate_msp` of each simulator).
pub fn generate_msp(companies: usize) -> Scenario {
    Scenario {
        autotask: crate::autotask::Seed::generate_msp(companies),
        acronis: crate::acronis::Seed::generate_msp(companies),
    }
}
