//! Plain-text tables for the operator commands.

use crate::terminal::printable;
use serde_json::Value;

/// Columns padded to their widest cell; the last column is not padded.
pub fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == last {
                    c.to_string()
                } else {
                    format!("{c:<width$}", width = widths[i])
                }
            })
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut out = vec![line(headers.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    out.join("\n")
}

/// A JSON field as a cell: strings bare, null and missing as `-`, control characters
/// (a line break too, which would break the row) escaped.
pub fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "-".to_owned(),
        Some(Value::String(s)) => printable(s).into_owned(),
        Some(other) => printable(&other.to_string()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn columns_line_up() {
        let rows = vec![
            vec![
                "174".to_string(),
                "Northwind Traders".to_string(),
                "x".to_string(),
            ],
            vec!["1".to_string(), "A".to_string(), "-".to_string()],
        ];
        assert_eq!(
            render(&["id", "name", "tenant"], &rows),
            "id   name               tenant\n174  Northwind Traders  x\n1    A                  -"
        );
        assert_eq!(cell(Some(&json!("a"))), "a");
        assert_eq!(cell(Some(&json!(3))), "3");
        assert_eq!(cell(None), "-");
        assert_eq!(
            cell(Some(&json!("Red\u{1b}[31m\nCo"))),
            "Red\\u{1b}[31m\\u{a}Co"
        );
    }
}
