//! `draw data download`: fetches a data set's files from their official location, streamed
//! with a progress bar, checked against the MD5 its authors (or, for SVHN, torchvision) publish,
//! written under a temporary name and renamed into place only when complete and verified, and
//! extracted where needed. A file already present with the right checksum is not fetched again.
//! Nothing half-written survives an error: a guard removes the temporary file or folder.

use anyhow::{anyhow, bail, Context, Result};
use draw_data::DatasetName;
use indicatif::{ProgressBar, ProgressStyle};
use md5::{Digest, Md5};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Environment variable replacing every file's URL by `$DRAW_DATA_MIRROR/<file name>` (a
/// local mirror, or the test server on 127.0.0.1).
pub const MIRROR_ENV: &str = "DRAW_DATA_MIRROR";

/// One file of a data set as its authors publish it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteFile {
    /// File name in the target folder.
    pub name: String,
    /// The official URL.
    pub url: String,
    /// Its MD5, lower-case hex.
    pub md5: String,
    /// Whether it is a `.tar.gz` to extract into the folder (the archive is kept, so a re-run
    /// can verify it).
    pub extract: bool,
}

/// A data set's files and where their checksums come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The data set.
    pub dataset: DatasetName,
    /// Its files.
    pub files: Vec<RemoteFile>,
    /// Where the checksums were published.
    pub checksums_from: &'static str,
}

fn file(name: &str, base: &str, md5: &str, extract: bool) -> RemoteFile {
    RemoteFile {
        name: name.into(),
        url: format!("{base}{name}"),
        md5: md5.into(),
        extract,
    }
}

/// The official source of `dataset`, if it can be downloaded (MNIST ships with the repository
/// and two-digit MNIST is generated from it).
pub fn source(dataset: DatasetName) -> Option<Source> {
    let s = match dataset {
        DatasetName::Cifar10 => Source {
            dataset,
            files: vec![file(
                "cifar-10-binary.tar.gz",
                "https://www.cs.toronto.edu/~kriz/",
                "c32a1d4ab5d03f1284b67883e8d87530",
                true,
            )],
            checksums_from: "the CIFAR-10 page (www.cs.toronto.edu/~kriz/cifar.html), as published",
        },
        DatasetName::Svhn => {
            let base = "http://ufldl.stanford.edu/housenumbers/";
            Source {
                dataset,
                files: vec![
                    file(
                        "train_32x32.mat",
                        base,
                        "e26dedcc434d2e4c54c9b2d4a06d8373",
                        false,
                    ),
                    file(
                        "test_32x32.mat",
                        base,
                        "eb5a983be6a315427106f1b164d9cef3",
                        false,
                    ),
                ],
                checksums_from: "torchvision's SVHN dataset class (the SVHN page publishes none)",
            }
        }
        DatasetName::FashionMnist => {
            let base = "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/";
            Source {
                dataset,
                files: vec![
                    file(
                        "train-images-idx3-ubyte.gz",
                        base,
                        "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                        false,
                    ),
                    file(
                        "train-labels-idx1-ubyte.gz",
                        base,
                        "25c81989df183df01b3e8a0aad5dffbe",
                        false,
                    ),
                    file(
                        "t10k-images-idx3-ubyte.gz",
                        base,
                        "bef4ecab320f06d8554ea6380940ec79",
                        false,
                    ),
                    file(
                        "t10k-labels-idx1-ubyte.gz",
                        base,
                        "bb300cfdad3c16e7a12a480ee83cd310",
                        false,
                    ),
                ],
                checksums_from:
                    "the Fashion-MNIST README (github.com/zalandoresearch/fashion-mnist)",
            }
        }
        DatasetName::Mnist | DatasetName::Mnist2 | DatasetName::Folder => return None,
    };
    Some(s)
}

/// What happened to one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Present with the right checksum: not fetched.
    Present,
    /// Fetched (this many bytes) and verified.
    Fetched(u64),
    /// Present with the right checksum, but what it extracts to was missing: extracted again
    /// from the verified archive, with no download.
    Reextracted,
}

/// Removes a path on drop unless disarmed: the temporary file or folder of an unfinished step.
struct Cleanup(Option<PathBuf>);

impl Cleanup {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_dir_all(&p).or_else(|_| std::fs::remove_file(&p));
        }
    }
}

/// The MD5 of a file, lower-case hex.
fn md5_of(path: &Path) -> Result<String> {
    let mut f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut h = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            return Ok(hex(&h.finalize()));
        }
        h.update(&buf[..n]);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Names a failed write: "disk full" when the device has no space left.
fn write_error(e: std::io::Error, path: &Path) -> anyhow::Error {
    if e.raw_os_error() == Some(28) {
        anyhow!(
            "disk full while writing {} (free space and run again)",
            path.display()
        )
    } else {
        anyhow!(e).context(format!("writing {}", path.display()))
    }
}

/// The HTTP agent: statuses are handled here, no overall timeout (files are large); proxies
/// from the environment, except for a mirror (the tests' server on 127.0.0.1 is reached
/// directly).
fn agent(mirror: bool) -> ureq::Agent {
    let mut cfg = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(std::time::Duration::from_secs(30)))
        .timeout_recv_body(Some(std::time::Duration::from_secs(120)));
    if mirror {
        cfg = cfg.proxy(None);
    }
    cfg.build().into()
}

/// Streams `url` into `tmp`, hashing as it goes; returns (bytes, MD5). Errors name the URL and
/// the fault: HTTP status, truncated transfer, disk full.
fn fetch(agent: &ureq::Agent, url: &str, tmp: &Path, progress: bool) -> Result<(u64, String)> {
    let resp = agent
        .get(url)
        .call()
        .map_err(|e| anyhow!("{url}: request failed: {e}"))?;
    let status = resp.status();
    if !status.is_success() {
        bail!("{url}: HTTP {status}");
    }
    let expected = resp.body().content_length();
    let bar = if progress {
        ProgressBar::new(expected.unwrap_or(0))
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )?);
    bar.set_message(url.rsplit('/').next().unwrap_or(url).to_string());
    let mut reader = resp.into_body().into_reader();
    let mut out = File::create(tmp).map_err(|e| write_error(e, tmp).context(url.to_string()))?;
    let (mut h, mut got, mut buf) = (Md5::new(), 0u64, vec![0u8; 1 << 16]);
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => bail!(
                "{url}: truncated transfer: the connection failed after {got} of {} bytes ({e})",
                expected.map_or("?".into(), |n| n.to_string())
            ),
        };
        h.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(|e| write_error(e, tmp).context(url.to_string()))?;
        got += n as u64;
        bar.set_position(got);
    }
    bar.finish_and_clear();
    if let Some(want) = expected.filter(|&w| w != got) {
        bail!("{url}: truncated transfer: received {got} of {want} bytes");
    }
    out.sync_all()
        .map_err(|e| write_error(e, tmp).context(url.to_string()))?;
    Ok((got, hex(&h.finalize())))
}

/// Extracts the `.tar.gz` at `archive` into `dir`: into a temporary folder first, then each
/// top-level entry renamed into place (replacing an older copy), so no half-extracted folder
/// is left.
fn extract(archive: &Path, dir: &Path) -> Result<()> {
    let tmp = dir.join(format!(".extract-{}", std::process::id()));
    let guard = Cleanup(Some(tmp.clone()));
    std::fs::create_dir_all(&tmp).map_err(|e| write_error(e, &tmp))?;
    let gz = flate2::read::GzDecoder::new(File::open(archive)?);
    tar::Archive::new(gz)
        .unpack(&tmp)
        .with_context(|| format!("extracting {}", archive.display()))?;
    for entry in std::fs::read_dir(&tmp)? {
        let entry = entry?;
        let target = dir.join(entry.file_name());
        if target.is_dir() {
            std::fs::remove_dir_all(&target)?;
        }
        std::fs::rename(entry.path(), &target)
            .with_context(|| format!("moving {} into place", target.display()))?;
    }
    drop(guard);
    Ok(())
}

/// Whether every top-level entry of the `.tar.gz` at `archive` is in `dir`.
fn extracted(archive: &Path, dir: &Path) -> Result<bool> {
    let gz = flate2::read::GzDecoder::new(File::open(archive)?);
    let mut tar = tar::Archive::new(gz);
    let entries = tar
        .entries()
        .with_context(|| format!("reading {}", archive.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", archive.display()))?;
        let path = entry.path()?;
        if let Some(top) = path.components().next() {
            if !dir.join(top).exists() {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Makes sure `f` is in `dir`, whole and verified (and extracted). `base` replaces the URL's
/// location (a mirror).
fn ensure(f: &RemoteFile, dir: &Path, base: Option<&str>, progress: bool) -> Result<Outcome> {
    let target = dir.join(&f.name);
    if target.is_file() && md5_of(&target)? == f.md5 {
        if f.extract && !extracted(&target, dir)? {
            extract(&target, dir)?;
            sync_dir(dir);
            return Ok(Outcome::Reextracted);
        }
        return Ok(Outcome::Present);
    }
    let url = match base {
        Some(b) => format!("{}/{}", b.trim_end_matches('/'), f.name),
        None => f.url.clone(),
    };
    let tmp = dir.join(format!(".{}.part-{}", f.name, std::process::id()));
    let guard = Cleanup(Some(tmp.clone()));
    let (bytes, md5) = fetch(&agent(base.is_some()), &url, &tmp, progress)?;
    if md5 != f.md5 {
        bail!(
            "{url}: checksum mismatch: MD5 {md5}, expected {} ({bytes} bytes received; the \
             partial file was removed)",
            f.md5
        );
    }
    if f.extract {
        extract(&tmp, dir)?;
    }
    std::fs::rename(&tmp, &target)
        .with_context(|| format!("moving {} into place", target.display()))?;
    guard.disarm();
    sync_dir(dir);
    Ok(Outcome::Fetched(bytes))
}

/// Syncs a directory so a rename in it is durable (best effort: not every file system can).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Downloads every file of `source` into `dir` (created if missing); `base` replaces the
/// official location. Returns each file's outcome.
pub fn download(
    source: &Source,
    dir: &Path,
    base: Option<&str>,
    progress: bool,
) -> Result<Vec<(String, Outcome)>> {
    std::fs::create_dir_all(dir).map_err(|e| write_error(e, dir))?;
    let mut done = Vec::new();
    for f in &source.files {
        let outcome = ensure(f, dir, base, progress)?;
        done.push((f.name.clone(), outcome));
    }
    Ok(done)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use draw_data::Split;
    use std::io::BufRead;
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// How the test server answers a path.
    #[derive(Clone)]
    pub(crate) enum Reply {
        /// 200 with these bytes.
        Ok(Vec<u8>),
        /// 200 claiming the whole length, then only the first half, then the connection closes.
        Truncated(Vec<u8>),
    }

    /// A tiny HTTP/1.1 server on 127.0.0.1 serving `files` by name (404 for anything else), on
    /// a thread that lives as long as the test process; counts the requests it answers.
    pub(crate) fn serve(files: Vec<(String, Reply)>) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { continue };
                let mut line = String::new();
                let mut r = std::io::BufReader::new(s.try_clone().unwrap());
                if r.read_line(&mut line).is_err() {
                    continue;
                }
                let mut header = String::new();
                while r.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let path = line.split_whitespace().nth(1).unwrap_or("/");
                let name = path.rsplit('/').next().unwrap_or("");
                let reply = files.iter().find(|f| f.0 == name).map(|f| f.1.clone());
                let (head, body) = match reply {
                    Some(Reply::Ok(b)) => (format!("200 OK\r\nContent-Length: {}", b.len()), b),
                    Some(Reply::Truncated(b)) => (
                        format!("200 OK\r\nContent-Length: {}", b.len()),
                        b[..b.len() / 2].to_vec(),
                    ),
                    None => (
                        "404 Not Found\r\nContent-Length: 9".into(),
                        b"not found".to_vec(),
                    ),
                };
                let _ = write!(s, "HTTP/1.1 {head}\r\nConnection: close\r\n\r\n");
                let _ = s.write_all(&body);
            }
        });
        (base, hits)
    }

    pub(crate) fn md5_hex(b: &[u8]) -> String {
        hex(&Md5::digest(b))
    }

    /// A small cifar-10-binary.tar.gz in the real layout: `cifar-10-batches-bin/` holding
    /// data_batch_1..5.bin and test_batch.bin (two records each) and batches.meta.txt.
    pub(crate) fn cifar_archive() -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        let mut add = |name: &str, data: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tar.append_data(&mut h, format!("cifar-10-batches-bin/{name}"), data)
                .unwrap();
        };
        let record = |label: u8| {
            let mut r = vec![label];
            r.extend((0..3072).map(|i| (i % 251) as u8));
            r
        };
        let two = [record(3), record(8)].concat();
        for k in 1..=5 {
            add(&format!("data_batch_{k}.bin"), &two);
        }
        add("test_batch.bin", &two);
        add("batches.meta.txt", b"airplane\n");
        tar.into_inner().unwrap().finish().unwrap()
    }

    fn test_source(files: &[(&str, &[u8], bool)]) -> Source {
        Source {
            dataset: DatasetName::Cifar10,
            files: files
                .iter()
                .map(|(n, b, x)| file(n, "http://unused.invalid/", &md5_hex(b), *x))
                .collect(),
            checksums_from: "test",
        }
    }

    /// The entries of `dir`, sorted.
    fn listing(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .map(|r| {
                r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    fn tmp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("draw-dl-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn success_then_a_rerun_fetches_nothing_and_the_data_loads() {
        let archive = cifar_archive();
        let (base, hits) = serve(vec![(
            "cifar-10-binary.tar.gz".into(),
            Reply::Ok(archive.clone()),
        )]);
        let src = test_source(&[("cifar-10-binary.tar.gz", &archive, true)]);
        let dir = tmp("ok");
        let done = download(&src, &dir, Some(&base), false).unwrap();
        assert_eq!(done[0].1, Outcome::Fetched(archive.len() as u64));
        assert_eq!(
            listing(&dir),
            ["cifar-10-batches-bin", "cifar-10-binary.tar.gz"]
        );
        let test = DatasetName::Cifar10.load(&dir, Split::Test).unwrap();
        assert_eq!((test.len, test.labels.as_slice()), (2, &[3, 8][..]));
        assert_eq!(
            DatasetName::Cifar10.load(&dir, Split::Train).unwrap().len,
            10
        );
        let n = hits.load(Ordering::SeqCst);
        let again = download(&src, &dir, Some(&base), false).unwrap();
        assert_eq!(
            (again[0].1.clone(), hits.load(Ordering::SeqCst)),
            (Outcome::Present, n)
        );
        // A verified archive whose extracted folder was deleted is extracted again, with no
        // download.
        std::fs::remove_dir_all(dir.join("cifar-10-batches-bin")).unwrap();
        let n = hits.load(Ordering::SeqCst);
        let fourth = download(&src, &dir, Some(&base), false).unwrap();
        assert_eq!(
            (fourth[0].1.clone(), hits.load(Ordering::SeqCst)),
            (Outcome::Reextracted, n)
        );
        assert_eq!(DatasetName::Cifar10.load(&dir, Split::Test).unwrap().len, 2);
        // A damaged copy is fetched again.
        std::fs::write(dir.join("cifar-10-binary.tar.gz"), b"damaged").unwrap();
        let third = download(&src, &dir, Some(&base), false).unwrap();
        assert!(matches!(third[0].1, Outcome::Fetched(_)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn failures_name_the_url_and_leave_nothing_behind() {
        let good = b"train bytes".to_vec();
        let (base, _) = serve(vec![
            ("a.mat".into(), Reply::Ok(good.clone())),
            ("b.mat".into(), Reply::Truncated(vec![7u8; 100_000])),
        ]);
        for (name, md5_of, needle) in [
            ("a.mat", &b"other bytes"[..], "checksum mismatch"),
            ("b.mat", &[7u8; 100_000][..], "truncated transfer"),
            ("c.mat", &b""[..], "HTTP 404"),
        ] {
            let dir = tmp(name);
            let src = test_source(&[(name, md5_of, false)]);
            let msg = format!(
                "{:#}",
                download(&src, &dir, Some(&base), false).unwrap_err()
            );
            assert!(
                msg.contains(&format!("{base}/{name}")) && msg.contains(needle),
                "{msg}"
            );
            assert_eq!(listing(&dir), Vec::<String>::new(), "{name}: left behind");
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    /// A full disk, provoked for real: the temporary file's name is a link to /dev/full, whose
    /// every write fails with ENOSPC. The error names the URL and the fault, and the link (the
    /// temporary file) is removed.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_is_named_and_leaves_nothing() {
        let body = vec![1u8; 200_000];
        let (base, _) = serve(vec![("d.mat".into(), Reply::Ok(body.clone()))]);
        let dir = tmp("full");
        std::fs::create_dir_all(&dir).unwrap();
        let part = dir.join(format!(".d.mat.part-{}", std::process::id()));
        std::os::unix::fs::symlink("/dev/full", &part).unwrap();
        let src = test_source(&[("d.mat", &body, false)]);
        let msg = format!(
            "{:#}",
            download(&src, &dir, Some(&base), false).unwrap_err()
        );
        assert!(
            msg.contains(&format!("{base}/d.mat")) && msg.contains("disk full"),
            "{msg}"
        );
        assert_eq!(listing(&dir), Vec::<String>::new(), "left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sources_are_official_and_well_formed() {
        for d in DatasetName::ALL {
            let Some(s) = source(d) else {
                assert!(matches!(
                    d,
                    DatasetName::Mnist | DatasetName::Mnist2 | DatasetName::Folder
                ));
                continue;
            };
            for f in &s.files {
                assert!(
                    f.url.ends_with(&f.name) && f.url.starts_with("http"),
                    "{f:?}"
                );
                assert!(f.md5.len() == 32 && f.md5.bytes().all(|c| c.is_ascii_hexdigit()));
            }
        }
    }
}
