"""Speed measured as ratios within one run (ours vs a naive or reference way); JSON under build/bench/."""
