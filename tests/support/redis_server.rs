//! A Redis for tests: `REDIS_URL` when it is set, else a `redis-server` of the test's own on a
//! free loopback port, stopped when dropped. Each test sends to a sandbox of its own, and a
//! robot's keys are named by its webhook, so tests that share one Redis never share keys.
//!
//! Needs `redis-server` on the `PATH` (Debian and Ubuntu: `apt-get install redis-server`;
//! macOS: `brew install redis`) unless `REDIS_URL` names a Redis to use.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A Redis server for one test.
pub struct RedisServer {
    url: String,
    /// The server this test started, if it started one.
    child: Option<Child>,
    port: u16,
    /// Where it keeps its append-only file, for a server that must survive a restart.
    dir: Option<PathBuf>,
    /// The password it requires (`--requirepass`), if any.
    password: Option<String>,
}

impl RedisServer {
    /// `REDIS_URL` if set, else a server of this test's own.
    pub fn any() -> RedisServer {
        match std::env::var("REDIS_URL") {
            Ok(url) if !url.is_empty() => RedisServer {
                url,
                child: None,
                port: 0,
                dir: None,
                password: None,
            },
            _ => RedisServer::own(None).unwrap_or_else(|e| panic!("{e}")),
        }
    }

    /// A server of this test's own; with `dir`, one that writes every change to an
    /// append-only file there, so that it keeps its data when stopped and started again.
    pub fn own(dir: Option<&Path>) -> Result<RedisServer, String> {
        let port = free_port();
        let mut server = RedisServer {
            url: format!("redis://127.0.0.1:{port}"),
            child: None,
            port,
            dir: dir.map(Path::to_path_buf),
            password: None,
        };
        server.start()?;
        Ok(server)
    }

    /// A server of this test's own that requires `password` (`--requirepass`). Its `url`
    /// holds no password: a test writes the one it means to try.
    pub fn own_with_password(password: &str) -> Result<RedisServer, String> {
        let port = free_port();
        let mut server = RedisServer {
            url: format!("redis://127.0.0.1:{port}"),
            child: None,
            port,
            dir: None,
            password: Some(password.to_owned()),
        };
        server.start()?;
        Ok(server)
    }

    /// The port it listens on (0 for `REDIS_URL`'s).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts the server (again, on the same port and with the same data).
    pub fn start(&mut self) -> Result<(), String> {
        let mut command = Command::new("redis-server");
        command.args([
            "--port",
            &self.port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ]);
        match &self.dir {
            Some(dir) => {
                command.args(["--appendonly", "yes", "--appendfsync", "always", "--dir"]);
                command.arg(dir);
            }
            None => {
                command.args(["--appendonly", "no"]);
            }
        }
        if let Some(password) = &self.password {
            command.args(["--requirepass", password]);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!(
                    "these tests need Redis: set REDIS_URL, or put redis-server on the PATH \
                     (apt-get install redis-server, brew install redis): {e}"
                )
            })?;
        self.child = Some(child);
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if self.command(&["PING"]).is_ok_and(|answer| answer == "PONG") {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("redis-server did not start on port {}", self.port))
    }

    /// Stops the server as an operator would (SIGTERM): a server with a directory has
    /// written everything to it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: `kill` with a pid we own and a valid signal number.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
            let _ = child.wait();
        }
    }

    /// Whether this test started the server (and can stop it).
    pub fn is_own(&self) -> bool {
        self.port != 0
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends one command to a server of this test's own (after `AUTH`, for one that requires
    /// a password), and reads a simple, integer or bulk string answer.
    pub fn command(&self, args: &[&str]) -> Result<String, String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .map_err(|e| e.to_string())?;
        let mut request = String::new();
        let mut commands = Vec::new();
        if let Some(password) = &self.password {
            commands.push(vec!["AUTH", password.as_str()]);
        }
        commands.push(args.to_vec());
        for args in &commands {
            request.push_str(&format!("*{}\r\n", args.len()));
            for arg in args {
                request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
            }
        }
        stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        if self.password.is_some() {
            reader.read_line(&mut line).map_err(|e| e.to_string())?;
            if !line.starts_with("+OK") {
                return Err(line.trim_end().to_owned());
            }
            line.clear();
        }
        reader.read_line(&mut line).map_err(|e| e.to_string())?;
        let line = line.trim_end();
        match line.as_bytes().first() {
            Some(b'+' | b':') => Ok(line[1..].to_owned()),
            Some(b'$') => {
                let len: usize = line[1..].parse().map_err(|_| line.to_owned())?;
                let mut body = vec![0; len + 2];
                reader.read_exact(&mut body).map_err(|e| e.to_string())?;
                body.truncate(len);
                String::from_utf8(body).map_err(|e| e.to_string())
            }
            _ => Err(line.to_owned()),
        }
    }

    /// `calls` of each command in `INFO commandstats`, by name.
    pub fn command_calls(&self) -> std::collections::HashMap<String, u64> {
        let info = self.command(&["INFO", "commandstats"]).unwrap();
        info.lines()
            .filter_map(|line| {
                let (name, stats) = line.strip_prefix("cmdstat_")?.split_once(':')?;
                let calls = stats.split(',').find_map(|s| s.strip_prefix("calls="))?;
                Some((name.to_owned(), calls.parse().ok()?))
            })
            .collect()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}
