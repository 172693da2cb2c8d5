"""The nightly batch: every job seeker's suggestions recomputed, published atomically as a run."""
