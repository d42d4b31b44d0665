//! Human names for ELF header values: machines as `uname -m` prints them, and file types.

/// The machine name `uname -m` prints for this `e_machine`, class and byte order.
pub fn machine_name(e_machine: u16, is_64: bool, little_endian: bool) -> String {
    let name = match (e_machine, is_64) {
        (3, _) => "i686",
        (62, true) => "x86_64",
        (62, false) => "x32",
        (183, _) => "aarch64",
        (40, _) => "arm",
        (243, true) => "riscv64",
        (243, false) => "riscv32",
        (21, _) if little_endian => "ppc64le",
        (21, _) => "ppc64",
        (20, _) => "ppc",
        (22, true) => "s390x",
        (22, false) => "s390",
        (8, true) => "mips64",
        (8, false) => "mips",
        (258, _) => "loongarch64",
        (43, _) => "sparc64",
        (2, _) => "sparc",
        (4, _) => "m68k",
        (42, _) => "sh",
        (15, _) => "parisc",
        (50, _) => "ia64",
        (0x9026, _) => "alpha",
        (0, _) => "none",
        _ => return format!("unknown-{e_machine}"),
    };
    name.to_string()
}

/// The dynamic loader a glibc or musl program for this machine would normally request; used in hints.
pub fn typical_interpreter(machine: &str) -> Option<&'static str> {
    Some(match machine {
        "x86_64" => "/lib64/ld-linux-x86-64.so.2",
        "i686" => "/lib/ld-linux.so.2",
        "aarch64" => "/lib/ld-linux-aarch64.so.1",
        "arm" => "/lib/ld-linux-armhf.so.3",
        "riscv64" => "/lib/ld-linux-riscv64-lp64d.so.1",
        "ppc64" => "/lib64/ld64.so.1",
        "ppc64le" => "/lib64/ld64.so.2",
        "s390x" => "/lib/ld64.so.1",
        _ => return None,
    })
}

/// The Rust musl target for this machine, used in fix hints.
pub fn musl_target(machine: &str) -> Option<&'static str> {
    Some(match machine {
        "x86_64" => "x86_64-unknown-linux-musl",
        "i686" => "i686-unknown-linux-musl",
        "aarch64" => "aarch64-unknown-linux-musl",
        "arm" => "armv7-unknown-linux-musleabihf",
        "riscv64" => "riscv64gc-unknown-linux-musl",
        "ppc64le" => "powerpc64le-unknown-linux-musl",
        "s390x" => "s390x-unknown-linux-musl",
        "loongarch64" => "loongarch64-unknown-linux-musl",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_uname() {
        assert_eq!(machine_name(62, true, true), "x86_64");
        assert_eq!(machine_name(3, false, true), "i686");
        assert_eq!(machine_name(21, true, false), "ppc64");
        assert_eq!(machine_name(21, true, true), "ppc64le");
        assert_eq!(machine_name(22, true, false), "s390x");
        assert_eq!(machine_name(4242, true, true), "unknown-4242");
    }
}
