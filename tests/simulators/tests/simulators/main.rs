//! Both simulators over HTTP, in one test binary: Acronis and Autotask driven as the
//! bridge's clients drive them, and hostile scenario files. One binary links the
//! dependencies once; a module per simulator keeps the tests apart.

mod acronis_sim;
mod autotask_sim;
mod scenario_files;
