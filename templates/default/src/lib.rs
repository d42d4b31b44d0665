//! The logic of `hello-static`, kept in a library so that it can be unit-tested.

/// The greeting for `name` (or for the world), with the C library this binary was linked with.
pub fn greeting(name: Option<&str>) -> String {
    let libc = if cfg!(target_env = "musl") { "musl" } else { "glibc" };
    format!("Hello, {}! (linked with {libc})", name.unwrap_or("world"))
}

#[cfg(test)]
mod tests {
    use super::greeting;

    #[test]
    fn greets_the_world_by_default() {
        assert!(greeting(None).starts_with("Hello, world!"));
    }

    #[test]
    fn greets_by_name() {
        assert!(greeting(Some("Nix")).starts_with("Hello, Nix!"));
    }
}
