//! The real binaries as child processes, with their output captured for assertions.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// A binary of this workspace, built by `cargo build --bins` into the same target directory: next
/// to the running executable (a binary such as relay-bench) or one level up (a test in `deps/`).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the running executable's path");
    let here = exe.parent().expect("the executable's directory");
    let found = [Some(here), here.parent()]
        .into_iter()
        .flatten()
        .map(|dir| dir.join(name))
        .find(|path| path.exists());
    found.unwrap_or_else(|| {
        panic!(
            "{name} is missing next to {}: run `cargo build --bins` (or `--release --bins`) first",
            exe.display()
        )
    })
}

/// A running child process whose stdout and stderr lines are collected.
pub struct Process {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Process {
    /// One of this workspace's binaries, with exactly `env` as its environment.
    pub fn spawn(name: &str, args: &[&str], env: &HashMap<String, String>) -> Self {
        Self::spawn_program(binary(name), args, env)
    }

    /// Any program, with exactly `env` as its environment (plus RUST_LOG=info unless `env` sets it).
    pub fn spawn_program(
        program: impl AsRef<std::ffi::OsStr>,
        args: &[&str],
        env: &HashMap<String, String>,
    ) -> Self {
        let name = program.as_ref().to_string_lossy().into_owned();
        let mut child = Command::new(program)
            .args(args)
            .env_clear()
            // A default the caller's environment overrides: tests read the processes' log lines.
            .env("RUST_LOG", "info")
            .envs(env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {name}: {e}"));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let mut readers = Vec::new();
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let lines = lines.clone();
            readers.push(std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(line);
                }
            }));
        }
        Self {
            child,
            lines,
            readers,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn output(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    pub fn count_lines(&self, needle: &str) -> usize {
        self.output().iter().filter(|l| l.contains(needle)).count()
    }

    /// Waits for the process to exit by itself and for all its output; its exit code.
    pub fn wait(&mut self) -> Option<i32> {
        let code = self.child.wait().ok().and_then(|s| s.code());
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        code
    }

    /// SIGTERM, then wait: the graceful stop `docker stop` performs.
    pub fn terminate(&mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.wait()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
