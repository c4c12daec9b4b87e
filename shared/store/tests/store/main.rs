//! The store's adapters against real backends, in one test binary: one conformance
//! suite run on the embedded SQLite store and on DynamoDB (moto's server), the event
//! buses and the secret sources. One binary links the dependencies once; a module per
//! adapter keeps the tests apart (`cargo nextest run -p bridge-store conformance_dynamo::`
//! runs one).

mod conformance_dynamo;
mod conformance_sqlite;
mod events;
mod secrets;

// The cases both store adapters must pass alike; without the `embedded` feature only the
// DynamoDB half uses them.
mod conformance;
