//! `draw glimpses`: where a classifier looks. For the first test images, each glimpse's read
//! window drawn as a box on the image (the paper's Fig. 2): a PNG strip (one row per image,
//! one column per glimpse, the glimpse's window in red) and a GIF (glimpse t shows windows
//! 1..t, earlier ones in blue), with the predicted and true classes printed and written to
//! glimpses.json.

use crate::backend::{with_backend, BackendArgs, BackendChoice, BackendTask};
use crate::boxes::{draw_box, to_rgb, window_box, WindowBox};
use crate::classify::clutter_for;
use crate::eval::to_float;
use crate::images::{write_gif, write_png, GridLayout};
use crate::plan::data_dir;
use anyhow::{bail, Result};
use clap::Args;
use draw_core::checkpoint;
use draw_core::model::classifier::Classifier;
use draw_core::{Backend, Float};
use draw_data::{ClutteredSplits, DatasetName, Generator, CLUTTERED_TEST_SEED};
use serde_json::json;
use std::path::PathBuf;

/// The current glimpse's box colour (red) and the earlier ones' (blue).
const NOW: [f32; 3] = [1.0, 0.15, 0.1];
const BEFORE: [f32; 3] = [0.2, 0.5, 1.0];
/// The most images `draw glimpses` draws.
pub const MAX_GLIMPSE_IMAGES: usize = 100;

/// `draw glimpses` options.
#[derive(Args, Clone, Debug)]
pub struct GlimpsesArgs {
    /// The classifier checkpoint (.safetensors).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Directory for glimpses.png, glimpses.gif and glimpses.json (default: the checkpoint's).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Number of test images (the first of the fixed cluttered test set).
    #[arg(long, default_value_t = 8)]
    pub n: usize,
    /// Directory with the MNIST IDX files.
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// `draw glimpses`.
pub fn glimpses(a: GlimpsesArgs) -> Result<()> {
    if a.n == 0 || a.n > MAX_GLIMPSE_IMAGES {
        bail!(
            "--n must be between 1 and {MAX_GLIMPSE_IMAGES}, got {}",
            a.n
        );
    }
    let backend = BackendChoice::from_args(&a.backend)?;
    with_backend(&backend, Glimpses(a))
}

struct Glimpses(GlimpsesArgs);

impl BackendTask for Glimpses {
    type Output = ();

    fn run<B: Backend>(self, b: &B) -> Result<()> {
        let a = self.0;
        let ck = checkpoint::load_classifier(&a.checkpoint)?;
        let cfg = ck.config.clone();
        let model = Classifier::from_values(b, cfg.clone(), &ck.values)?;
        let splits = ClutteredSplits::load(
            &data_dir(DatasetName::Mnist, a.data.as_deref()),
            clutter_for(&cfg)?,
        )?;
        let n = a.n.min(splits.test.epoch_len());
        let idx: Vec<usize> = (0..n).collect();
        let set = splits.test.batch(CLUTTERED_TEST_SEED, 0, &idx);
        let mut ws = model.workspace(b, n);
        b.run(|| model.forward(b, &mut ws, &to_float(&set.images), &set.labels))?;
        let geo = cfg.geometry();
        // boxes[t][i]: glimpse t's window on image i.
        let boxes: Vec<Vec<WindowBox>> = (0..cfg.glimpses)
            .map(|t| {
                let p = ws.window(t).map(|w| b.download(w)).unwrap_or_default();
                p.chunks_exact(5)
                    .map(|r| window_box(&r.iter().map(|v| v.f64()).collect::<Vec<_>>(), &geo))
                    .collect()
            })
            .collect();
        let logits = b.download(ws.logits());
        let predicted: Vec<usize> = logits
            .chunks_exact(cfg.classes)
            .map(|r| (0..r.len()).fold(0, |m, k| if r[k] > r[m] { k } else { m }))
            .collect();
        let size = (cfg.width, cfg.height);
        let image = |i: usize| &set.images[i * cfg.image_size()..(i + 1) * cfg.image_size()];
        let with_boxes = |i: usize, upto: usize, only_last: bool| {
            let mut rgb = to_rgb(image(i));
            let first = if only_last { upto } else { 0 };
            for (t, bt) in boxes.iter().enumerate().take(upto + 1).skip(first) {
                draw_box(&mut rgb, size, &bt[i], if t == upto { NOW } else { BEFORE });
            }
            rgb
        };
        let strip: Vec<f32> = (0..n)
            .flat_map(|i| (0..cfg.glimpses).flat_map(move |t| with_boxes(i, t, true)))
            .collect();
        let strip_layout = GridLayout {
            cols: cfg.glimpses,
            rows: n,
            ..GridLayout::new(1, cfg.width, cfg.height, 3)
        };
        let frames: Vec<Vec<f32>> = (0..cfg.glimpses)
            .map(|t| (0..n).flat_map(|i| with_boxes(i, t, false)).collect())
            .collect();
        let out = a.out.clone().unwrap_or_else(|| {
            a.checkpoint
                .parent()
                .map_or_else(|| PathBuf::from("."), PathBuf::from)
        });
        std::fs::create_dir_all(&out)?;
        write_png(&out.join("glimpses.png"), &strip_layout, &strip)?;
        write_gif(
            &out.join("glimpses.gif"),
            &GridLayout::new(n, cfg.width, cfg.height, 3),
            &frames,
        )?;
        let mut rows = Vec::new();
        for i in 0..n {
            let (y, p) = (set.labels[i], predicted[i]);
            println!(
                "image {i}: true {y}, predicted {p}{}",
                if usize::from(y) == p { "" } else { "  (wrong)" }
            );
            let windows: Vec<_> = boxes.iter().map(|bt| {
                let w = &bt[i];
                json!({"x0": w.x0, "y0": w.y0, "x1": w.x1, "y1": w.y1, "thickness": w.thickness})
            }).collect();
            rows.push(json!({"image": i, "true": y, "predicted": p, "windows": windows}));
        }
        checkpoint::write_atomically(
            &out.join("glimpses.json"),
            serde_json::to_string_pretty(&rows)?.as_bytes(),
        )?;
        println!("wrote {0}/glimpses.png (rows: images, columns: glimpses 1..{1}), {0}/glimpses.gif and {0}/glimpses.json", out.display(), cfg.glimpses);
        Ok(())
    }
}
