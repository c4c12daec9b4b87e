//! The `curl` examples of the README, `docs/config-api.md` and `docs/local-mode.md`, run
//! against the router in order, on the demo scenario with saved credentials and settings
//! at version 1 (as `bridge run --demo` has them), so an example cannot drift from the
//! API. A command must answer 2xx, unless the page shows its answer with an `error`:
//! then the answer must carry that error. Examples for a deployed bridge (SigV4) are
//! skipped.

use crate::common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{Env, TOKEN, send, whole};
use serde_json::{Value, json};
use std::path::PathBuf;

/// One `curl` command of a page, with the answer the page shows for it, if any.
#[derive(Debug)]
struct Example {
    page: &'static str,
    command: String,
    shown: Option<String>,
}

fn repo_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `curl` commands in the page's `sh` blocks, continuation lines joined. A line
/// starting `$ ` is a prompt; the lines after it, up to the next prompt, are its answer.
fn examples(page: &'static str) -> Vec<Example> {
    let text = repo_file(page);
    let mut found = Vec::new();
    let mut in_sh = false;
    let mut pending = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_sh = !in_sh && trimmed == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let line = trimmed.strip_prefix("$ ").unwrap_or(trimmed);
        if !pending.is_empty() {
            pending.push(' ');
            pending.push_str(line.trim_end_matches('\\'));
            if !line.ends_with('\\') {
                found.push(Example {
                    page,
                    command: std::mem::take(&mut pending),
                    shown: None,
                });
            }
            continue;
        }
        if line.starts_with("curl ") {
            if line.ends_with('\\') {
                pending = line.trim_end_matches('\\').to_owned();
            } else {
                found.push(Example {
                    page,
                    command: line.to_owned(),
                    shown: None,
                });
            }
        } else if line.starts_with('{')
            && let Some(last) = found.last_mut()
            && last.shown.is_none()
        {
            last.shown = Some(line.to_owned());
        }
    }
    found
}

/// Shell words: single quotes literal, double quotes with `$TOKEN` expanded, `#` starts
/// a comment.
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                in_word = true;
                let mut quoted = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => quoted.extend(chars.next()),
                        c => quoted.push(c),
                    }
                }
                word.push_str(&quoted.replace("$TOKEN", TOKEN));
            }
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The request a local `curl` command sends, or `None` for one that is not local.
fn to_request(command: &str) -> Option<Request<Body>> {
    let words = words(command);
    let mut method = None;
    let mut builder = Request::builder();
    let mut data = None;
    let mut url = None;
    let mut args = words.iter().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-s" => {}
            "-X" => method = args.next().cloned(),
            "-H" => {
                let header = args.next()?;
                let (name, value) = header.split_once(':')?;
                builder = builder.header(name.trim(), value.trim());
            }
            "-d" => data = args.next().cloned(),
            "--aws-sigv4" | "--user" => return None,
            other => url = Some(other.to_owned()),
        }
    }
    let url = url?;
    let rest = url.strip_prefix("http://").unwrap_or(&url);
    let path = ["localhost:8080", "127.0.0.1:8080"]
        .iter()
        .find_map(|host| rest.strip_prefix(host))?;
    let method = method.unwrap_or_else(|| if data.is_some() { "POST" } else { "GET" }.into());
    builder
        .method(Method::from_bytes(method.as_bytes()).ok()?)
        .uri(if path.is_empty() { "/" } else { path })
        .body(data.map_or_else(Body::empty, Body::from))
        .ok()
}

#[tokio::test]
async fn the_documented_curl_examples_work() {
    let env = Env::sqlite().await;
    env.connect().await;
    let (status, body) = env.put("/settings", whole(json!({"version": 0}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let mut run = 0;
    for page in ["README.md", "docs/config-api.md", "docs/local-mode.md"] {
        let found = examples(page);
        assert!(!found.is_empty(), "{page}: no curl examples found");
        for example in found {
            let Some(request) = to_request(&example.command) else {
                continue;
            };
            let (status, answer) = send(&env.app, request).await;
            let context = format!(
                "{}: {}\n-> {status} {answer}",
                example.page, example.command
            );
            let shown_error = example
                .shown
                .as_deref()
                .and_then(|shown| serde_json::from_str::<Value>(shown).ok())
                .and_then(|shown| shown.get("error").cloned());
            match shown_error {
                Some(error) => assert_eq!(answer["error"], error, "{context}"),
                None => assert!(status.is_success(), "{context}"),
            }
            run += 1;
        }
    }
    assert!(run >= 12, "only {run} examples ran");
}

#[test]
fn curl_commands_are_read_as_the_shell_would() {
    assert_eq!(
        words(
            r#"curl -s -H "Authorization: Bearer $TOKEN" -d '{"a": "b c"}' localhost:8080/x # note"#
        ),
        vec![
            "curl".to_owned(),
            "-s".into(),
            "-H".into(),
            format!("Authorization: Bearer {TOKEN}"),
            "-d".into(),
            r#"{"a": "b c"}"#.into(),
            "localhost:8080/x".into(),
        ]
    );
    let request =
        to_request("curl -s -X PATCH -d '{}' 'http://127.0.0.1:8080/settings?a=1'").expect("local");
    assert_eq!(request.method(), Method::PATCH);
    assert_eq!(request.uri(), "/settings?a=1");
    assert!(to_request("curl -s https://example.com/settings").is_none());
}
