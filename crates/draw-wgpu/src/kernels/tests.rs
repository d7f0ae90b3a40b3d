//! The kernel table against the shaders, through naga (no adapter needed).

use super::*;
use crate::params::Field;
use wgpu::naga;

/// Parses and validates a kernel's full source.
fn module(spec: &Spec) -> naga::Module {
    let src = full_source(spec);
    let module = naga::front::wgsl::parse_str(&src)
        .unwrap_or_else(|e| panic!("{}: {}", spec.shader.file, e.emit_to_string(&src)));
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::default(),
    )
    .validate(&module)
    .unwrap_or_else(|e| panic!("{}: {e:?}", spec.shader.file));
    module
}

/// The module's storage bindings in binding order: (binding, name, access).
fn storage_bindings(module: &naga::Module) -> Vec<(u32, String, Access)> {
    let mut storage: Vec<_> = module
        .global_variables
        .iter()
        .filter_map(|(_, v)| match (v.space, &v.binding) {
            (naga::AddressSpace::Storage { access }, Some(b)) => {
                assert_eq!(b.group, 0);
                let access = if access.contains(naga::StorageAccess::STORE) {
                    Access::ReadWrite
                } else {
                    Access::Read
                };
                Some((b.binding, v.name.clone().unwrap_or_default(), access))
            }
            _ => None,
        })
        .collect();
    storage.sort_by_key(|s| s.0);
    storage
}

/// A member's type as WGSL spells it, for the scalars parameter structs hold.
fn scalar_name(module: &naga::Module, ty: naga::Handle<naga::Type>) -> String {
    use naga::{Scalar, TypeInner};
    match module.types[ty].inner {
        TypeInner::Scalar(Scalar::U32) => "u32".into(),
        TypeInner::Scalar(Scalar::I32) => "i32".into(),
        TypeInner::Scalar(Scalar::F32) => "f32".into(),
        ref other => format!("{other:?}"),
    }
}

/// The struct bound as the uniform at binding 0: its name, its members, and its size.
fn uniform_params(spec: &Spec, module: &naga::Module) -> (String, Vec<Field>, usize) {
    let uniforms: Vec<_> = module
        .global_variables
        .iter()
        .filter(|(_, v)| v.space == naga::AddressSpace::Uniform)
        .collect();
    assert_eq!(uniforms.len(), 1, "{}: one uniform", spec.shader.file);
    let var = uniforms[0].1;
    let binding = var.binding.as_ref().expect("the uniform is bound");
    assert_eq!(
        (binding.group, binding.binding),
        (0, 0),
        "{}",
        spec.shader.file
    );
    let ty = &module.types[var.ty];
    let naga::TypeInner::Struct { members, span } = &ty.inner else {
        panic!("{}: binding 0 is not a struct", spec.shader.file);
    };
    let members = members
        .iter()
        .map(|m| Field {
            name: m.name.clone().unwrap_or_default().leak(),
            offset: m.offset as usize,
            ty: scalar_name(module, m.ty).leak(),
        })
        .collect();
    (ty.name.clone().unwrap_or_default(), members, *span as usize)
}

/// Every kernel parses and validates, has its compute entry point, and binds what its row
/// says: storage bindings 1, 2, … (at most 8) with the listed names and access.
#[test]
fn every_kernel_validates_and_matches_its_bindings() {
    for spec in KERNELS {
        let module = module(spec);
        assert!(
            module
                .entry_points
                .iter()
                .any(|e| e.name == "main" && e.stage == naga::ShaderStage::Compute),
            "{}: no compute entry point `main`",
            spec.shader.file
        );
        let expected: Vec<_> = spec
            .bindings
            .iter()
            .enumerate()
            .map(|(k, b)| (k as u32 + 1, b.name.to_string(), b.access))
            .collect();
        assert_eq!(
            storage_bindings(&module),
            expected,
            "{}: storage bindings",
            spec.shader.file
        );
        assert!(
            spec.bindings.len() <= 8,
            "{}: more than 8 storage bindings",
            spec.shader.file
        );
    }
}

/// Binding 0 of every kernel is the WGSL struct named as its row's Rust parameter struct, with
/// the same fields (names, offsets, types), then only `_pad*` members, and the same size, a
/// multiple of 16.
#[test]
fn every_kernel_params_struct_matches_its_rust_mirror() {
    for spec in KERNELS {
        let module = module(spec);
        let (name, members, size) = uniform_params(spec, &module);
        let rust = &spec.params;
        assert_eq!(name, rust.name, "{}: parameter struct", spec.shader.file);
        let (named, padding) = members.split_at(rust.fields.len().min(members.len()));
        assert_eq!(
            named, rust.fields,
            "{}: {} fields",
            spec.shader.file, rust.name
        );
        for (k, pad) in padding.iter().enumerate() {
            assert_eq!(
                pad.name,
                format!("_pad{k}"),
                "{}: {}",
                spec.shader.file,
                rust.name
            );
        }
        assert_eq!(size, rust.size, "{}: {} size", spec.shader.file, rust.name);
        assert_eq!(size % 16, 0, "{}: {} size", spec.shader.file, rust.name);
    }
}

/// The enum and the table agree (one list generates both, so this is a sanity check).
#[test]
fn kernel_enum_indexes_the_table() {
    assert_eq!(Kernel::ALL.len(), KERNELS.len());
    for (k, &kernel) in Kernel::ALL.iter().enumerate() {
        assert_eq!(kernel as usize, k);
        assert!(std::ptr::eq(kernel.spec(), &KERNELS[k]));
    }
    assert!(max_params_bytes() >= 16);
}

/// Every `.wgsl` file under `shaders/` is a kernel or a header of the table, and every kernel
/// file is used once.
#[test]
fn every_shader_file_is_in_the_table() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shaders");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .expect("shaders/ exists")
        .map(|e| {
            e.expect("directory entry")
                .file_name()
                .into_string()
                .unwrap()
        })
        .filter(|f| f.ends_with(".wgsl"))
        .collect();
    on_disk.sort();
    let mut kernels: Vec<&str> = KERNELS.iter().map(|s| s.shader.file).collect();
    kernels.sort();
    let before = kernels.len();
    kernels.dedup();
    assert_eq!(kernels.len(), before, "a shader file in two rows");
    let headers = PRELUDE.iter().chain(KERNELS.iter().flat_map(|s| s.headers));
    let mut listed: Vec<&str> = kernels.into_iter().chain(headers.map(|h| h.file)).collect();
    listed.sort();
    listed.dedup();
    assert_eq!(on_disk, listed);
}

/// Shader files hold only maths: no binding declarations (the table generates them), and the
/// entry point their row says: `fn kernel` for generated entries, `fn main` for their own.
#[test]
fn shaders_declare_no_bindings_and_the_entry_their_row_says() {
    for spec in KERNELS {
        let file = spec.shader.file;
        let src = spec.shader.source;
        assert!(!declares_binding(src), "{file}: declares a binding");
        let (has, lacks) = match spec.entry {
            Entry::Threads => ("fn kernel(t: u32, wg: u32, lid: u32)", "@compute"),
            Entry::Own => ("fn main(", "fn kernel("),
        };
        assert!(src.contains(has), "{file}: no `{has}`");
        assert!(!src.contains(lacks), "{file}: has `{lacks}`");
    }
    for header in PRELUDE.iter().chain(KERNELS.iter().flat_map(|s| s.headers)) {
        assert!(!declares_binding(header.source), "{}", header.file);
    }
}

/// Whether WGSL text declares a binding (a line starting `@group(`).
fn declares_binding(src: &str) -> bool {
    src.lines().any(|l| l.trim_start().starts_with("@group("))
}
