//! A seeded mutation fuzz harness shared by the parser fuzz tests (draw-data's `tests/fuzz.rs`
//! and draw-core's `tests/fuzz.rs`, which includes this file by path).
//!
//! No nightly toolchain and no extra crates: inputs come from a fixed-seed generator
//! ([`Rng`]) as every truncation point of a small valid file, every header field set to hostile
//! values, and random byte flips, insertions, deletions and splices. [`run`] feeds each input to
//! a parser on a worker thread and fails the test, printing the input, if the parser
//!
//! - panics (caught with `catch_unwind`),
//! - takes longer than [`PER_INPUT_LIMIT`] on one input, or the whole run exceeds
//!   [`RUN_LIMIT`] (a hang: the main thread stops waiting and names the input in flight),
//! - allocates more than the input's bound, measured by a counting global allocator per thread
//!   (largest single request and peak live bytes), so a hostile length field that drives an
//!   allocation is caught even when the allocation would succeed.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longest one input may take (generous: the machine is shared and tests run in parallel).
pub const PER_INPUT_LIMIT: Duration = Duration::from_secs(5);
/// Longest a whole parser's run may take before it is reported as a hang.
pub const RUN_LIMIT: Duration = Duration::from_secs(300);

// ---------------------------------------------------------------- allocation tracking

struct Tracking;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn grew(size: usize) {
    let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + size as isize);
        let _ = PEAK.try_with(|p| p.set(p.get().max(live.get())));
    });
}

fn shrank(size: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get() - size as isize));
}

// SAFETY: every method forwards to `System` unchanged; the bookkeeping only touches
// const-initialised thread-locals (no allocation, no destructor) through `try_with`.
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        shrank(layout.size());
        grew(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Tracking = Tracking;

fn reset_tracking() {
    LIVE.with(|l| l.set(0));
    PEAK.with(|p| p.set(0));
    LARGEST.with(|l| l.set(0));
}

/// (largest single allocation, peak live bytes) on this thread since the last reset.
fn tracked() -> (usize, usize) {
    (
        LARGEST.with(Cell::get),
        PEAK.with(|p| p.get().max(0) as usize),
    )
}

// ---------------------------------------------------------------- inputs

/// SplitMix64: a fixed seed gives the same inputs on every machine and run.
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// A random byte.
    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }
    /// A random element of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A header field: `width` bytes (1, 4 or 8) at `offset`, big- or little-endian.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// Byte offset in the file.
    pub offset: usize,
    /// 1, 2, 4 or 8.
    pub width: usize,
    /// Byte order of multi-byte fields.
    pub big_endian: bool,
}

impl Field {
    /// A one-byte field.
    pub fn byte(offset: usize) -> Self {
        Field {
            offset,
            width: 1,
            big_endian: true,
        }
    }
    /// A big-endian `u32`.
    pub fn be32(offset: usize) -> Self {
        Field {
            offset,
            width: 4,
            big_endian: true,
        }
    }
    /// A little-endian `u32`.
    pub fn le32(offset: usize) -> Self {
        Field {
            offset,
            width: 4,
            big_endian: false,
        }
    }
    /// A little-endian `u64`.
    pub fn le64(offset: usize) -> Self {
        Field {
            offset,
            width: 8,
            big_endian: false,
        }
    }

    /// Hostile values for this field in a file of `len` bytes: zero, one, small counts, sign
    /// and width boundaries, the maximum, and lengths at, just past and far past the file.
    pub fn hostile_values(&self, len: usize) -> Vec<u64> {
        let max = if self.width >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * self.width)) - 1
        };
        let len = len as u64;
        let mut v = vec![
            0,
            1,
            2,
            3,
            7,
            8,
            9,
            10,
            0x0d,
            0x7f,
            0x80,
            0xff,
            0x100,
            1 << 16,
            10_000,
            60_000,
            (1 << 24) + 1,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_fffe,
            0xffff_ffff,
            1 << 32,
            1 << 40,
            i64::MAX as u64,
            u64::MAX - 1,
            u64::MAX,
            len.saturating_sub(8),
            len.saturating_sub(1),
            len,
            len + 1,
            len * 2,
            len * 1000,
        ];
        v.iter_mut().for_each(|x| *x = (*x).min(max));
        v.sort_unstable();
        v.dedup();
        v
    }

    /// `bytes` with this field set to `value` (unchanged where the field lies past the end).
    pub fn set(&self, bytes: &[u8], value: u64) -> Vec<u8> {
        let mut out = bytes.to_vec();
        let be = value.to_be_bytes();
        let le = value.to_le_bytes();
        let field: Vec<u8> = if self.big_endian {
            be[8 - self.width..].to_vec()
        } else {
            le[..self.width].to_vec()
        };
        if let Some(dst) = out.get_mut(self.offset..self.offset + self.width) {
            dst.copy_from_slice(&field);
        }
        out
    }
}

/// Every prefix of `seed`, from empty to the whole file.
pub fn truncations(seed: &[u8]) -> Vec<Vec<u8>> {
    (0..=seed.len()).map(|n| seed[..n].to_vec()).collect()
}

/// Every field set to each of its hostile values, then `combos` inputs with two or three
/// fields set at once.
pub fn hostile_fields(seed: &[u8], fields: &[Field], combos: usize, rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for f in fields {
        for v in f.hostile_values(seed.len()) {
            out.push(f.set(seed, v));
        }
    }
    for _ in 0..combos {
        let mut b = seed.to_vec();
        for _ in 0..2 + rng.below(2) {
            let f = rng.pick(fields);
            let v = *rng.pick(&f.hostile_values(seed.len()));
            b = f.set(&b, v);
        }
        out.push(b);
    }
    out
}

/// One random mutation of `seed`: byte flips, bit flips, insertions, deletions, duplicated
/// or swapped chunks, interesting bytes, or several of these.
pub fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = b.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                b[i] = rng.byte();
            }
            1 if len > 0 => {
                let i = rng.below(len);
                b[i] ^= 1 << rng.below(8);
            }
            2 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(16);
                let ins: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
                b.splice(i..i, ins);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(32));
                b.drain(i..i + n);
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                let chunk = b[i..i + n].to_vec();
                let at = rng.below(len + 1);
                b.splice(at..at, chunk);
            }
            5 if len > 0 => {
                let i = rng.below(len);
                b[i] = *rng.pick(&[0u8, 1, 0x7f, 0x80, 0xff, b'"', b'{', b'}', b'[', b'9']);
            }
            _ if len > 1 => {
                let (i, j) = (rng.below(len), rng.below(len));
                b.swap(i, j);
            }
            _ => b.push(rng.byte()),
        }
    }
    b
}

/// `count` random mutations of `seed`.
pub fn mutations(seed: &[u8], count: usize, rng: &mut Rng) -> Vec<Vec<u8>> {
    (0..count).map(|_| mutate(seed, rng)).collect()
}

// ---------------------------------------------------------------- running

/// What one parser's run found.
#[derive(Debug, Default)]
pub struct Report {
    /// Inputs tried.
    pub tried: usize,
    /// Inputs the parser accepted.
    pub ok: usize,
    /// Inputs the parser refused with an error.
    pub err: usize,
    /// Slowest single input.
    pub slowest: Duration,
    /// Largest peak live heap over one input, in bytes.
    pub peak: usize,
    /// Panics, over-allocations and slow inputs, each described with its input.
    pub failures: Vec<String>,
}

fn show(input: &[u8]) -> String {
    let head: String = input.iter().take(96).map(|b| format!("{b:02x}")).collect();
    let more = if input.len() > 96 { "…" } else { "" };
    format!("{} bytes: {head}{more}", input.len())
}

/// Keeps the full bytes of a failing input where a person can find them.
fn save_failure(parser: &str, index: usize, input: &[u8]) -> String {
    let name: String = parser
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let path = std::env::temp_dir().join(format!("fuzz-failure-{name}-{index}.bin"));
    match std::fs::write(&path, input) {
        Ok(()) => format!(" (saved to {})", path.display()),
        Err(_) => String::new(),
    }
}

/// Feeds every input to `parse` (which returns whether the parser said Ok) on a worker
/// thread, and fails with a description of each input that panicked, took longer than
/// [`PER_INPUT_LIMIT`], or made the parser allocate more than `bound(input)` bytes. Prints the
/// tally (visible with `--nocapture`) and returns it.
pub fn run<P, B>(parser: &str, inputs: Vec<Vec<u8>>, bound: B, parse: P) -> Report
where
    P: Fn(&[u8]) -> bool + Send + 'static,
    B: Fn(&[u8]) -> usize + Send + 'static,
{
    let started = Instant::now();
    let current = Arc::new(Mutex::new((0usize, Vec::new())));
    let (tx, rx) = mpsc::channel();
    let worker_current = Arc::clone(&current);
    let name = parser.to_string();
    std::thread::spawn(move || {
        let mut r = Report::default();
        for (i, input) in inputs.iter().enumerate() {
            if let Ok(mut c) = worker_current.lock() {
                *c = (i, input.clone());
            }
            reset_tracking();
            let t = Instant::now();
            let outcome = catch_unwind(AssertUnwindSafe(|| parse(input)));
            let dt = t.elapsed();
            let (largest, peak) = tracked();
            r.tried += 1;
            r.slowest = r.slowest.max(dt);
            let outcome_returned = outcome.is_ok();
            r.peak = r.peak.max(peak);
            match outcome {
                Ok(true) => r.ok += 1,
                Ok(false) => r.err += 1,
                Err(payload) => {
                    let msg = payload
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    r.failures.push(format!(
                        "PANIC `{msg}` on input #{i} {}{}",
                        show(input),
                        save_failure(&name, i, input)
                    ));
                }
            }
            // (A panic's own report, e.g. a symbolised backtrace, may allocate far more than
            // the parser did: allocation is judged only on inputs that returned.)
            let limit = bound(input);
            if outcome_returned && largest.max(peak) > limit {
                r.failures.push(format!(
                    "ALLOCATION of {largest} bytes (peak {peak}) over the bound {limit} on input \
                     #{i} {}{}",
                    show(input),
                    save_failure(&name, i, input)
                ));
            }
            if dt > PER_INPUT_LIMIT {
                r.failures.push(format!(
                    "SLOW ({dt:?}) on input #{i} {}{}",
                    show(input),
                    save_failure(&name, i, input)
                ));
            }
        }
        let _ = tx.send(r);
    });
    let r = match rx.recv_timeout(RUN_LIMIT) {
        Ok(r) => r,
        Err(_) => {
            let (i, input) = current.lock().map(|c| c.clone()).unwrap_or_default();
            panic!(
                "{parser}: HANG: no result after {RUN_LIMIT:?}; input #{i} in flight: {}{}",
                show(&input),
                save_failure(parser, i, &input)
            );
        }
    };
    println!(
        "fuzz {parser}: {} inputs tried, {} Ok, {} Err, {} failures, slowest {:.1} ms, \
         peak heap {} KiB, {:.2} s",
        r.tried,
        r.ok,
        r.err,
        r.failures.len(),
        r.slowest.as_secs_f64() * 1e3,
        r.peak / 1024,
        started.elapsed().as_secs_f64()
    );
    assert!(
        r.failures.is_empty(),
        "{parser}: {} failing inputs:\n{}",
        r.failures.len(),
        r.failures.join("\n")
    );
    r
}
