//! Seeded mutation fuzzing of every draw-data parser a user's file reaches: IDX in memory, IDX
//! files raw and gzipped, the MNIST directory loader, CIFAR-10 in memory and from files, and
//! SVHN's MAT-files (raw and zlib-compressed elements).
//! Each input must give `Ok` or `Err`: never a panic, a hang, or an allocation beyond what the
//! input's real size allows (see `harness/mod.rs`). Run with `--nocapture` to see the counts.

mod harness;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use draw_data::{
    load_cifar10_files, load_mnist, parse_cifar10, parse_idx, parse_svhn, read_idx, Split,
};
use flate2::read::MultiGzDecoder;
use harness::{hostile_fields, mutations, run, truncations, Field, Rng};

/// Random mutations per seed file.
const RANDOM: usize = 2500;
/// Inputs with several hostile header fields at once, per seed file.
const COMBOS: usize = 400;

fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 0x08, dims.len() as u8];
    dims.iter().for_each(|d| b.extend(d.to_be_bytes()));
    b.extend(data);
    b
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A small valid image file (3 images of 4 × 5) and its label file.
fn seeds() -> (Vec<u8>, Vec<u8>) {
    let pixels: Vec<u8> = (0..60u8).map(|v| v.wrapping_mul(37)).collect();
    (idx(&[3, 4, 5], &pixels), idx(&[3], &[1, 7, 9]))
}

/// The IDX header fields: the four magic bytes (zero, zero, type, rank) and each dimension.
fn idx_fields(rank: usize) -> Vec<Field> {
    let mut f: Vec<Field> = (0..4).map(Field::byte).collect();
    f.extend((0..rank).map(|k| Field::be32(4 + 4 * k)));
    f
}

/// Truncations, hostile header fields and random mutations of an IDX seed of `rank`.
fn idx_inputs(seed: &[u8], rank: usize, rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut v = truncations(seed);
    v.extend(hostile_fields(seed, &idx_fields(rank), COMBOS, rng));
    v.extend(mutations(seed, RANDOM, rng));
    v
}

/// Allocation bound for a raw input: a few copies of it (bytes, then f32 pixels).
fn raw_bound(input: &[u8]) -> usize {
    16 * input.len() + (256 << 10)
}

/// The bytes an IDX header implies (header plus payload), if the prefix holds a header.
fn implied_idx_len(prefix: &[u8]) -> Option<usize> {
    let &[0, 0, 0x08, rank] = prefix.first_chunk::<4>()? else {
        return None;
    };
    let header = 4 + 4 * usize::from(rank);
    prefix
        .get(4..header)?
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .try_fold(1usize, |a, d| a.checked_mul(d))?
        .checked_add(header)
}

/// How many bytes a gzip input really inflates to (streamed, not stored), and its first KiB.
fn inflate_count(gz: &[u8]) -> (usize, Vec<u8>) {
    let mut dec = MultiGzDecoder::new(gz);
    let (mut count, mut head, mut buf) = (0usize, Vec::new(), vec![0u8; 1 << 16]);
    while let Ok(n) = dec.read(&mut buf) {
        if n == 0 {
            break;
        }
        if head.len() < 1024 {
            head.extend(&buf[..n.min(1024)]);
        }
        count += n;
    }
    (count, head)
}

/// Allocation bound for a gzipped IDX input: a few copies of what it inflates to, but never
/// more than the header implies (plus one byte, to see there is more), whatever follows.
fn gz_idx_bound(input: &[u8]) -> usize {
    if !input.starts_with(&[0x1f, 0x8b]) {
        return raw_bound(input);
    }
    let (count, head) = inflate_count(input);
    let real = implied_idx_len(&head).map_or(count, |n| count.min(n.saturating_add(1)));
    16 * real.max(input.len()) + (256 << 10)
}

/// A fresh directory per call, under the system temp dir (left for the OS to clean when a test
/// fails; removed by `Dir::drop` otherwise).
struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let d = std::env::temp_dir().join(format!(
            "draw-data-fuzz-{}-{tag}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Header claiming 10 images of 28 × 28, then `zeros` bytes: a gzip bomb against the header.
fn idx_bomb(zeros: usize) -> Vec<u8> {
    let mut b = idx(&[10, 28, 28], &[]);
    b.resize(b.len() + zeros, 0);
    gzip(&b)
}

#[test]
fn fuzz_idx_in_memory() {
    let mut rng = Rng::new(0x1d8);
    let (images, labels) = seeds();
    let mut inputs = idx_inputs(&images, 3, &mut rng);
    inputs.extend(idx_inputs(&labels, 1, &mut rng));
    // Header claiming 4 billion images over a file of a few bytes.
    inputs.push(idx(&[u32::MAX, 28, 28], &[0; 64]));
    inputs.push(idx(&[u32::MAX], &[0; 64]));
    run("idx parse_idx (in memory)", inputs, raw_bound, |b| {
        let rank = if b.get(3) == Some(&1) { 1 } else { 3 };
        parse_idx(b, Path::new("fuzz-idx"), rank).is_ok()
    });
}

#[test]
fn fuzz_idx_raw_files() {
    let mut rng = Rng::new(0xf11e);
    let (images, labels) = seeds();
    let mut inputs = idx_inputs(&images, 3, &mut rng);
    inputs.extend(idx_inputs(&labels, 1, &mut rng).into_iter().step_by(2));
    inputs.push(idx(&[u32::MAX, u32::MAX, 28], &[0; 64]));
    let dir = Dir::new("raw");
    let path = dir.0.join("images-idx3-ubyte");
    run("idx read_idx (raw file)", inputs, raw_bound, move |b| {
        std::fs::write(&path, b).unwrap();
        let rank = if b.get(3) == Some(&1) { 1 } else { 3 };
        read_idx(&path, rank).is_ok()
    });
}

#[test]
fn fuzz_idx_gzip_files() {
    let mut rng = Rng::new(0x92);
    let (images, _) = seeds();
    let gz = gzip(&images);
    // The gzip container's fields: magic, method, flags, mtime, xfl, os; CRC32 and ISIZE.
    let n = gz.len();
    let mut fields: Vec<Field> = (0..4).map(Field::byte).collect();
    fields.extend([Field::le32(4), Field::byte(8), Field::byte(9)]);
    fields.extend([Field::le32(n - 8), Field::le32(n - 4)]);
    let mut inputs = truncations(&gz);
    inputs.extend(hostile_fields(&gz, &fields, COMBOS / 2, &mut rng));
    inputs.extend(mutations(&gz, RANDOM, &mut rng));
    // Valid gzip around a damaged IDX: every truncation, every hostile header field.
    inputs.extend(truncations(&images).iter().map(|b| gzip(b)));
    inputs.extend(
        hostile_fields(&images, &idx_fields(3), COMBOS / 2, &mut rng)
            .iter()
            .map(|b| gzip(b)),
    );
    // Two members, a member then garbage, and inflating past the header (1 MiB of zeros
    // after a header for 7 840 bytes, compressed to about a kilobyte).
    inputs.push([gz.clone(), gz.clone()].concat());
    inputs.push([gz.clone(), b"garbage after the member".to_vec()].concat());
    inputs.push(idx_bomb(1 << 20));
    let dir = Dir::new("gz");
    let path = dir.0.join("images-idx3-ubyte.gz");
    run("idx read_idx (gzip file)", inputs, gz_idx_bound, move |b| {
        std::fs::write(&path, b).unwrap();
        read_idx(&path, 3).is_ok()
    });
}

/// Packs an MNIST-directory input: flags, then the image file's length, then both files.
/// Flags: 1 images gzipped, 2 labels gzipped, 4 no image file, 8 no label file,
/// 16 the image path is a directory, 32 a broken raw image file beside a `.gz` one.
fn mnist_input(flags: u8, images: &[u8], labels: &[u8]) -> Vec<u8> {
    let mut b = vec![flags];
    b.extend((images.len() as u32).to_le_bytes());
    b.extend(images);
    b.extend(labels);
    b
}

#[test]
fn fuzz_mnist_directory() {
    let mut rng = Rng::new(0x3157);
    let (images, labels) = seeds();
    let mut inputs = Vec::new();
    for flags in 0..64u8 {
        inputs.push(mnist_input(flags, &images, &labels));
    }
    for b in idx_inputs(&images, 3, &mut rng).into_iter().step_by(3) {
        let flags = rng.below(4) as u8;
        inputs.push(mnist_input(flags, &b, &labels));
    }
    for b in idx_inputs(&labels, 1, &mut rng).into_iter().step_by(2) {
        let flags = rng.below(4) as u8;
        inputs.push(mnist_input(flags, &images, &b));
    }
    // Counts that disagree, labels above 9, a label file longer than the image file.
    inputs.push(mnist_input(0, &images, &idx(&[2], &[1, 2])));
    inputs.push(mnist_input(0, &images, &idx(&[3], &[1, 2, 200])));
    inputs.push(mnist_input(3, &images, &idx(&[u32::MAX], &[1, 2, 3])));
    let dir = Dir::new("mnist");
    let root = dir.0.clone();
    let bound = |b: &[u8]| {
        let (flags, img_len) = (b[0], u32::from_le_bytes([b[1], b[2], b[3], b[4]]) as usize);
        let (img, lab) = b[5..].split_at(img_len);
        let files = [(img, flags & 1 != 0), (lab, flags & 2 != 0)];
        files
            .iter()
            .map(|&(f, gz)| {
                if gz {
                    gz_idx_bound(&gzip(f))
                } else {
                    raw_bound(f)
                }
            })
            .sum()
    };
    run("mnist load_mnist (directory)", inputs, bound, move |b| {
        let (flags, img_len) = (b[0], u32::from_le_bytes([b[1], b[2], b[3], b[4]]) as usize);
        let (img, lab) = b[5..].split_at(img_len);
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let name = |stem: &str, gz: bool| {
            root.join(if gz {
                format!("{stem}.gz")
            } else {
                stem.into()
            })
        };
        let img_path = name("t10k-images-idx3-ubyte", flags & 1 != 0);
        let lab_path = name("t10k-labels-idx1-ubyte", flags & 2 != 0);
        let enc = |bytes: &[u8], gz: bool| if gz { gzip(bytes) } else { bytes.to_vec() };
        if flags & 4 == 0 {
            if flags & 16 != 0 {
                std::fs::create_dir_all(&img_path).unwrap();
            } else {
                std::fs::write(&img_path, enc(img, flags & 1 != 0)).unwrap();
            }
        }
        if flags & 8 == 0 {
            std::fs::write(&lab_path, enc(lab, flags & 2 != 0)).unwrap();
        }
        if flags & 32 != 0 && flags & 17 == 1 {
            std::fs::write(root.join("t10k-images-idx3-ubyte"), &img[..img.len() / 2]).unwrap();
        }
        load_mnist(&root, Split::Test).is_ok()
    });
}

/// Two CIFAR-10 records, labels 3 and 9.
fn cifar_seed() -> Vec<u8> {
    let mut b = Vec::new();
    for (label, shift) in [(3u8, 0usize), (9, 100)] {
        b.push(label);
        b.extend((0..3072).map(|i| ((i * 7 + shift) % 256) as u8));
    }
    b
}

#[test]
fn fuzz_cifar_in_memory() {
    let mut rng = Rng::new(0xc1fa);
    let seed = cifar_seed();
    let mut inputs = truncations(&seed);
    inputs.extend(hostile_fields(
        &seed,
        &[Field::byte(0), Field::byte(3073)],
        50,
        &mut rng,
    ));
    inputs.extend(mutations(&seed, RANDOM, &mut rng));
    run("cifar parse_cifar10 (in memory)", inputs, raw_bound, |b| {
        parse_cifar10(b, Path::new("fuzz-cifar.bin")).is_ok()
    });
}

#[test]
fn fuzz_cifar_files() {
    let mut rng = Rng::new(0xc1f2);
    let seed = cifar_seed();
    let gz = gzip(&seed);
    let mut inputs: Vec<Vec<u8>> = truncations(&seed).into_iter().step_by(7).collect();
    inputs.extend(mutations(&seed, RANDOM / 2, &mut rng));
    inputs.extend(truncations(&gz));
    inputs.extend(mutations(&gz, RANDOM / 2, &mut rng));
    let dir = Dir::new("cifar");
    let path = dir.0.join("data_batch_1.bin");
    let bound = |b: &[u8]| {
        if b.starts_with(&[0x1f, 0x8b]) {
            16 * inflate_count(b).0.max(b.len()) + (256 << 10)
        } else {
            raw_bound(b)
        }
    };
    run(
        "cifar load_cifar10_files (raw and gzip)",
        inputs,
        bound,
        move |b| {
            std::fs::write(&path, b).unwrap();
            load_cifar10_files(std::slice::from_ref(&path)).is_ok()
        },
    );
}

/// A MAT-file element: 8-byte tag (or the 4-byte small form for ≤ 4 bytes), data, padding.
fn mat_element(kind: u32, data: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    if data.len() <= 4 && kind != 14 {
        b.extend(((data.len() as u32) << 16 | kind).to_le_bytes());
        b.extend(data);
        b.resize(8, 0);
        return b;
    }
    b.extend(kind.to_le_bytes());
    b.extend((data.len() as u32).to_le_bytes());
    b.extend(data);
    b.resize(b.len().div_ceil(8) * 8, 0);
    b
}

/// A small SVHN-shaped MAT-file: `X` uint8 [4, 4, 3, 2] and `y` double stored as miUINT8
/// (as MATLAB writes small integers), each element raw or zlib-compressed.
fn svhn_seed(compress: bool) -> Vec<u8> {
    let mut b = b"MATLAB 5.0 MAT-file, fuzz seed".to_vec();
    b.resize(116, b' ');
    b.extend([0u8; 8]);
    b.extend([0x00, 0x01]);
    b.extend(b"IM");
    let x: Vec<u8> = (0..96u8).map(|v| v.wrapping_mul(29)).collect();
    for (name, class, dims, data) in [
        ("X", 9u32, vec![4i32, 4, 3, 2], x),
        ("y", 6, vec![2, 1], vec![10, 3]),
    ] {
        let mut m = mat_element(6, &[class.to_le_bytes(), [0; 4]].concat());
        let d: Vec<u8> = dims.iter().flat_map(|d| d.to_le_bytes()).collect();
        m.extend(mat_element(5, &d));
        m.extend(mat_element(1, name.as_bytes()));
        m.extend(mat_element(2, &data));
        let matrix = mat_element(14, &m);
        if compress {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            z.write_all(&matrix).unwrap();
            let z = z.finish().unwrap();
            b.extend(15u32.to_le_bytes());
            b.extend((z.len() as u32).to_le_bytes());
            b.extend(z);
        } else {
            b.extend(matrix);
        }
    }
    b
}

/// Allocation bound for a MAT-file input: a few copies of its bytes plus of what each of its
/// top-level compressed elements really inflates to.
fn mat_bound(input: &[u8]) -> usize {
    let mut inflated = 0usize;
    let mut pos = 128;
    while let Some(tag) = input.get(pos..pos + 8) {
        let kind = u32::from_le_bytes([tag[0], tag[1], tag[2], tag[3]]);
        let n = u32::from_le_bytes([tag[4], tag[5], tag[6], tag[7]]) as usize;
        let data = &input[pos + 8..input.len().min((pos + 8).saturating_add(n))];
        if kind == 15 {
            let mut z = flate2::read::ZlibDecoder::new(data);
            inflated += std::io::copy(&mut z, &mut std::io::sink()).unwrap_or(0) as usize;
        }
        pos = (pos + 8).saturating_add(n);
    }
    16 * (input.len() + inflated) + (256 << 10)
}

#[test]
fn fuzz_svhn_mat() {
    let mut rng = Rng::new(0x5f4e);
    let mut inputs = Vec::new();
    for compress in [false, true] {
        let seed = svhn_seed(compress);
        // Header (version, endian), the first element's tag and the array's dimensions.
        let mut fields = vec![
            Field::byte(124),
            Field::byte(126),
            Field::le32(128),
            Field::le32(132),
        ];
        if !compress {
            fields.extend([
                Field::le32(136 + 16),
                Field::le32(136 + 24),
                Field::le32(136 + 28),
            ]);
        }
        inputs.extend(truncations(&seed));
        inputs.extend(hostile_fields(&seed, &fields, COMBOS / 2, &mut rng));
        inputs.extend(mutations(&seed, RANDOM, &mut rng));
    }
    // A compressed element that inflates far past the matrix its inner tag declares.
    let mut bomb = svhn_seed(false)[..128].to_vec();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&[14, 0, 0, 0, 16, 0, 0, 0]).unwrap();
    z.write_all(&vec![0u8; 1 << 20]).unwrap();
    let z = z.finish().unwrap();
    bomb.extend(15u32.to_le_bytes());
    bomb.extend((z.len() as u32).to_le_bytes());
    bomb.extend(z);
    inputs.push(bomb);
    run("svhn parse_svhn (MAT-file)", inputs, mat_bound, |b| {
        parse_svhn(b, Path::new("fuzz-svhn.mat")).is_ok()
    });
}
