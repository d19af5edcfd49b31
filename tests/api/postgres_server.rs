//! A PostgreSQL server of a test's own, which the test may stop and start: outages cannot be
//! rehearsed on the cluster every other test shares.
//!
//! It uses the machine's PostgreSQL binaries (the ones `scripts/pg` uses), initialises a
//! throwaway cluster under the system's temporary folder, and listens on a free loopback
//! port. PostgreSQL refuses to run as root, so as root the server runs as `postgres`.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PostgresServer {
    bindir: PathBuf,
    root: PathBuf,
    port: u16,
}

impl PostgresServer {
    /// Initialises and starts a fresh server (about a second and a half).
    pub fn start() -> Self {
        let bindir = postgres_bindir();
        let root =
            std::env::temp_dir().join(format!("devforum-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&root).expect("create server folder");
        let server = PostgresServer {
            bindir,
            port: free_port(),
            root,
        };
        if running_as_root() {
            run(Command::new("chown").arg("postgres").arg(&server.root));
        }
        run(server
            .command("initdb")
            .arg("-D")
            .arg(server.data())
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8"])
            .args(["--locale=C.UTF-8", "--no-sync"]));
        server.start_again();
        server
    }

    /// A streaming replica of `primary` (`pg_basebackup -R`), started on its own port; it
    /// replays everything `primary` writes, and takes no writes itself.
    pub fn replica_of(primary: &PostgresServer) -> Self {
        let root =
            std::env::temp_dir().join(format!("devforum-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&root).expect("create server folder");
        let replica = PostgresServer {
            bindir: primary.bindir.clone(),
            port: free_port(),
            root,
        };
        if running_as_root() {
            run(Command::new("chown").arg("postgres").arg(&replica.root));
        }
        run(replica
            .command("pg_basebackup")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &primary.port.to_string(),
                "-U",
                "postgres",
            ])
            .arg("-D")
            .arg(replica.data())
            .args(["-R", "-X", "stream", "-c", "fast"]));
        replica.start_again();
        replica
    }

    /// Runs one statement with `psql` on `database`, returning what it printed.
    pub fn psql(&self, database: &str, statement: &str) -> String {
        let output = self
            .command("psql")
            .args([
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &self.url(database),
            ])
            .args(["-c", statement])
            .output()
            .expect("run psql");
        assert!(
            output.status.success(),
            "psql failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    /// A URL for `database` on this server.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Stops the server as an operator's restart does (`pg_ctl stop -m fast`): every
    /// session is told and closed, and new connections are refused.
    pub fn stop(&self) {
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "stop"]));
    }

    /// Starts it again on the same port, waiting until it accepts connections.
    pub fn start_again(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -c unix_socket_directories={} -c fsync=off \
             -c max_connections=50",
            self.port,
            self.root.display()
        );
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.root.join("server.log"))
            .args(["-o", &options, "-w", "-t", "60", "start"]));
    }

    fn command(&self, program: &str) -> Command {
        let binary = self.bindir.join(program);
        if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(binary);
            command
        } else {
            Command::new(binary)
        }
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn run(command: &mut Command) {
    let output = command.output().expect("run a PostgreSQL command");
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn running_as_root() -> bool {
    std::env::var("USER").is_ok_and(|u| u == "root")
        || Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The newest `/usr/lib/postgresql/<version>/bin`, else wherever `pg_ctl` is on the PATH.
fn postgres_bindir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
                .filter(|bin| bin.join("pg_ctl").exists())
                .collect()
        })
        .unwrap_or_default();
    versions.sort_by_key(|bin| {
        bin.parent()
            .and_then(Path::file_name)
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(newest) = versions.pop() {
        return newest;
    }
    let found = Command::new("sh")
        .args(["-c", "command -v pg_ctl"])
        .output()
        .expect("look for pg_ctl");
    let path = String::from_utf8_lossy(&found.stdout).trim().to_string();
    assert!(
        !path.is_empty(),
        "no PostgreSQL binaries: install Debian's postgresql package (scripts/pg does)"
    );
    PathBuf::from(path)
        .parent()
        .map(Path::to_path_buf)
        .expect("pg_ctl's folder")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}
