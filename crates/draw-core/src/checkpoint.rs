//! Checkpoints as safetensors, in PyTorch's names and layouts (f32), with the model config as
//! JSON under the metadata key `config`. `safetensors.torch.load_file` + `load_state_dict`
//! loads one into a PyTorch module with the same attribute names.
//!
//! Integrity: [`to_bytes`] (and so [`save`]) stores two checksums in the metadata, each the
//! 64-bit FNV-1a hash ([`fnv1a64`]) as 16 lowercase hex digits: [`DATA_CHECKSUM_KEY`] over the
//! data area (every byte after the 8-byte header length and the JSON header) and
//! [`CONFIG_CHECKSUM_KEY`] over the `config` entry's UTF-8 bytes. [`from_bytes`] verifies each
//! one present (a file without them, from before they existed, still loads) and refuses any
//! parameter holding a NaN or an infinity, naming the tensor. A tool that rewrites the file
//! with other tensors or another config must drop or recompute the checksums.

use crate::config::DrawConfig;
use crate::error::{DrawError, Result};
use crate::model::classifier::{self, ClassifierConfig, ClassifierParams};
use crate::optim::AdamState;
use crate::params::{self, DrawParams, ParamSet, ParamShape};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::HashMap;
use std::path::Path;

/// Metadata key holding the [`DrawConfig`] as JSON.
pub const CONFIG_KEY: &str = "config";
/// Metadata key holding [`fnv1a64`] of the data area (all bytes after the header), in hex.
pub const DATA_CHECKSUM_KEY: &str = "data_fnv1a64";
/// Metadata key holding [`fnv1a64`] of the `config` entry's UTF-8 bytes, in hex.
pub const CONFIG_CHECKSUM_KEY: &str = "config_fnv1a64";

/// The 64-bit FNV-1a hash of `bytes` (offset basis 0xcbf29ce484222325, prime 0x100000001b3):
/// xor each byte into the state, then multiply by the prime. Not cryptographic: it catches
/// corruption (any single flipped bit changes it), not tampering. In Python:
/// `h = 0xcbf29ce484222325; for b in data: h = ((h ^ b) * 0x100000001b3) % 2**64`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The hex form stored in the metadata.
fn hex(hash: u64) -> String {
    format!("{hash:016x}")
}

fn bad(path: &Path, reason: impl Into<String>) -> DrawError {
    DrawError::Checkpoint {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Metadata key naming the task of a model other than the generative one.
pub const TASK_KEY: &str = "task";
/// [`TASK_KEY`]'s value in a classifier checkpoint.
pub const CLASSIFIER_TASK: &str = "classifier";

/// Prefix of the optimiser's first-moment tensors (`optimizer.exp_avg.<parameter name>`).
pub const EXP_AVG_PREFIX: &str = "optimizer.exp_avg.";
/// Prefix of the optimiser's second-moment tensors (`optimizer.exp_avg_sq.<parameter name>`).
pub const EXP_AVG_SQ_PREFIX: &str = "optimizer.exp_avg_sq.";
/// Metadata key holding the optimiser's step count (present with the moment tensors).
pub const OPTIMIZER_STEPS_KEY: &str = "optimizer_steps";

/// Serialises parameters to safetensors bytes; `extra` adds metadata entries.
pub fn to_bytes(
    config: &DrawConfig,
    values: &DrawParams<Vec<f64>>,
    extra: &[(&str, String)],
) -> Result<Vec<u8>> {
    to_bytes_with(config, values, None, extra)
}

/// The (name, PyTorch shape, f32 bytes) of each tensor a checkpoint holds: the parameters,
/// then the optimiser's moments when given.
fn tensors<S: ParamSet<ParamShape>, P: ParamSet<Vec<f64>>>(
    shapes: &S,
    values: &P,
    optimizer: Option<&AdamState<P>>,
) -> Vec<(String, Vec<usize>, Vec<u8>)> {
    let bytes = |v: &[f64]| v.iter().flat_map(|&x| (x as f32).to_le_bytes()).collect();
    let of = |prefix: &str, p: &P| -> Vec<(String, Vec<usize>, Vec<u8>)> {
        p.named()
            .into_iter()
            .zip(shapes.named())
            .map(|((name, v), (_, s))| (format!("{prefix}{name}"), s.torch_shape(), bytes(v)))
            .collect()
    };
    let mut all = of("", values);
    if let Some(a) = optimizer {
        all.extend(of(EXP_AVG_PREFIX, &a.m));
        all.extend(of(EXP_AVG_SQ_PREFIX, &a.v));
    }
    all
}

/// [`to_bytes`] with the optimiser's state as extra tensors ([`EXP_AVG_PREFIX`],
/// [`EXP_AVG_SQ_PREFIX`]) and its step count under [`OPTIMIZER_STEPS_KEY`]: a training
/// checkpoint a run can resume from.
pub fn to_bytes_with(
    config: &DrawConfig,
    values: &DrawParams<Vec<f64>>,
    optimizer: Option<&AdamState>,
    extra: &[(&str, String)],
) -> Result<Vec<u8>> {
    // Serialising a plain struct of integers and enums to a string cannot fail.
    let json = serde_json::to_string(config).expect("config serialises");
    let t = tensors(&params::shapes(config), values, optimizer);
    serialize(t, json, optimizer.map(|a| a.steps), extra)
}

/// Safetensors bytes of `tensors` with the config JSON, the optimiser's step count (when
/// given), `extra` and the two checksums in the metadata.
fn serialize(
    bytes: Vec<(String, Vec<usize>, Vec<u8>)>,
    config_json: String,
    optimizer_steps: Option<u64>,
    extra: &[(&str, String)],
) -> Result<Vec<u8>> {
    let views = bytes
        .iter()
        .map(|(n, shape, b)| {
            TensorView::new(Dtype::F32, shape.clone(), b)
                .map(|v| (n.as_str(), v))
                .map_err(|e| DrawError::Shape(format!("{n}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut meta = HashMap::new();
    meta.insert(CONFIG_KEY.to_string(), config_json);
    meta.insert("format".to_string(), "pt".to_string());
    for (k, v) in extra {
        meta.insert(k.to_string(), v.clone());
    }
    if let Some(steps) = optimizer_steps {
        meta.insert(OPTIMIZER_STEPS_KEY.to_string(), steps.to_string());
    }
    let serialize = |meta| {
        safetensors::serialize(views.iter().cloned(), Some(meta))
            .map_err(|e| DrawError::Shape(e.to_string()))
    };
    // The data area does not depend on the metadata (tensors are laid out by dtype and name),
    // so hash it in a first serialisation, then write the file with the checksums.
    let first = serialize(meta.clone())?;
    let data = data_area(&first).map_err(|e| DrawError::Shape(e.to_string()))?;
    meta.insert(DATA_CHECKSUM_KEY.to_string(), hex(fnv1a64(data)));
    let config_hash = meta.get(CONFIG_KEY).map(|c| hex(fnv1a64(c.as_bytes())));
    if let Some(h) = config_hash {
        meta.insert(CONFIG_CHECKSUM_KEY.to_string(), h);
    }
    serialize(meta)
}

/// The data area of a safetensors buffer: everything after the header length and header.
fn data_area(bytes: &[u8]) -> std::result::Result<&[u8], safetensors::SafeTensorError> {
    let (n, _) = SafeTensors::read_metadata(bytes)?;
    // `read_metadata` has checked that 8 + n lies within the buffer.
    Ok(&bytes[8 + n..])
}

/// Writes a checkpoint atomically (to a temporary file, then renamed), so a crash never leaves
/// a half-written checkpoint in place of a good one.
pub fn save(
    path: &Path,
    config: &DrawConfig,
    values: &DrawParams<Vec<f64>>,
    extra: &[(&str, String)],
) -> Result<()> {
    write_atomically(path, &to_bytes(config, values, extra)?)
}

/// [`save`] of a training checkpoint: the parameters and the optimiser's state
/// ([`to_bytes_with`]).
pub fn save_training(
    path: &Path,
    config: &DrawConfig,
    values: &DrawParams<Vec<f64>>,
    optimizer: &AdamState,
    extra: &[(&str, String)],
) -> Result<()> {
    write_atomically(
        path,
        &to_bytes_with(config, values, Some(optimizer), extra)?,
    )
}

/// Writes `bytes` to `path` through a temporary file in the same directory: written, flushed
/// to disk, renamed over `path`, and the directory synced, so that at any instant `path` holds
/// either the previous complete file or the new one. On failure the temporary file is removed
/// and `path` is untouched.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        // On disk before the rename, so a crash never leaves the new name on a short file.
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself on disk: sync the directory (best effort where it cannot be
        // opened, e.g. on some platforms).
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if let Ok(d) = std::fs::File::open(dir) {
            d.sync_all()?;
        }
        Ok(())
    };
    write().map_err(|e| {
        // Best effort: a partial temporary file is of no use to anyone.
        let _ = std::fs::remove_file(&tmp);
        bad(path, format!("cannot write: {e}"))
    })
}

/// The temporary name [`write_atomically`] writes `path` under before renaming it.
pub fn tmp_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// A loaded checkpoint: config, parameter values and the other metadata entries.
pub struct Checkpoint {
    /// The model configuration stored with the weights.
    pub config: DrawConfig,
    /// Parameter values.
    pub values: DrawParams<Vec<f64>>,
    /// Every metadata entry (including `config`).
    pub metadata: HashMap<String, String>,
    /// The optimiser's state, in a training checkpoint ([`save_training`]); `None` in a
    /// parameters-only one.
    pub optimizer: Option<AdamState>,
}

/// Checks the checksum stored under `key`, if any, against `actual`.
fn verify(
    metadata: &HashMap<String, String>,
    key: &str,
    actual: impl FnOnce() -> u64,
    what: &str,
    path: &Path,
) -> Result<()> {
    let Some(stored) = metadata.get(key) else {
        return Ok(());
    };
    let digits = stored.len() == 16 && stored.bytes().all(|b| b.is_ascii_hexdigit());
    let stored = match u64::from_str_radix(stored, 16) {
        Ok(h) if digits => h,
        _ => {
            return Err(bad(
                path,
                format!("`{key}` is {stored:?}, not 16 hex digits"),
            ))
        }
    };
    let actual = actual();
    if stored != actual {
        return Err(bad(
            path,
            format!(
                "{what} does not match its checksum ({key} {stored:016x}, computed \
                 {actual:016x}): the file was damaged or edited after saving"
            ),
        ));
    }
    Ok(())
}

/// Parses checkpoint bytes; `path` names the file in errors.
///
/// Refused, each with a reason naming the file: anything that is not safetensors, a missing or
/// invalid `config`, a checksum (when present) that does not match the config or the data, a
/// missing tensor, a tensor whose shape the config does not give or whose dtype is not f32 or
/// f64, and a NaN or infinite value (naming the tensor). Extra tensors and metadata are ignored.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Checkpoint> {
    let (metadata, json, st) = open_verified(bytes, path)?;
    if metadata.get(TASK_KEY).map(String::as_str) == Some(CLASSIFIER_TASK) {
        return Err(bad(
            path,
            "this is a classifier checkpoint (task `classifier`), not a generative model: \
             `draw eval` reports its test error and `draw glimpses` draws its attention",
        ));
    }
    let config: DrawConfig =
        serde_json::from_str(&json).map_err(|e| bad(path, format!("config: {e}")))?;
    config.validate()?;
    let shapes = params::shapes(&config);
    let (values, optimizer) = read_all(&st, &shapes, &metadata, path)?;
    Ok(Checkpoint {
        config,
        values,
        metadata,
        optimizer,
    })
}

/// The metadata, the config JSON and the tensors of checkpoint bytes, with both checksums
/// (when present) verified.
fn open_verified<'a>(
    bytes: &'a [u8],
    path: &Path,
) -> Result<(HashMap<String, String>, String, SafeTensors<'a>)> {
    let (n, meta) = SafeTensors::read_metadata(bytes)
        .map_err(|e| bad(path, format!("not a safetensors file: {e}")))?;
    let metadata = meta.metadata().clone().unwrap_or_default();
    let json = metadata
        .get(CONFIG_KEY)
        .ok_or_else(|| bad(path, "no `config` entry in the metadata"))?
        .clone();
    verify(
        &metadata,
        CONFIG_CHECKSUM_KEY,
        || fnv1a64(json.as_bytes()),
        "the config",
        path,
    )?;
    // `read_metadata` has checked that 8 + n lies within the buffer.
    let data = &bytes[8 + n..];
    verify(
        &metadata,
        DATA_CHECKSUM_KEY,
        || fnv1a64(data),
        "the tensor data",
        path,
    )?;
    let st = SafeTensors::deserialize(bytes).map_err(|e| bad(path, e.to_string()))?;
    Ok((metadata, json, st))
}

/// The parameters of `shapes` and, when the metadata records optimiser steps, the optimiser's
/// moments.
type ValuesAndState<S> = (
    <S as ParamSet<ParamShape>>::Of<Vec<f64>>,
    Option<AdamState<<S as ParamSet<ParamShape>>::Of<Vec<f64>>>>,
);

fn read_all<S: ParamSet<ParamShape>>(
    st: &SafeTensors<'_>,
    shapes: &S,
    metadata: &HashMap<String, String>,
    path: &Path,
) -> Result<ValuesAndState<S>> {
    let values = read_params(st, shapes, "", path)?;
    let optimizer = match metadata.get(OPTIMIZER_STEPS_KEY) {
        None => None,
        Some(steps) => Some(AdamState {
            m: read_params(st, shapes, EXP_AVG_PREFIX, path)?,
            v: read_params(st, shapes, EXP_AVG_SQ_PREFIX, path)?,
            steps: steps.parse().map_err(|_| {
                bad(
                    path,
                    format!("`{OPTIMIZER_STEPS_KEY}` is {steps:?}, not a count"),
                )
            })?,
        }),
    };
    Ok((values, optimizer))
}

/// Every parameter tensor of `shapes` under `prefix`, checked: present, of the config's shape,
/// f32 or f64, finite.
fn read_params<S: ParamSet<ParamShape>>(
    st: &SafeTensors<'_>,
    shapes: &S,
    prefix: &str,
    path: &Path,
) -> Result<S::Of<Vec<f64>>> {
    let mut err = None;
    let values = shapes.map(|name, s| {
        let name = format!("{prefix}{name}");
        read_tensor(st, &name, &s.torch_shape(), path).unwrap_or_else(|e| {
            err.get_or_insert(e);
            Vec::new()
        })
    });
    match err {
        Some(e) => Err(e),
        None => Ok(values),
    }
}

/// One tensor as f64, checked against `shape`, its dtype and finiteness.
fn read_tensor(st: &SafeTensors<'_>, name: &str, shape: &[usize], path: &Path) -> Result<Vec<f64>> {
    let t = st
        .tensor(name)
        .map_err(|_| bad(path, format!("missing tensor `{name}`")))?;
    if t.shape() != shape {
        return Err(bad(
            path,
            format!(
                "`{name}` has shape {:?}, the config needs {shape:?}",
                t.shape()
            ),
        ));
    }
    // `chunks_exact` yields slices of exactly 4 (or 8) bytes, so the conversions to arrays
    // cannot fail.
    let values: Vec<f64> = match t.dtype() {
        Dtype::F32 => t
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")) as f64)
            .collect(),
        Dtype::F64 => t
            .data()
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect(),
        d => {
            return Err(bad(
                path,
                format!("`{name}` has dtype {d:?}; f32 or f64 expected"),
            ))
        }
    };
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(bad(
            path,
            format!(
                "`{name}` holds a non-finite value ({}) at index {i}",
                values[i]
            ),
        )),
        None => Ok(values),
    }
}

/// Reads a checkpoint file. A file that cannot be read is a [`DrawError::Checkpoint`] whose
/// reason carries the OS's message (once: it has no separate source to print again).
pub fn load(path: &Path) -> Result<Checkpoint> {
    let bytes = std::fs::read(path).map_err(|e| bad(path, format!("cannot read: {e}")))?;
    from_bytes(&bytes, path)
}

/// A loaded classifier checkpoint.
pub struct ClassifierCheckpoint {
    /// The classifier's configuration.
    pub config: ClassifierConfig,
    /// Parameter values.
    pub values: ClassifierParams<Vec<f64>>,
    /// Every metadata entry.
    pub metadata: HashMap<String, String>,
    /// The optimiser's state, in a training checkpoint.
    pub optimizer: Option<AdamState<ClassifierParams<Vec<f64>>>>,
}

/// Writes a classifier checkpoint atomically: the parameters (PyTorch names `attn.*`,
/// `lstm.*`, `classify.*`), the optimiser's state when given, the config JSON under `config`
/// and [`TASK_KEY`] = [`CLASSIFIER_TASK`], with the checksums of [`to_bytes`].
pub fn save_classifier(
    path: &Path,
    config: &ClassifierConfig,
    values: &ClassifierParams<Vec<f64>>,
    optimizer: Option<&AdamState<ClassifierParams<Vec<f64>>>>,
    extra: &[(&str, String)],
) -> Result<()> {
    // A plain struct of integers serialises.
    let json = serde_json::to_string(config).expect("config serialises");
    let t = tensors(&classifier::shapes(config), values, optimizer);
    let mut meta = vec![(TASK_KEY, CLASSIFIER_TASK.to_string())];
    meta.extend(extra.iter().cloned());
    write_atomically(
        path,
        &serialize(t, json, optimizer.map(|a| a.steps), &meta)?,
    )
}

/// Reads a classifier checkpoint, refusing (with the reason) anything [`from_bytes`] refuses
/// and a file whose task is not [`CLASSIFIER_TASK`].
pub fn load_classifier(path: &Path) -> Result<ClassifierCheckpoint> {
    let bytes = std::fs::read(path).map_err(|e| bad(path, format!("cannot read: {e}")))?;
    let (metadata, json, st) = open_verified(&bytes, path)?;
    if metadata.get(TASK_KEY).map(String::as_str) != Some(CLASSIFIER_TASK) {
        return Err(bad(
            path,
            "not a classifier checkpoint (no `task: classifier` in the metadata)",
        ));
    }
    let config: ClassifierConfig =
        serde_json::from_str(&json).map_err(|e| bad(path, format!("config: {e}")))?;
    config.validate()?;
    let (values, optimizer) = read_all(&st, &classifier::shapes(&config), &metadata, path)?;
    Ok(ClassifierCheckpoint {
        config,
        values,
        metadata,
        optimizer,
    })
}

/// Whether the checkpoint at `path` holds a classifier (its metadata's [`TASK_KEY`]); reads
/// the header only.
pub fn is_classifier(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| bad(path, format!("cannot read: {e}")))?;
    let mut len = [0u8; 8];
    f.read_exact(&mut len)
        .map_err(|e| bad(path, format!("not a safetensors file: {e}")))?;
    let n = u64::from_le_bytes(len);
    if n > 100 << 20 {
        return Err(bad(
            path,
            format!("not a safetensors file: a {n}-byte header"),
        ));
    }
    let mut header = vec![0u8; n as usize];
    f.read_exact(&mut header)
        .map_err(|e| bad(path, format!("not a safetensors file: {e}")))?;
    let json: serde_json::Value = serde_json::from_slice(&header)
        .map_err(|e| bad(path, format!("not a safetensors file: {e}")))?;
    Ok(json["__metadata__"][TASK_KEY].as_str() == Some(CLASSIFIER_TASK))
}
