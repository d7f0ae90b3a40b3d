//! `draw data list` (which data sets are present, and where) and `draw data download NAME`.

use crate::download::{download, source, Outcome, MIRROR_ENV};
use crate::plan::{default_dataset_dir, download_dir};
use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use draw_data::{DatasetName, Split};
use std::path::PathBuf;

/// `draw data` subcommands.
#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Each data set: where `draw train --dataset NAME` looks for it, and whether it loads.
    List,
    /// Fetch a data set (cifar10, svhn, fashion-mnist) from its official location, verified
    /// against the published checksums; files already present and valid are kept.
    Download(DownloadArgs),
}

/// `draw data download` options.
#[derive(Args, Debug)]
pub struct DownloadArgs {
    /// cifar10, svhn or fashion-mnist.
    pub name: String,
    /// Target folder [default: data/<name>, where `draw train` looks].
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// `draw data`.
pub fn data(c: DataCommand) -> Result<()> {
    match c {
        DataCommand::List => {
            list();
            Ok(())
        }
        DataCommand::Download(a) => fetch(&a),
    }
}

fn list() {
    for d in DatasetName::ALL {
        let dir = default_dataset_dir(d);
        let status = match d.load(&dir, Split::Test) {
            Ok(t) => format!("present ({} test images)", t.len),
            Err(_) => match source(d) {
                Some(_) => format!("missing (draw data download {})", d.name()),
                None if d == DatasetName::Folder => {
                    "missing (your PNGs in DIR/train and DIR/test; pass --data DIR)".to_string()
                }
                None => "missing (pass --data DIR holding MNIST)".to_string(),
            },
        };
        let shape = match d.shape(&dir) {
            Ok((c, h, w)) => format!("{w}x{h}x{c}"),
            Err(_) => "any".to_string(),
        };
        println!("{:<14} {shape:<9} {:<40} {status}", d.name(), dir.display());
    }
}

fn fetch(a: &DownloadArgs) -> Result<()> {
    let d = DatasetName::parse(&a.name)?;
    let Some(src) = source(d) else {
        bail!(
            "`{}` is not downloaded: MNIST ships in data/mnist, two-digit MNIST is generated \
             from it, and `folder` is a folder of your own PNG files (DIR/train, DIR/test)",
            d.name()
        );
    };
    let dir = a.dir.clone().unwrap_or_else(|| download_dir(d));
    let mirror = std::env::var(MIRROR_ENV).ok().filter(|m| !m.is_empty());
    if let Some(m) = &mirror {
        println!("{MIRROR_ENV}: fetching from {m}");
    }
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    for (name, outcome) in download(&src, &dir, mirror.as_deref(), progress)? {
        match outcome {
            Outcome::Present => println!("{name}: present, checksum OK"),
            Outcome::Fetched(n) => println!("{name}: fetched {n} bytes, checksum OK"),
            Outcome::Reextracted => {
                println!("{name}: present, checksum OK; extracted again (its folder was missing)")
            }
        }
    }
    println!(
        "{} is in {} (checksums from {}); train with --dataset {} --data {}",
        d.name(),
        dir.display(),
        src.checksums_from,
        d.name(),
        dir.display()
    );
    Ok(())
}
