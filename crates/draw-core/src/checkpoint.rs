//! Checkpoints as safetensors, in PyTorch's names and layouts (f32), with the model config as
//! JSON under the metadata key `config`. `safetensors.torch.load_file` + `load_state_dict`
//! loads one into a PyTorch module with the same attribute names.

use crate::config::DrawConfig;
use crate::error::{DrawError, Result};
use crate::params::{self, DrawParams};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::HashMap;
use std::path::Path;

/// Metadata key holding the [`DrawConfig`] as JSON.
pub const CONFIG_KEY: &str = "config";

fn bad(path: &Path, reason: impl Into<String>) -> DrawError {
    DrawError::Checkpoint {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Serialises parameters to safetensors bytes; `extra` adds metadata entries.
pub fn to_bytes(
    config: &DrawConfig,
    values: &DrawParams<Vec<f64>>,
    extra: &[(&str, String)],
) -> Result<Vec<u8>> {
    let shapes = params::shapes(config);
    let bytes: Vec<(&'static str, Vec<usize>, Vec<u8>)> = values
        .named()
        .into_iter()
        .zip(shapes.named())
        .map(|((name, v), (_, s))| {
            let b = v.iter().flat_map(|&x| (x as f32).to_le_bytes()).collect();
            (name, s.torch_shape(), b)
        })
        .collect();
    let views = bytes
        .iter()
        .map(|(n, shape, b)| {
            TensorView::new(Dtype::F32, shape.clone(), b)
                .map(|v| (*n, v))
                .map_err(|e| DrawError::Shape(format!("{n}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut meta = HashMap::new();
    meta.insert(
        CONFIG_KEY.to_string(),
        serde_json::to_string(config).expect("config serialises"),
    );
    meta.insert("format".to_string(), "pt".to_string());
    for (k, v) in extra {
        meta.insert(k.to_string(), v.clone());
    }
    safetensors::serialize(views, Some(meta)).map_err(|e| DrawError::Shape(e.to_string()))
}

/// Writes a checkpoint atomically (to a temporary file, then renamed), so a crash never leaves
/// a half-written checkpoint in place of a good one.
pub fn save(
    path: &Path,
    config: &DrawConfig,
    values: &DrawParams<Vec<f64>>,
    extra: &[(&str, String)],
) -> Result<()> {
    let bytes = to_bytes(config, values, extra)?;
    let tmp = path.with_extension("safetensors.tmp");
    let io = |source| DrawError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// A loaded checkpoint: config, parameter values and the other metadata entries.
pub struct Checkpoint {
    /// The model configuration stored with the weights.
    pub config: DrawConfig,
    /// Parameter values.
    pub values: DrawParams<Vec<f64>>,
    /// Every metadata entry (including `config`).
    pub metadata: HashMap<String, String>,
}

/// Parses checkpoint bytes; `path` names the file in errors.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Checkpoint> {
    let (_, meta) = SafeTensors::read_metadata(bytes)
        .map_err(|e| bad(path, format!("not a safetensors file: {e}")))?;
    let metadata = meta.metadata().clone().unwrap_or_default();
    let json = metadata
        .get(CONFIG_KEY)
        .ok_or_else(|| bad(path, "no `config` entry in the metadata"))?;
    let config: DrawConfig =
        serde_json::from_str(json).map_err(|e| bad(path, format!("config: {e}")))?;
    config.validate()?;
    let st = SafeTensors::deserialize(bytes).map_err(|e| bad(path, e.to_string()))?;
    let shapes = params::shapes(&config);
    let mut err = None;
    let values = shapes.map(|name, s| {
        let r = st
            .tensor(name)
            .map_err(|_| bad(path, format!("missing tensor `{name}`")))
            .and_then(|t| {
                if t.shape() != s.torch_shape().as_slice() {
                    return Err(bad(
                        path,
                        format!(
                            "`{name}` has shape {:?}, the config needs {:?}",
                            t.shape(),
                            s.torch_shape()
                        ),
                    ));
                }
                match t.dtype() {
                    Dtype::F32 => Ok(t
                        .data()
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes(c.try_into().unwrap()) as f64)
                        .collect()),
                    Dtype::F64 => Ok(t
                        .data()
                        .chunks_exact(8)
                        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                        .collect()),
                    d => Err(bad(
                        path,
                        format!("`{name}` has dtype {d:?}; f32 or f64 expected"),
                    )),
                }
            });
        r.unwrap_or_else(|e| {
            err.get_or_insert(e);
            Vec::new()
        })
    });
    match err {
        Some(e) => Err(e),
        None => Ok(Checkpoint {
            config,
            values,
            metadata,
        }),
    }
}

/// Reads a checkpoint file.
pub fn load(path: &Path) -> Result<Checkpoint> {
    let bytes = std::fs::read(path).map_err(|source| DrawError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    from_bytes(&bytes, path)
}
