//! Declares the `loom` cfg so `--cfg loom` model-checking builds pass the workspace lints.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(loom)");
}
