//! The `bridge` command end to end, in one test binary: the real binary as the README
//! runs it, the local runner in-process, the operator client, the console relay,
//! `scripts/demo` and `infra/template.yaml` against the code. One binary links the
//! dependencies once; a module per concern keeps the tests apart (`cargo nextest run -p
//! bridge-cli template::` runs one).

mod binary;
mod console;
mod demo_script;
mod operator;
mod runner;
mod template;

// The fixtures the modules share; each uses only part of them.
mod common;
