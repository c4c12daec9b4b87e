//! The benchmark harness and the Lambda binaries end to end, in one test binary (one
//! link of the dependencies): the harness at a tiny size, and each function under the
//! loopback Lambda Runtime API emulator.

mod harness;
mod lambda;
