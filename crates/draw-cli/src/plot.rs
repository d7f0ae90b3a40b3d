//! `draw plot RUN_DIR`: PNG charts of a run's `metrics.jsonl` (the bound of a generative run,
//! the error rates of a classifier run), drawn with `plotters` into
//! memory (its bitmap backend, text through `ab_glyph` with an embedded DejaVu Sans Mono, so
//! no system font or fontconfig is needed) and written as PNG by [`crate::images`].

use crate::images::write_rgb_png;
use crate::run_dir::RunDir;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use plotters::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Pixel size of every chart.
pub const CHART_SIZE: (u32, u32) = (900, 600);

/// The font the charts' text is drawn with (licence beside it in `assets/`).
const FONT: &[u8] = include_bytes!("../assets/DejaVuSansMono.ttf");

/// `draw plot` options.
#[derive(Args, Clone, Debug)]
pub struct PlotArgs {
    /// The run directory (holding metrics.jsonl).
    pub run_dir: PathBuf,
    /// Directory for the PNGs (default: the run directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// A metrics line with a training loss (every `--log-every` steps).
#[derive(Clone, Debug, PartialEq)]
pub struct StepLine {
    /// Optimiser steps so far.
    pub step: f64,
    /// Mean bound of the steps since the last line, nats.
    pub loss: f64,
    /// Its L^x.
    pub lx: f64,
    /// Its L^z.
    pub lz: f64,
    /// Seconds since the run started, where the line records it.
    pub elapsed: Option<f64>,
}

/// A metrics line written at an epoch's evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochLine {
    /// The epoch (1-based).
    pub epoch: f64,
    /// Optimiser steps so far.
    pub step: f64,
    /// Mean training bound over the epoch.
    pub train: f64,
    /// Test bound and its two terms.
    pub test: f64,
    /// Test L^x.
    pub test_lx: f64,
    /// Test L^z.
    pub test_lz: f64,
    /// Seconds since the run started.
    pub elapsed: f64,
    /// Mean KL of each step on the test set, where recorded.
    pub kl_steps: Option<Vec<f64>>,
}

/// A parsed `metrics.jsonl`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    /// Training lines, in order.
    pub steps: Vec<StepLine>,
    /// Evaluation lines, in order.
    pub epochs: Vec<EpochLine>,
}

/// A number field of a metrics object; `what` names the line for the error.
fn num(o: &serde_json::Map<String, Value>, key: &str, what: &str) -> Result<f64> {
    match o.get(key) {
        Some(v) => v
            .as_f64()
            .ok_or_else(|| anyhow!("{what}: field `{key}` is {v}, not a number")),
        None => bail!("{what}: field `{key}` is missing"),
    }
}

impl Metrics {
    /// Parses the text of a metrics file; `name` names it in errors. Blank lines are skipped;
    /// anything else that is not a step or an epoch line is an error naming its line.
    pub fn parse(text: &str, name: &str) -> Result<Metrics> {
        let mut m = Metrics::default();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let what = format!("{name} line {}", i + 1);
            let v: Value = serde_json::from_str(line)
                .with_context(|| format!("{what} is not JSON (a cut-short or damaged file?)"))?;
            let o = v
                .as_object()
                .ok_or_else(|| anyhow!("{what} is not a JSON object"))?;
            if o.contains_key("test_nll") {
                m.epochs.push(epoch_line(o, &what)?);
            } else if o.contains_key("loss") {
                m.steps.push(StepLine {
                    step: num(o, "step", &what)?,
                    loss: num(o, "loss", &what)?,
                    lx: num(o, "lx", &what)?,
                    lz: num(o, "lz", &what)?,
                    elapsed: o.get("elapsed_sec").and_then(Value::as_f64),
                });
            } else {
                bail!("{what} is neither a training line (`loss`) nor an evaluation line (`test_nll`)");
            }
        }
        if m.steps.is_empty() && m.epochs.is_empty() {
            bail!("{name} holds no metrics yet: train for at least --log-every steps first");
        }
        Ok(m)
    }

    /// Optimiser steps per epoch, from the first complete epoch's line.
    fn steps_per_epoch(&self) -> Option<f64> {
        self.epochs
            .first()
            .filter(|e| e.step > 0.0 && e.epoch > 0.0)
            .map(|e| e.step / e.epoch)
    }
}

/// An evaluation line.
fn epoch_line(o: &serde_json::Map<String, Value>, what: &str) -> Result<EpochLine> {
    let kl_steps = match o.get("test_kl_steps") {
        None => None,
        Some(Value::Array(a)) => Some(
            a.iter()
                .map(|v| {
                    v.as_f64()
                        .ok_or_else(|| anyhow!("{what}: `test_kl_steps` holds {v}, not a number"))
                })
                .collect::<Result<Vec<_>>>()?,
        ),
        Some(v) => bail!("{what}: `test_kl_steps` is {v}, not an array"),
    };
    Ok(EpochLine {
        epoch: num(o, "epoch", what)?,
        step: num(o, "step", what)?,
        train: num(o, "train_loss", what)?,
        test: num(o, "test_nll", what)?,
        test_lx: num(o, "test_lx", what)?,
        test_lz: num(o, "test_lz", what)?,
        elapsed: num(o, "elapsed_sec", what)?,
        kl_steps,
    })
}

/// One line of a chart.
struct Series {
    label: &'static str,
    color: RGBColor,
    points: Vec<(f64, f64)>,
}

/// A chart: title, axis names and lines.
struct Chart {
    title: String,
    x_desc: &'static str,
    y_desc: &'static str,
    series: Vec<Series>,
}

/// The y range: from the lowest value to the highest of the evaluation lines and the 90th
/// percentile of the rest (the first steps' losses would squash the curve otherwise).
fn y_range(series: &[Series]) -> (f64, f64) {
    let mut all: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .collect();
    if all.is_empty() {
        return (0.0, 1.0);
    }
    all.sort_by(f64::total_cmp);
    let lo = all[0];
    let hi = all[(all.len() - 1) * 9 / 10].max(all[all.len() - 1].min(lo + 1.0));
    let pad = (hi - lo).max(1e-3) * 0.05;
    (lo - pad, hi + pad)
}

/// Draws `chart` into an RGB buffer of [`CHART_SIZE`].
fn render(chart: &Chart) -> Result<Vec<u8>> {
    let (w, h) = CHART_SIZE;
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, CHART_SIZE).into_drawing_area();
        let xs = chart
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .filter(|v| v.is_finite());
        let (x0, x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
        let (x0, x1) = if x0 < x1 {
            (x0, x1)
        } else {
            (x0.min(0.0), x0.max(0.0) + 1.0)
        };
        let (y0, y1) = y_range(&chart.series);
        let mut c = ChartBuilder::on(&root)
            .caption(&chart.title, ("sans-serif", 22))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| anyhow!("drawing the chart: {e}"))?;
        c.configure_mesh()
            .x_desc(chart.x_desc)
            .y_desc(chart.y_desc)
            .draw()
            .map_err(|e| anyhow!("drawing the axes: {e}"))?;
        for s in &chart.series {
            let color = s.color;
            c.draw_series(LineSeries::new(
                s.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(|e| anyhow!("drawing {}: {e}", s.label))?
            .label(s.label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
            // Evaluation lines have one point an epoch: mark each, so a single one shows.
            if s.points.len() <= 200 {
                c.draw_series(s.points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                    .map_err(|e| anyhow!("drawing {}: {e}", s.label))?;
            }
        }
        c.configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| anyhow!("drawing the legend: {e}"))?;
        root.present().map_err(|e| anyhow!("drawing: {e}"))?;
    }
    Ok(buf)
}

/// Light blue for the noisy per-step training curves.
const TRAIN_STEPS: RGBColor = RGBColor(160, 190, 230);
/// Light orange for a second per-step training curve.
const TRAIN_STEPS_2: RGBColor = RGBColor(230, 160, 120);

/// A named line.
fn series(label: &'static str, color: RGBColor, points: Vec<(f64, f64)>) -> Series {
    Series {
        label,
        color,
        points,
    }
}

/// `f` of every evaluation line against its epoch.
fn by_epoch(m: &Metrics, f: fn(&EpochLine) -> f64) -> Vec<(f64, f64)> {
    m.epochs.iter().map(|e| (e.epoch, f(e))).collect()
}

/// `f` of every step line against its fractional epoch (none before an epoch has ended).
fn steps_by_epoch(m: &Metrics, f: fn(&StepLine) -> f64) -> Vec<(f64, f64)> {
    m.steps_per_epoch().map_or_else(Vec::new, |n| {
        m.steps.iter().map(|s| (s.step / n, f(s))).collect()
    })
}

/// The bound against epochs.
fn bound_by_epoch(m: &Metrics) -> Chart {
    Chart {
        title: "Negative variational bound against epochs".into(),
        x_desc: "epoch",
        y_desc: "nats",
        series: vec![
            series(
                "train (logged steps)",
                TRAIN_STEPS,
                steps_by_epoch(m, |s| s.loss),
            ),
            series("train (epoch mean)", BLUE, by_epoch(m, |e| e.train)),
            series("test", RED, by_epoch(m, |e| e.test)),
        ],
    }
}

/// The bound against wall time (step lines that record no time are left out).
fn bound_by_time(m: &Metrics) -> Chart {
    let last = m.epochs.iter().map(|e| e.elapsed);
    let last = last
        .chain(m.steps.iter().filter_map(|s| s.elapsed))
        .fold(0.0, f64::max);
    let (unit, per) = time_unit(last);
    let steps = m.steps.iter();
    let steps = steps.filter_map(|s| s.elapsed.map(|t| (t / per, s.loss)));
    let epochs = |f: fn(&EpochLine) -> f64| m.epochs.iter().map(move |e| (e.elapsed / per, f(e)));
    Chart {
        title: "Negative variational bound against wall time".into(),
        x_desc: unit,
        y_desc: "nats",
        series: vec![
            series("train (logged steps)", TRAIN_STEPS, steps.collect()),
            series("train (epoch mean)", BLUE, epochs(|e| e.train).collect()),
            series("test", RED, epochs(|e| e.test).collect()),
        ],
    }
}

/// L^x and L^z against epochs.
fn terms_by_epoch(m: &Metrics) -> Chart {
    Chart {
        title: "L^x and L^z against epochs".into(),
        x_desc: "epoch",
        y_desc: "nats",
        series: vec![
            series("train L^x", TRAIN_STEPS, steps_by_epoch(m, |s| s.lx)),
            series("train L^z", TRAIN_STEPS_2, steps_by_epoch(m, |s| s.lz)),
            series("test L^x", BLUE, by_epoch(m, |e| e.test_lx)),
            series("test L^z", RED, by_epoch(m, |e| e.test_lz)),
        ],
    }
}

/// The KL of each step at the last evaluation that recorded it.
fn kl_by_step(m: &Metrics) -> Option<Chart> {
    let last = m.epochs.iter().rev().find(|e| e.kl_steps.is_some())?;
    let kl = last.kl_steps.as_deref().unwrap_or_default();
    Some(Chart {
        title: format!("KL of each step, test set, epoch {}", last.epoch),
        x_desc: "step t",
        y_desc: "nats",
        series: vec![series(
            "KL(Q(z_t|x) || N(0, I))",
            RED,
            kl.iter()
                .enumerate()
                .map(|(t, &k)| ((t + 1) as f64, k))
                .collect(),
        )],
    })
}

/// The charts of `m`, each with its file name: bound against epochs and against wall time,
/// L^x and L^z, and the last evaluation's KL per step (when recorded).
fn charts(m: &Metrics) -> Vec<(&'static str, Chart)> {
    let mut out = vec![
        ("bound-epochs.png", bound_by_epoch(m)),
        ("bound-time.png", bound_by_time(m)),
        ("terms.png", terms_by_epoch(m)),
    ];
    out.extend(kl_by_step(m).map(|c| ("kl-steps.png", c)));
    out
}

/// The wall-time axis's unit for a run of `seconds`, and seconds per unit.
fn time_unit(seconds: f64) -> (&'static str, f64) {
    if seconds >= 2.0 * 3600.0 {
        ("hours", 3600.0)
    } else if seconds >= 120.0 {
        ("minutes", 60.0)
    } else {
        ("seconds", 1.0)
    }
}

/// A classifier run's evaluation line: error rates in percent.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorLine {
    /// The epoch (1-based).
    pub epoch: f64,
    /// Training error over the epoch.
    pub train: f64,
    /// Validation error.
    pub valid: f64,
    /// Test error.
    pub test: f64,
    /// Seconds of training since the run started.
    pub elapsed: f64,
}

/// The evaluation lines of a classifier run's metrics (those with `test_error`), or `None`
/// when the file has none (a generative run); a damaged line is an error naming it.
pub fn classifier_lines(text: &str, name: &str) -> Result<Option<Vec<ErrorLine>>> {
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if !line.contains("\"test_error\"") {
            continue;
        }
        let what = format!("{name} line {}", i + 1);
        let v: Value = serde_json::from_str(line).with_context(|| format!("{what} is not JSON"))?;
        let o = v
            .as_object()
            .ok_or_else(|| anyhow!("{what} is not a JSON object"))?;
        lines.push(ErrorLine {
            epoch: num(o, "epoch", &what)?,
            train: num(o, "train_error", &what)?,
            valid: num(o, "valid_error", &what)?,
            test: num(o, "test_error", &what)?,
            elapsed: num(o, "elapsed_sec", &what)?,
        });
    }
    Ok((!lines.is_empty()).then_some(lines))
}

/// A classifier run's error rates against epochs and against wall time.
fn error_charts(lines: &[ErrorLine]) -> Vec<(&'static str, Chart)> {
    let last = lines.iter().map(|l| l.elapsed).fold(0.0, f64::max);
    let (unit, per) = time_unit(last);
    let three = |x: fn(&ErrorLine) -> f64, per: f64| {
        let pts = |f: fn(&ErrorLine) -> f64| lines.iter().map(|l| (x(l) / per, f(l))).collect();
        vec![
            series("train", BLUE, pts(|l| l.train)),
            series("validation", GREEN, pts(|l| l.valid)),
            series("test", RED, pts(|l| l.test)),
        ]
    };
    vec![
        (
            "error-epochs.png",
            Chart {
                title: "Classification error against epochs".into(),
                x_desc: "epoch",
                y_desc: "error (%)",
                series: three(|l| l.epoch, 1.0),
            },
        ),
        (
            "error-time.png",
            Chart {
                title: "Classification error against wall time".into(),
                x_desc: unit,
                y_desc: "error (%)",
                series: three(|l| l.elapsed, per),
            },
        ),
    ]
}

/// Writes the charts of the metrics file `metrics` into `out`; returns the PNGs written.
/// A classifier run gets its error rates (`error-epochs.png`, `error-time.png`), a generative
/// run its bound, terms and per-step KL.
pub fn plot_metrics(metrics: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let text = std::fs::read_to_string(metrics)
        .with_context(|| format!("reading {} (is it a run directory?)", metrics.display()))?;
    let name = metrics.display().to_string();
    let charts = match classifier_lines(&text, &name)? {
        Some(lines) => error_charts(&lines),
        None => charts(&Metrics::parse(&text, &name)?),
    };
    // Registering twice (a second plot in one process) keeps the first registration.
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| anyhow!("the embedded chart font does not parse"))?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut written = Vec::new();
    for (name, chart) in charts {
        let path = out.join(name);
        write_rgb_png(&path, CHART_SIZE, &render(&chart)?)?;
        written.push(path);
    }
    Ok(written)
}

/// `draw plot`.
pub fn plot(a: PlotArgs) -> Result<()> {
    let dir = RunDir::new(&a.run_dir);
    let out = a.out.unwrap_or_else(|| a.run_dir.clone());
    for p in plot_metrics(&dir.metrics(), &out)? {
        println!("{}", p.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A metrics file as `draw train` writes it: step lines every 10 steps, an evaluation line
    /// at each of 3 epochs of 30 steps (the first without per-step KL, as older runs wrote).
    fn synthetic() -> String {
        let mut s = String::new();
        for step in (10..=90).step_by(10) {
            let loss = 200.0 - step as f64;
            s += &format!(
                "{{\"step\":{step},\"epoch\":{},\"loss\":{loss},\"lx\":{},\"lz\":20.0,\"grad_norm\":3.0,\"images_per_sec\":100.0,\"elapsed_sec\":{}}}\n",
                (step - 1) / 30 + 1,
                loss - 20.0,
                step * 40
            );
            if step % 30 == 0 {
                let e = step / 30;
                let kl = if e == 1 {
                    String::new()
                } else {
                    ",\"test_kl_steps\":[3.5,2.0,1.25,0.5]".into()
                };
                s += &format!(
                    "{{\"epoch\":{e},\"step\":{step},\"train_loss\":{},\"test_nll\":{},\"test_lx\":{},\"test_lz\":7.25,\"elapsed_sec\":{}{kl}}}\n",
                    205.0 - step as f64,
                    210.0 - step as f64,
                    202.75 - step as f64,
                    step * 40 + 5
                );
            }
        }
        s
    }

    #[test]
    fn parses_step_and_epoch_lines() {
        let m = Metrics::parse(&synthetic(), "m").unwrap();
        assert_eq!((m.steps.len(), m.epochs.len()), (9, 3));
        assert_eq!(m.epochs[0].kl_steps, None);
        assert_eq!(m.epochs[2].kl_steps, Some(vec![3.5, 2.0, 1.25, 0.5]));
        assert_eq!(m.steps_per_epoch(), Some(30.0));
        assert_eq!(m.steps[0].elapsed, Some(400.0));
    }

    #[test]
    fn writes_four_charts_that_decode() {
        let dir = std::env::temp_dir().join(format!("draw-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let metrics = dir.join("metrics.jsonl");
        std::fs::write(&metrics, synthetic()).unwrap();
        let written = plot_metrics(&metrics, &dir.join("plots")).unwrap();
        let names: Vec<_> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "bound-epochs.png",
                "bound-time.png",
                "terms.png",
                "kl-steps.png"
            ]
        );
        for p in &written {
            let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(p).unwrap()));
            let mut r = dec.read_info().unwrap();
            let mut buf = vec![0; r.output_buffer_size().unwrap()];
            let info = r.next_frame(&mut buf).unwrap();
            assert_eq!((info.width, info.height), CHART_SIZE, "{}", p.display());
            let px = &buf[..info.buffer_size()];
            // Not a blank canvas: the curves' red or blue is there, and so is dark text.
            assert!(
                px.chunks(3).any(|c| c[0] > 200 && c[1] < 60 && c[2] < 60
                    || c[2] > 200 && c[0] < 60 && c[1] < 60),
                "{}",
                p.display()
            );
            assert!(
                px.chunks(3).filter(|c| c.iter().all(|&v| v < 40)).count() > 500,
                "{}",
                p.display()
            );
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_classifier_run_gets_its_error_rates() {
        let dir = std::env::temp_dir().join(format!("draw-plot-cls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let metrics = dir.join("metrics.jsonl");
        let mut text = String::from(
            "{\"epoch\":1,\"step\":20,\"loss\":2.1,\"train_error\":80.0,\"grad_norm\":1.0}\n",
        );
        for e in 1..=3 {
            text += &format!(
                "{{\"epoch\":{e},\"step\":{},\"train_loss\":1.0,\"train_error\":{},\"valid_error\":{},\"valid_loss\":1.0,\"test_error\":{},\"test_loss\":1.0,\"elapsed_sec\":{}}}\n",
                e * 50,
                90.0 - 20.0 * e as f64,
                85.0 - 20.0 * e as f64,
                86.0 - 20.0 * e as f64,
                e * 300
            );
        }
        std::fs::write(&metrics, &text).unwrap();
        let lines = classifier_lines(&text, "m").unwrap().unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!((lines[2].test, lines[2].elapsed), (26.0, 900.0));
        let written = plot_metrics(&metrics, &dir.join("plots")).unwrap();
        let names: Vec<_> = written.iter().map(|p| p.file_name().unwrap()).collect();
        assert_eq!(names, ["error-epochs.png", "error-time.png"]);
        assert_eq!(classifier_lines(&synthetic(), "m").unwrap(), None);
        let bad = "{\"epoch\":1,\"test_error\":3.0}\n";
        let e = classifier_lines(bad, "m.jsonl").unwrap_err().to_string();
        assert!(
            e.contains("m.jsonl line 1") && e.contains("train_error"),
            "{e}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bad_lines_are_named() {
        let good = synthetic();
        for (text, needle) in [
            (format!("{good}{{\"step\": 3, \"loss\"\n"), "line 13 is not JSON"),
            ("[1, 2]\n".to_string(), "line 1 is not a JSON object"),
            ("{\"foo\": 1}\n".to_string(), "neither a training line"),
            ("{\"step\": 1, \"loss\": 2, \"lx\": 1}\n".to_string(), "field `lz` is missing"),
            ("{\"step\": 1, \"loss\": \"x\", \"lx\": 1, \"lz\": 1}\n".to_string(), "field `loss` is \"x\", not a number"),
            ("{\"epoch\":1,\"step\":1,\"train_loss\":1,\"test_nll\":1,\"test_lx\":1,\"test_lz\":1,\"elapsed_sec\":1,\"test_kl_steps\":3}\n".to_string(), "not an array"),
            ("\n".to_string(), "no metrics yet"),
        ] {
            let e = Metrics::parse(&text, "m.jsonl").unwrap_err().to_string();
            assert!(e.contains(needle), "{needle}: {e}");
        }
        let missing = std::env::temp_dir().join("draw-plot-no-such-dir/metrics.jsonl");
        let e = plot_metrics(&missing, Path::new("/tmp"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("is it a run directory"), "{e}");
    }
}
