//! Puts the code offcloud runs at start and while idle together, first in the binary, through
//! the linker script link/start-order.ld: an idle process then maps about 2 MiB of its code
//! rather than pieces of all of it (link/README.md has the why and the figures).

use std::env;
use std::path::Path;

fn main() {
    println!("cargo::rerun-if-changed=link/start-order.ld");
    println!("cargo::rerun-if-env-changed=OFFCLOUD_TEXT_ORDER");
    println!("cargo::rerun-if-env-changed=OFFCLOUD_LINK_MAP");
    let var = |name: &str| env::var(name).unwrap_or_default();
    // link/order-start.py reads where each function went from the linker's map.
    if let Ok(map) = env::var("OFFCLOUD_LINK_MAP") {
        println!("cargo::rustc-link-arg-bins=-Wl,-Map={map}");
    }
    // Release builds only: a debug build's layout does not matter. Linux only: the script is
    // for the GNU-style linkers there (Rust's own LLD, or GNU ld), not for macOS's or Windows'.
    let wanted = var("PROFILE") == "release"
        && var("CARGO_CFG_TARGET_OS") == "linux"
        && var("OFFCLOUD_TEXT_ORDER") != "off";
    let script = Path::new(&var("CARGO_MANIFEST_DIR")).join("link/start-order.ld");
    if wanted && script.exists() {
        println!("cargo::rustc-link-arg-bins=-Wl,-T,{}", script.display());
    }
}
