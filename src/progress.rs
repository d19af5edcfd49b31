//! Progress of a long command (seeding, reindexing), reported as stage, done and total.

/// Reports progress: (stage, done, total).
pub trait Progress {
    fn update(&mut self, stage: &str, done: usize, total: usize);
}

impl<F: FnMut(&str, usize, usize)> Progress for F {
    fn update(&mut self, stage: &str, done: usize, total: usize) {
        self(stage, done, total)
    }
}
