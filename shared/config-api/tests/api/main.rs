//! The config endpoint end to end, in one test binary: the router on the embedded store
//! and on DynamoDB (moto), the console's files, the docs' examples, hostile payloads,
//! load and the security walk of `openapi.json`. One binary links the dependencies once;
//! a module per concern keeps the tests apart (`cargo nextest run -p bridge-config-api
//! security::` runs one).

mod console;
mod credentials;
mod database;
mod docs;
mod dynamo;
mod forecast;
mod hardening;
mod http;
mod jobs;
mod load;
mod mappings;
mod pause;
mod plan;
mod property;
mod release;
mod security;
mod settings;

// The fixtures every module builds on; each module uses only part of them.
mod common;
