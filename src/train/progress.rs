//! Progress bars that also leave a readable log when output is not a terminal.

use indicatif::{ProgressBar, ProgressStyle};

/// A bar over `steps` steps with a message, elapsed time and ETA.
pub fn bar(steps: u64) -> ProgressBar {
    let bar = ProgressBar::new(steps);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30.cyan/blue} {pos}/{len} {msg} [{elapsed_precise} eta {eta}]",
        )
        .expect("valid template"),
    );
    bar
}

/// Prints a line above the bar, or to stderr when the bar is hidden (not a terminal).
pub fn say(bar: &ProgressBar, line: &str) {
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}
