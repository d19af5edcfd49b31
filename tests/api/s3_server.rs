//! A real S3-compatible server for the upload tests: the s3s project's `s3s-fs` (built from
//! crates.io; `../shared/s3s-fs`), started once per test run on a loopback port with a data
//! folder of its own, as Meilisearch is for the search tests. Each test gets its own bucket.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const ACCESS_KEY: &str = "devforum";
pub const SECRET_KEY: &str = "devforum-secret-key";

pub struct S3Server {
    pub endpoint: String,
    pub data_dir: PathBuf,
    _child: ChildGuard,
}

struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `S3S_FS_BIN`, else `s3s-fs` on the PATH, else the shared build beside the project.
fn binary() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("S3S_FS_BIN") {
        return Some(PathBuf::from(bin));
    }
    let on_path = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("s3s-fs"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    on_path
        .into_iter()
        .chain([
            manifest.join("../shared/s3s-fs/s3s-fs"),
            PathBuf::from("/work/shared/s3s-fs/s3s-fs"),
        ])
        .find(|candidate| candidate.is_file())
}

/// The run's server, started on first use; `None` when there is no binary (the caller says
/// it skipped, or fails in CI).
pub fn server() -> Option<&'static S3Server> {
    static SERVER: OnceLock<Option<S3Server>> = OnceLock::new();
    SERVER.get_or_init(start).as_ref()
}

fn start() -> Option<S3Server> {
    let bin = binary()?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let data_dir = std::env::temp_dir().join(format!("devforum-s3s-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&data_dir).expect("s3s-fs data folder");
    let child = Command::new(&bin)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
        .arg(&data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
    let guard = ChildGuard(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "s3s-fs did not start on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(S3Server {
        endpoint: format!("http://127.0.0.1:{port}"),
        data_dir,
        _child: guard,
    })
}

impl S3Server {
    /// A new, empty bucket (a folder of the server's data folder).
    pub fn bucket(&self) -> String {
        let name = format!("t-{}", uuid::Uuid::new_v4().simple());
        std::fs::create_dir_all(self.data_dir.join(&name)).expect("bucket folder");
        name
    }

    /// The files stored in a bucket, as paths below it.
    pub fn objects(&self, bucket: &str) -> Vec<String> {
        files_below(&self.data_dir.join(bucket))
    }
}

/// Every file below `dir`, relative to it, skipping dot-folders (work in progress).
pub fn files_below(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if hidden {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                found.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    found
}

/// Without s3s-fs a test says it skipped; in CI (`CI=true`) it fails: CI runs every upload
/// test on both backends.
pub fn skip_without_s3() {
    let how = "set S3S_FS_BIN to the s3s-fs binary (../shared/s3s-fs/s3s-fs)";
    assert!(
        std::env::var("CI").map_or(true, |ci| ci != "true"),
        "CI runs the upload tests on a live S3 server, and none was found: {how}"
    );
    eprintln!("skipped: no s3s-fs ({how})");
}
