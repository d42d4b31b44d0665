//! Container unpacking on hostile bytes: the input, handed to the library as bytes in memory
//! (named `x.pyc` when its first byte is odd, so the `.pyc` reader is reached too), is flattened
//! with small limits; it must end in a listing or an error, never a panic, a hang or unbounded
//! memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use repro_check::container::{self, Limits};
use repro_check::input::Content;

fuzz_target!(|data: &[u8]| {
    let name = if data.first().is_some_and(|b| b & 1 == 1) { "x.pyc" } else { "x" };
    let content = Content::Memory {
        name: name.into(),
        bytes: data.into(),
    };
    let limits = Limits {
        members: 2_000,
        total: 64 << 20,
        slack: 1 << 20,
        ..Limits::default()
    };
    let _ = container::list(&content, name, limits, &|_, _| true, &container::every);
});
