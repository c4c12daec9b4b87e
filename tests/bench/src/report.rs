//! The rows as a Markdown table (for people and `docs/benchmarks.md`), JSON (every
//! count) and CSV (for the plot).

use crate::cases::Row;
use crate::sims::Counts;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Requests per verb, e.g. `query 21 · create 3`; `–` for none.
pub fn by_verb(counts: &Counts) -> String {
    let mut verbs: BTreeMap<&str, u64> = BTreeMap::new();
    for (key, n) in counts {
        let verb = key.rsplit(' ').next().unwrap_or(key);
        *verbs.entry(verb).or_default() += n;
    }
    if verbs.is_empty() {
        return "–".into();
    }
    verbs
        .iter()
        .map(|(verb, n)| format!("{verb} {n}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn shown(ratio: Option<f64>) -> String {
    ratio.map_or("–".into(), |r| format!("{r:.2}"))
}

pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| companies | job | case | Autotask requests | minimum | ratio | Acronis requests | minimum | ratio | wall s | peak RSS MiB | CPU s |\n\
         | ---: | --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} = {} | {} | {} | {} = {} | {} | {} | {:.1} | {:.1} | {:.2} |",
            r.companies,
            r.job,
            r.case,
            r.autotask.values().sum::<u64>(),
            by_verb(&r.autotask),
            r.min_autotask,
            shown(r.ratio_autotask),
            r.acronis.values().sum::<u64>(),
            by_verb(&r.acronis),
            r.min_acronis,
            shown(r.ratio_acronis),
            r.wall_s,
            r.peak_rss_mib,
            r.cpu_s
        );
    }
    out
}

pub fn csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "companies,job,case,autotask,acronis,min_autotask,min_acronis,wall_s,peak_rss_mib,cpu_s\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{:.3},{:.1},{:.3}",
            r.companies,
            r.job,
            r.case,
            r.autotask.values().sum::<u64>(),
            r.acronis.values().sum::<u64>(),
            r.min_autotask,
            r.min_acronis,
            r.wall_s,
            r.peak_rss_mib,
            r.cpu_s
        );
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn verbs_are_summed_across_entities() {
        let counts: Counts = [
            ("Contracts query".to_string(), 3),
            ("ContractServiceUnits query".to_string(), 2),
            ("Tickets create".to_string(), 5),
        ]
        .into_iter()
        .collect();
        assert_eq!(by_verb(&counts), "create 5 · query 5");
        assert_eq!(by_verb(&Counts::new()), "–");
    }
}
