//! `draw sample`, and the samples training writes at its end.

use crate::args::SampleArgs;
use crate::backend::{with_backend, BackendTask};
use crate::eval::load_model;
use crate::images::{write_gif, write_png, GridLayout};
use crate::plan::{check_sample_count, SamplePlan};
use crate::run_dir::RunDir;
use anyhow::Result;
use draw_core::{Backend, Draw, NoiseKey};

/// Draws `n` samples with noise seed `seed` and writes the grid of the final canvases and the
/// GIF of the canvas over the T steps into `dir`.
pub fn write_samples<B: Backend>(
    b: &B,
    model: &Draw<B>,
    dir: &RunDir,
    n: usize,
    seed: u64,
) -> Result<()> {
    check_sample_count(n)?;
    let cfg = model.config();
    let frames = model.generate(b, n, NoiseKey::new(seed, u64::MAX / 2))?;
    let layout = GridLayout::new(n, cfg.width, cfg.height, cfg.channels);
    write_png(&dir.samples_png(), &layout, frames.last().expect("T >= 1"))?;
    write_gif(&dir.canvas_gif(), &layout, &frames)?;
    Ok(())
}

/// `draw sample`.
pub fn sample(a: SampleArgs) -> Result<()> {
    let plan = SamplePlan::from_args(&a)?;
    with_backend(&plan.backend.clone(), Sample(plan, a.boxes))
}

/// `draw sample`'s work on a backend.
struct Sample(SamplePlan, bool);

impl BackendTask for Sample {
    type Output = ();

    fn run<B: Backend>(self, b: &B) -> Result<()> {
        let plan = self.0;
        let model = load_model(b, &plan.checkpoint)?;
        let dir = RunDir::create(&plan.out)?;
        write_samples(b, &model, &dir, plan.n, plan.seed)?;
        if self.1 {
            let path = crate::boxes::write_box_gif(b, &model, dir.root(), plan.n, plan.seed)?;
            println!("wrote {}", path.display());
        }
        println!(
            "wrote {} and {}",
            dir.samples_png().display(),
            dir.canvas_gif().display()
        );
        Ok(())
    }
}
