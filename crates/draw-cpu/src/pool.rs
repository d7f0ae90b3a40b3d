//! Execution: running a step on rayon's global pool, and the one-thread pools that batch
//! shards run in.

use crate::simd::flush_denormals;

/// Runs `f` on a worker of the global pool with denormals flushed, so that every op inside
/// forks from that worker.
pub(crate) fn run<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    // `rayon::scope` runs its closure on a worker of the global pool (injecting it when
    // called from another thread); every op inside then forks from that worker.
    rayon::scope(|_| {
        flush_denormals();
        f()
    })
}

/// One shard per core: each runs its rows' whole forward or backward pass serially,
/// so a step synchronises the cores once instead of at each of its ~1700 small ops.
pub(crate) fn shards(batch: usize) -> usize {
    rayon::current_num_threads().min(batch).max(1)
}

/// Runs `f(k, item)` for every item, item `k` inside shard pool `k`, all at once; serially
/// on the calling thread when there is one item or more items than pools.
pub(crate) fn run_shards<T: Send>(items: &mut [T], f: impl Fn(usize, &mut T) + Sync) {
    let pools = shard_pools();
    if items.len() <= 1 || pools.len() < items.len() {
        for (k, item) in items.iter_mut().enumerate() {
            f(k, item);
        }
        return;
    }
    let f = &f;
    std::thread::scope(|s| {
        let (first, rest) = items.split_first_mut().expect("at least two items");
        for (k, item) in rest.iter_mut().enumerate() {
            let pool = &pools[k + 1];
            s.spawn(move || pool.install(|| f(k + 1, item)));
        }
        pools[0].install(|| f(0, first));
    });
}

/// One single-threaded rayon pool per thread of the global pool: a shard of a batch runs
/// inside one of them, so its ops (and its GEMMs, whose parallelism follows the current pool)
/// run serially on one core without waking any other thread.
fn shard_pools() -> &'static [rayon::ThreadPool] {
    static POOLS: std::sync::OnceLock<Vec<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOLS.get_or_init(|| {
        (0..rayon::current_num_threads())
            .map(|k| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .thread_name(move |_| format!("draw-shard-{k}"))
                    .start_handler(|_| flush_denormals())
                    .build()
                    .expect("a one-thread pool can be built")
            })
            .collect()
    })
}
