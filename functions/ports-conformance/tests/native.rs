//! The conformance suite against the native adapters (`NativePorts`: rusqlite with the D1
//! migrations, a temporary directory, memory, the `rsa` crate).

#![allow(clippy::unwrap_used)]

use edgetube_native::{NativePorts, SystemClock};
use edgetube_ports::Ports;
use edgetube_ports_conformance::{run_all, Run};
use futures::executor::block_on;

#[test]
fn native_ports_pass_every_check() {
    let dir = tempfile::tempdir().unwrap();
    let native = NativePorts::new(dir.path(), 1_795_297_812_254).unwrap();
    let ports = native.ports();
    let run = Run::fresh(ports.clock, ports.crypto);
    let report = block_on(run_all(&ports, &run));
    for result in &report.results {
        println!("{} {}: {}", if result.passed { "ok  " } else { "FAIL" }, result.name, result.detail);
    }
    assert!(report.all_passed(), "failed: {:#?}", report.failures());
}

#[test]
fn checks_can_run_twice_over_the_same_ports() {
    let dir = tempfile::tempdir().unwrap();
    let native = NativePorts::new(dir.path(), 1_795_297_812_254).unwrap();
    let clock = SystemClock;
    let ports = Ports { clock: &clock, ..native.ports() };
    for _ in 0..2 {
        let run = Run::fresh(ports.clock, ports.crypto);
        let report = block_on(edgetube_ports_conformance::check_sql(ports.sql, &run));
        assert!(report.all_passed(), "failed: {:#?}", report.failures());
        let report = block_on(edgetube_ports_conformance::check_objects(ports.objects, &run));
        assert!(report.all_passed(), "failed: {:#?}", report.failures());
    }
}
