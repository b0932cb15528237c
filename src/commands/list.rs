//! `microcircuits list`: the run and comparison presets.

use microcircuits::experiment::presets::{COMPARE_PRESETS, RUN_PRESETS};

/// Prints every preset name.
pub fn run() {
    println!("run presets (train --preset NAME):");
    for (name, _) in RUN_PRESETS {
        println!("  {name}");
    }
    println!("comparison presets (compare --preset NAME):");
    for (name, _) in COMPARE_PRESETS {
        println!("  {name}");
    }
}
