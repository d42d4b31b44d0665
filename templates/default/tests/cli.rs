//! The built program, run as a user runs it.

use std::process::Command;

#[test]
fn prints_a_greeting() {
    let out = Command::new(env!("CARGO_BIN_EXE_hello-static"))
        .arg("reviewer")
        .output()
        .expect("cannot run hello-static");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("Hello, reviewer! (linked with "), "{stdout}");
}
