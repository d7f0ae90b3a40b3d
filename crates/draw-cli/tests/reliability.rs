//! Training that survives, checked on real `draw train` processes: killed with SIGKILL at
//! seeded random points and resumed (bit for bit the run that was never interrupted), stopped
//! by SIGTERM/SIGINT, pointed at an existing run, made to fail a checkpoint write, given
//! absurd flags, and driven to non-finite losses.

mod common;

use common::{draw, mnist, s};
use draw_core::checkpoint;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The longest any one wait here may take (the machine may be busy), after which the test
/// fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(300);

fn tmp(name: &str) -> PathBuf {
    common::tmp("rel", name)
}

/// `draw train` on the small run every test uses (`quick`, T = 4, 1000 training and 200 test
/// images) in batches of `batch`, into `out`, with `extra` flags.
fn train_args(out: &Path, batch: usize, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "train",
        "--preset",
        "quick",
        "--steps",
        "4",
        "--train-limit",
        "1000",
        "--test-limit",
        "200",
    ]
    .iter()
    .map(|x| x.to_string())
    .collect();
    a.extend([
        "--batch-size".into(),
        batch.to_string(),
        "--data".into(),
        s(&mnist()),
        "--out".into(),
        s(out),
    ]);
    a.extend(extra.iter().map(|x| x.to_string()));
    a
}

/// [`train_args`] in batches of 50 (20 steps an epoch).
fn quick(out: &Path, extra: &[&str]) -> Vec<String> {
    train_args(out, 50, extra)
}

/// 2 epochs (40 steps), a checkpoint and a metrics line after every step.
const EVERY_STEP: &[&str] = &[
    "--epochs",
    "2",
    "--checkpoint-every",
    "1",
    "--log-every",
    "1",
];

fn resume_args(run: &Path) -> Vec<String> {
    vec!["train".into(), "--resume".into(), s(run)]
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn succeeds(o: &Output) {
    assert!(o.status.success(), "should succeed: {}", stderr(o));
}

fn fails_with(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a clean error exit, not a success, a signal or a panic: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "stderr should mention `{n}`: {err}");
    }
}

/// `draw` started in the background, its stdout and stderr going to `log`.out and `log`.err.
fn spawn(args: &[String], log: &Path) -> Child {
    let file = |ext: &str| std::fs::File::create(log.with_extension(ext)).unwrap();
    Command::new(env!("CARGO_BIN_EXE_draw"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(file("out"))
        .stderr(file("err"))
        .spawn()
        .expect("starts draw")
}

/// Waits until `ready` holds (true) or the child has exited (false); fails the test, killing
/// the child, after [`PATIENCE`].
fn wait_until(child: &mut Child, ready: impl Fn() -> bool) -> bool {
    let t0 = Instant::now();
    loop {
        if ready() {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if t0.elapsed() > PATIENCE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("draw did not get there in {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits for the child to exit; fails the test, killing it, after `limit`.
fn wait_at_most(child: &mut Child, limit: Duration) -> ExitStatus {
    let t0 = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("draw still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `draw args` with at most `limit` to finish: its status and stderr.
fn run_limited(args: &[&str], limit: Duration, log: &Path) -> (ExitStatus, String) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let mut child = spawn(&args, log);
    let status = wait_at_most(&mut child, limit);
    (
        status,
        std::fs::read_to_string(log.with_extension("err")).unwrap(),
    )
}

fn signal(child: &Child, sig: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on the pid of a child this test started and has not reaped yet.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill({pid}, {sig})");
}

/// Whole lines in a file (0 when it does not exist).
fn lines(path: &Path) -> usize {
    std::fs::read(path).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
}

fn checkpoint_path(run: &Path) -> PathBuf {
    run.join("checkpoint.safetensors")
}

fn metrics_path(run: &Path) -> PathBuf {
    run.join("metrics.jsonl")
}

/// The metadata of a safetensors file, read from its header alone.
fn header_metadata(path: &Path) -> serde_json::Map<String, Value> {
    let bytes = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    header["__metadata__"].as_object().unwrap().clone()
}

/// The checkpoint's `train_state`, as JSON.
fn train_state(path: &Path) -> Value {
    let meta = header_metadata(path);
    serde_json::from_str(meta["train_state"].as_str().unwrap()).unwrap()
}

/// Lines of metrics.jsonl the run's checkpoint was written after (0 without a checkpoint).
fn checkpointed_lines(run: &Path) -> usize {
    let ck = checkpoint_path(run);
    if !ck.exists() {
        return 0;
    }
    train_state(&ck)["metrics_lines"].as_u64().unwrap() as usize
}

/// metrics.jsonl, each line parsed (a line that is not JSON fails the test), without the
/// wall-clock fields (`images_per_sec`, `elapsed_sec`).
fn metrics(run: &Path) -> Vec<Value> {
    let path = metrics_path(run);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "{} ends in a partial line",
        path.display()
    );
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            let mut v: Value = serde_json::from_str(l).unwrap_or_else(|e| {
                panic!(
                    "line {} of {} is not JSON ({e}): {l}",
                    i + 1,
                    path.display()
                )
            });
            let o = v.as_object_mut().expect("a JSON object per line");
            o.remove("images_per_sec");
            o.remove("elapsed_sec");
            v
        })
        .collect()
}

/// Every metrics line parses, the step lines' steps rise one at a time from 1 (none repeated,
/// none lost), and no epoch line is repeated.
fn assert_metrics_whole(run: &Path) {
    let m = metrics(run);
    let steps: Vec<u64> = m
        .iter()
        .filter(|l| l.get("loss").is_some())
        .map(|l| l["step"].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = (1..=steps.len() as u64).collect();
    assert_eq!(steps, expected, "step lines of {}", run.display());
    let mut ends: Vec<(u64, u64)> = m
        .iter()
        .filter(|l| l.get("test_nll").is_some())
        .map(|l| (l["epoch"].as_u64().unwrap(), l["step"].as_u64().unwrap()))
        .collect();
    let n = ends.len();
    ends.dedup();
    assert_eq!(ends.len(), n, "an epoch line repeated in {}", run.display());
}

/// The data area of a safetensors file: every byte after the header.
fn data_area(bytes: &[u8]) -> &[u8] {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    &bytes[8 + n..]
}

/// Two runs ended in the same place: the same metrics (timings aside), the same checkpoint
/// tensors bit for bit, the same parameters, optimiser state and run state (elapsed time
/// aside), the same samples.
fn assert_same_run(a: &Path, b: &Path) {
    let (ma, mb) = (metrics(a), metrics(b));
    for (i, (x, y)) in ma.iter().zip(&mb).enumerate() {
        assert_eq!(x, y, "metrics line {} differs", i + 1);
    }
    assert_eq!(ma.len(), mb.len(), "metrics line counts");

    let (ca, cb) = (checkpoint_path(a), checkpoint_path(b));
    let (ba, bb) = (std::fs::read(&ca).unwrap(), std::fs::read(&cb).unwrap());
    assert!(
        data_area(&ba) == data_area(&bb),
        "the checkpoints' tensor data differ"
    );
    let (la, lb) = (
        checkpoint::load(&ca).unwrap(),
        checkpoint::load(&cb).unwrap(),
    );
    assert_eq!(la.config, lb.config);
    assert!(la.values == lb.values, "parameters differ");
    assert!(la.optimizer.is_some(), "a training checkpoint holds Adam");
    assert!(la.optimizer == lb.optimizer, "optimiser states differ");
    let without_state = |m: &std::collections::HashMap<String, String>| {
        let mut m = m.clone();
        m.remove("train_state");
        m
    };
    assert_eq!(without_state(&la.metadata), without_state(&lb.metadata));
    let state = |p: &Path| {
        let mut v = train_state(p);
        v.as_object_mut().unwrap().remove("elapsed_sec");
        v
    };
    assert_eq!(state(&ca), state(&cb));
    assert!(
        std::fs::read(a.join("samples.png")).unwrap()
            == std::fs::read(b.join("samples.png")).unwrap(),
        "samples differ"
    );
}

/// Tests that compare against the straight run; the last to finish removes it.
static STRAIGHT_USERS: AtomicUsize = AtomicUsize::new(2);

/// The run that is never interrupted ([`EVERY_STEP`]), trained once for the tests that
/// compare against it.
fn straight() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| {
        let run = tmp("straight").join("run");
        succeeds(&draw(&quick(&run, EVERY_STEP)));
        run
    })
}

fn done_with_straight() {
    if STRAIGHT_USERS.fetch_sub(1, Ordering::SeqCst) == 1 {
        let _ = std::fs::remove_dir_all(straight().parent().unwrap());
    }
}

/// xorshift64*: the kill points, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// A run killed with SIGKILL four times at seeded random points (each once the run has
/// checkpointed and written 2 to 6 new metrics lines, plus up to 250 ms, so a kill can land in
/// a step, a checkpoint write or an epoch's end), and resumed each time with `--resume DIR`,
/// ends exactly as the run that was never interrupted: the same losses, parameters, Adam
/// moments and samples, bit for bit.
#[test]
fn sigkill_at_random_points_then_resume_is_bit_identical() {
    let base = tmp("kill");
    let run = base.join("run");
    let mut rng = Rng(0x5eed_0000_2015);
    let mut args = quick(&run, EVERY_STEP);
    let mut kills = 0;
    for round in 0..4 {
        let start = checkpointed_lines(&run);
        let target = start + 2 + rng.below(5) as usize;
        let pause = Duration::from_millis(rng.below(250));
        let mut child = spawn(&args, &base.join(format!("round{round}")));
        let running = wait_until(&mut child, || {
            checkpoint_path(&run).exists() && lines(&metrics_path(&run)) >= target
        });
        if running {
            std::thread::sleep(pause);
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        let status = child.wait().unwrap();
        assert!(
            kills == round + 1,
            "round {round}: the run ended ({status}) before it was killed: {}",
            std::fs::read_to_string(base.join(format!("round{round}.err"))).unwrap()
        );
        args = resume_args(&run);
    }
    let last = draw(&args);
    succeeds(&last);
    let out = String::from_utf8_lossy(&last.stdout);
    assert!(out.contains("resumed at epoch"), "{out}");
    assert_metrics_whole(&run);
    assert_same_run(straight(), &run);
    done_with_straight();
    std::fs::remove_dir_all(base).unwrap();
}

/// SIGTERM finishes the step, writes a checkpoint holding everything logged so far, prints how
/// to resume and exits with 130; `--resume` then ends the run exactly as a straight one.
#[test]
fn sigterm_stops_cleanly_and_the_run_resumes_exactly() {
    let base = tmp("term");
    let run = base.join("run");
    let mut child = spawn(&quick(&run, EVERY_STEP), &base.join("term"));
    let running = wait_until(&mut child, || lines(&metrics_path(&run)) >= 12);
    assert!(running, "the run ended before the signal");
    signal(&child, libc::SIGTERM);
    let status = wait_at_most(&mut child, PATIENCE);
    let err = std::fs::read_to_string(base.join("term.err")).unwrap();
    assert_eq!(status.code(), Some(130), "{status}: {err}");
    assert!(
        err.contains(&format!("draw train --resume {}", run.display())),
        "{err}"
    );
    assert!(checkpoint::load(&checkpoint_path(&run)).is_ok());
    assert_eq!(
        checkpointed_lines(&run),
        lines(&metrics_path(&run)),
        "the checkpoint holds every metrics line written"
    );
    let resumed = draw(&resume_args(&run));
    succeeds(&resumed);
    assert_metrics_whole(&run);
    assert_same_run(straight(), &run);
    done_with_straight();
    std::fs::remove_dir_all(base).unwrap();
}

/// A second signal while the first is being handled exits at once (130, without the clean
/// stop's message), and the checkpoint on disk is still whole.
#[test]
fn a_second_signal_exits_at_once() {
    let base = tmp("twice");
    let run = base.join("run");
    let mut child = spawn(&quick(&run, EVERY_STEP), &base.join("twice"));
    let running = wait_until(&mut child, || {
        checkpoint_path(&run).exists() && lines(&metrics_path(&run)) >= 3
    });
    assert!(running, "the run ended before the signals");
    // Back to back, so that the second arrives during the step the first lets finish.
    signal(&child, libc::SIGINT);
    signal(&child, libc::SIGTERM);
    let status = wait_at_most(&mut child, PATIENCE);
    let err = std::fs::read_to_string(base.join("twice.err")).unwrap();
    assert_eq!(status.code(), Some(130), "{status}: {err}");
    assert!(!err.contains("interrupted after step"), "{err}");
    checkpoint::load(&checkpoint_path(&run)).unwrap();
    std::fs::remove_dir_all(base).unwrap();
}

/// `--out` on a directory that holds a run refuses, naming `--resume` and `--force`, and leaves
/// the run as it was; `--force` overwrites it.
#[test]
fn an_existing_run_is_never_overwritten_by_accident() {
    let base = tmp("exists");
    let run = base.join("run");
    succeeds(&draw(&quick(&run, &["--max-steps", "1"])));
    let files = ["config.json", "metrics.jsonl", "checkpoint.safetensors"];
    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(run.join(f)).unwrap())
        .collect();
    let other = quick(&run, &["--max-steps", "2", "--seed", "7"]);
    fails_with(
        &draw(&other),
        &["already holds a run", "--resume", "--force"],
    );
    for (f, b) in files.iter().zip(&before) {
        assert!(&std::fs::read(run.join(f)).unwrap() == b, "{f} changed");
    }

    let mut forced = other.clone();
    forced.push("--force".into());
    succeeds(&draw(&forced));
    let config = std::fs::read_to_string(run.join("config.json")).unwrap();
    assert!(config.contains("\"seed\": 7"), "{config}");
    let m = metrics(&run);
    assert!(m.iter().any(|l| l["step"] == 2), "{m:?}");
    std::fs::remove_dir_all(base).unwrap();
}

/// A checkpoint write that fails (its temporary file is /dev/full: "No space left on device")
/// warns on stderr, naming the failure, and training goes on; the next checkpoint is written
/// (the failed write removed its temporary file), so the run ends with a whole checkpoint.
#[test]
fn a_failed_checkpoint_write_warns_and_is_retried() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full on this system");
        return;
    }
    let base = tmp("full");
    let run = base.join("run");
    std::fs::create_dir_all(&run).unwrap();
    let tmp_file = run.join("checkpoint.safetensors.tmp");
    std::os::unix::fs::symlink("/dev/full", &tmp_file).unwrap();
    let out = draw(&quick(
        &run,
        &["--max-steps", "2", "--checkpoint-every", "1"],
    ));
    succeeds(&out);
    let err = stderr(&out);
    let enospc = std::io::Error::from_raw_os_error(libc::ENOSPC).to_string();
    for needle in [
        "warning",
        "checkpoint.safetensors",
        enospc.as_str(),
        "retries at the next checkpoint",
    ] {
        assert!(
            err.contains(needle),
            "stderr should mention `{needle}`: {err}"
        );
    }
    assert_eq!(err.matches("warning").count(), 1, "{err}");
    assert!(
        std::fs::symlink_metadata(&tmp_file).is_err(),
        "the failed write left its temporary file"
    );
    let ck = checkpoint::load(&checkpoint_path(&run)).unwrap();
    assert_eq!(ck.optimizer.map(|a| a.steps), Some(2));
    assert_eq!(ck.metadata["step"], "2");
    std::fs::remove_dir_all(base).unwrap();
}

/// `--threads 1000000` is refused at once (it used to spawn threads one by one and hang), on
/// `draw train` and `draw eval`; `--log-every 0` and `--max-steps 0` are refused (they used to
/// become 1).
#[test]
fn absurd_flags_are_refused_at_once() {
    let base = tmp("flags");
    let out = s(&base.join("run"));
    let data = s(&mnist());
    let data = data.as_str();
    let quickly = Duration::from_secs(20);
    let train = |extra: &[&'static str]| -> Vec<&str> {
        let mut a = vec![
            "train",
            "--data",
            data,
            "--out",
            &out,
            "--train-limit",
            "100",
            "--batch-size",
            "50",
            "--steps",
            "2",
        ];
        a.extend(extra);
        a
    };
    for (args, needle) in [
        (
            train(&["--threads", "1000000", "--max-steps", "1"]),
            "--threads",
        ),
        (
            vec![
                "eval",
                "--threads",
                "1000000",
                "--data",
                data,
                "--limit",
                "10",
                "--checkpoint",
                "/nonexistent.safetensors",
            ],
            "--threads",
        ),
        (
            train(&["--log-every", "0", "--max-steps", "1"]),
            "--log-every",
        ),
        (train(&["--max-steps", "0"]), "--max-steps"),
    ] {
        let t0 = Instant::now();
        let (status, err) = run_limited(&args, quickly, &base.join("log"));
        assert_eq!(status.code(), Some(1), "{args:?}: {status}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "{args:?} took {:?}",
            t0.elapsed()
        );
    }
    assert!(
        !base.join("run").exists(),
        "a refused run made its directory"
    );
    std::fs::remove_dir_all(base).unwrap();
}

/// With an absurd learning rate every step after the first is non-finite: each is skipped on the
/// backend, the first named on stderr when the run next reads its ledger (at the metrics line
/// after step 20: 19 in a row), the ledger is then read after every step, and after 20 in a row
/// training stops with an error; the run's only
/// checkpoint holds the parameters that overflow, so there is no last-good, and `draw eval`
/// refuses that checkpoint's non-finite bound.
#[test]
fn non_finite_steps_stop_the_run_after_twenty_in_a_row() {
    let base = tmp("nan");
    let run = base.join("run");
    let out = draw(&quick(&run, &["--lr", "1e30", "--epochs", "2"]));
    fails_with(
        &out,
        &[
            "non-finite loss at step 2: update skipped (19 in a row)",
            "20 steps in a row",
            "no checkpoint of this run evaluates to a finite bound",
            "--lr",
        ],
    );
    assert!(!run.join("last-good.safetensors").exists());
    let eval = draw(&[
        "eval",
        "--checkpoint",
        &s(&checkpoint_path(&run)),
        "--data",
        &s(&mnist()),
        "--limit",
        "200",
    ]);
    fails_with(&eval, &["not finite"]);
    std::fs::remove_dir_all(base).unwrap();
}

/// A run that diverges after a good checkpoint (its checkpoint's learning rate raised to 1e30,
/// as if the run had been started with it, and `--resume`d) stops after 20 non-finite steps in
/// a row with that checkpoint copied to last-good.safetensors, which `draw eval` evaluates to a
/// finite bound. (Step 3, the first at 1e30, is still finite; steps 4 to 20 are skipped and
/// found at the metrics line's read after step 20, then one read a step to the 20th.)
#[test]
fn divergence_keeps_a_last_good_checkpoint_that_evaluates() {
    let base = tmp("lastgood");
    let run = base.join("run");
    // Batches of 10: 100 steps an epoch, so no epoch end overwrites the good checkpoint before
    // the 20th non-finite step.
    let first = draw(&train_args(
        &run,
        10,
        &["--max-steps", "2", "--checkpoint-every", "0"],
    ));
    succeeds(&first);
    let ck_path = checkpoint_path(&run);
    let ck = checkpoint::load(&ck_path).unwrap();
    let mut state: Value = serde_json::from_str(&ck.metadata["train_state"]).unwrap();
    state["train"]["learning_rate"] = 1e30.into();
    checkpoint::save_training(
        &ck_path,
        &ck.config,
        &ck.values,
        ck.optimizer.as_ref().unwrap(),
        &[
            ("step", ck.metadata["step"].clone()),
            ("epoch", ck.metadata["epoch"].clone()),
            ("train_state", state.to_string()),
        ],
    )
    .unwrap();
    let good = std::fs::read(&ck_path).unwrap();

    let out = draw(&resume_args(&run));
    let last_good = run.join("last-good.safetensors");
    fails_with(
        &out,
        &[
            "non-finite loss at step 4: update skipped (17 in a row)",
            "update skipped (20 in a row)",
            "20 steps in a row",
            &s(&last_good),
        ],
    );
    assert!(
        std::fs::read(&last_good).unwrap() == good,
        "last-good is the checkpoint before the divergence"
    );
    let eval = draw(&[
        "eval",
        "--checkpoint",
        &s(&last_good),
        "--data",
        &s(&mnist()),
        "--limit",
        "200",
    ]);
    succeeds(&eval);
    let text = String::from_utf8_lossy(&eval.stdout);
    let bound: f64 = text
        .split("test NLL bound: ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|b| b.parse().ok())
        .unwrap_or_else(|| panic!("no bound in {text}"));
    assert!(bound.is_finite() && bound > 0.0, "{text}");
    std::fs::remove_dir_all(base).unwrap();
}

/// Lines a crash left after the checkpoint (a whole one and one cut short) are dropped on
/// resume: metrics.jsonl ends with every line JSON, no step logged twice and none lost.
#[test]
fn resumed_metrics_have_whole_lines_and_no_duplicate_steps() {
    let base = tmp("metrics");
    let run = base.join("run");
    let first = draw(&quick(
        &run,
        &[
            "--max-steps",
            "5",
            "--checkpoint-every",
            "5",
            "--log-every",
            "1",
        ],
    ));
    succeeds(&first);
    assert_eq!(
        checkpointed_lines(&run),
        6,
        "5 step lines and an epoch line"
    );
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(metrics_path(&run))
            .unwrap();
        f.write_all(b"{\"epoch\":1,\"loss\":-1.0,\"step\":6}\n{\"epoch\":1,\"grad_norm\":3")
            .unwrap();
    }
    let resumed = draw(&resume_args(&run));
    succeeds(&resumed);
    assert_metrics_whole(&run);
    let m = metrics(&run);
    assert_eq!(
        m.iter().filter(|l| l.get("loss").is_some()).count(),
        20,
        "one line per step of the epoch"
    );
    assert!(
        m.iter().all(|l| l["loss"] != -1.0),
        "the line written after the checkpoint survived"
    );
    std::fs::remove_dir_all(base).unwrap();
}

/// `--lr-decay` multiplies the learning rate after every epoch (the step lines record it), and a
/// resumed run may change the schedule (`--lr`, `--lr-decay`) but not the model or the data.
#[test]
fn the_learning_rate_schedule_decays_and_a_resumed_run_may_change_it() {
    let base = tmp("schedule");
    let run = base.join("run");
    succeeds(&draw(&quick(
        &run,
        &[
            "--epochs",
            "2",
            "--lr",
            "0.002",
            "--lr-decay",
            "0.5",
            "--log-every",
            "5",
        ],
    )));
    // The one rate of an epoch's step lines (there are several).
    let rate = |epoch: u64| -> f64 {
        let rates: Vec<f64> = metrics(&run)
            .iter()
            .filter(|l| l.get("lr").is_some() && l["epoch"] == epoch)
            .map(|l| l["lr"].as_f64().unwrap())
            .collect();
        assert!(rates.len() > 1, "epoch {epoch}: {rates:?}");
        assert!(
            rates.iter().all(|&r| r == rates[0]),
            "epoch {epoch}: {rates:?}"
        );
        rates[0]
    };
    assert_eq!((rate(1), rate(2)), (0.002, 0.001));
    let mut again = resume_args(&run);
    again.extend(["--epochs", "3", "--lr", "0.0004", "--lr-decay", "1"].map(String::from));
    let resumed = draw(&again);
    succeeds(&resumed);
    assert!(
        String::from_utf8_lossy(&resumed.stdout).contains("lr 0.0004"),
        "the new schedule is announced: {}",
        String::from_utf8_lossy(&resumed.stdout)
    );
    assert_eq!(rate(3), 0.0004);
    let mut refused = resume_args(&run);
    refused.extend(["--epochs", "4", "--clip", "1"].map(String::from));
    fails_with(&draw(&refused), &["--clip"]);
    std::fs::remove_dir_all(base).unwrap();
}
