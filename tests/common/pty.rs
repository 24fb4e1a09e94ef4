//! Drives the real `chartroom` binary in a pseudo-terminal and reads its screen through a VT parser.

#![allow(dead_code)]

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Records what the program asked the terminal to do beyond drawing: here, the window title.
#[derive(Default)]
pub struct Recorder {
    pub title: Vec<u8>,
}

impl vt100::Callbacks for Recorder {
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.title = title.to_vec();
    }
}

fn nz(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n.max(1)).unwrap()
}

pub struct Session {
    pub parser: Arc<Mutex<vt100::Parser<Recorder>>>,
    pub raw: Arc<Mutex<Vec<u8>>>,
    /// When each chunk of output arrived, with its length.
    pub arrivals: Arc<Mutex<Vec<(Instant, usize)>>>,
    pub master: Box<dyn MasterPty + Send>,
    pub writer: Box<dyn Write + Send>,
    pub child: Box<dyn Child + Send + Sync>,
    /// Set when the reader has read everything the program wrote (the pty closed).
    pub drained: Arc<std::sync::atomic::AtomicBool>,
}

/// Starts `program args` in an 80×24 (or `size`) pseudo-terminal with a UTF-8 locale.
pub fn spawn(program: &Path, args: &[&str], size: (u16, u16)) -> Session {
    spawn_command(
        {
            let mut cmd = CommandBuilder::new(program);
            cmd.args(args);
            cmd
        },
        size,
    )
}

pub fn spawn_command(mut cmd: CommandBuilder, (cols, rows): (u16, u16)) -> Session {
    let pty = native_pty_system();
    let pair = pty.openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).expect("a pty");
    cmd.env("TERM", "xterm-256color");
    cmd.env("LANG", "C.UTF-8");
    cmd.env_remove("NO_COLOR");
    cmd.env_remove("CHARTROOM_CONFIG");
    cmd.env_remove("CHARTROOM_DATA_DIR");
    cmd.env_remove("CHARTROOM_STORE");
    let child = pair.slave.spawn_command(cmd).expect("spawn in the pty");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("a reader");
    let writer = pair.master.take_writer().expect("a writer");
    let parser = Arc::new(Mutex::new(vt100::Parser::new_with_callbacks(nz(rows), nz(cols), 0, Recorder::default())));
    let raw = Arc::new(Mutex::new(Vec::new()));
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let drained = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let (parser, raw, arrivals, drained) = (parser.clone(), raw.clone(), arrivals.clone(), drained.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        arrivals.lock().unwrap().push((Instant::now(), n));
                        raw.lock().unwrap().extend_from_slice(&buf[..n]);
                        parser.lock().unwrap().process(&buf[..n]);
                    }
                }
            }
            drained.store(true, std::sync::atomic::Ordering::SeqCst);
        });
    }
    Session { parser, raw, arrivals, master: pair.master, writer, child, drained }
}

impl Session {
    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    pub fn title(&self) -> String {
        String::from_utf8_lossy(&self.parser.lock().unwrap().callbacks().title).to_string()
    }

    /// Waits until the screen shows `text`; panics with the screen after `timeout`.
    pub fn wait_for(&self, text: &str, timeout: Duration) {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if self.screen().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("waited {timeout:?} for {text:?}; the screen shows:\n{}", self.screen());
    }

    /// Waits until a line of the screen starts with `start` (a table's row `   1 `, which the footer's
    /// `1 2 3` would match anywhere else in a line); panics with the screen after `timeout`.
    pub fn wait_for_line(&self, start: &str, timeout: Duration) {
        let begun = Instant::now();
        while begun.elapsed() < timeout {
            if self.screen().lines().any(|line| line.starts_with(start)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("waited {timeout:?} for a line starting {start:?}; the screen shows:\n{}", self.screen());
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        // The parser takes the new size before the program can answer the SIGWINCH: held across
        // both, the lock keeps the reader from parsing the redraw at the old width.
        let mut parser = self.parser.lock().unwrap();
        parser.screen_mut().set_size(nz(rows), nz(cols));
        self.master.resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).unwrap();
        drop(parser);
    }

    /// Waits for the child to exit and for everything it wrote to be read (a test then reads the
    /// whole of its output, not what had arrived by the moment it exited); panics after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> portable_pty::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                while !self.drained.load(std::sync::atomic::Ordering::SeqCst) && start.elapsed() < timeout {
                    std::thread::sleep(Duration::from_millis(5));
                }
                return status;
            }
            if start.elapsed() > timeout {
                let _ = self.child.kill();
                panic!("the program did not exit within {timeout:?}; screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.raw.lock().unwrap()).to_string()
    }
}

/// `--data-dir DIR/data --config DIR/config.toml`: a store of its own, with its config and key beside.
pub fn store_args(dir: &Path) -> Vec<String> {
    vec![
        "--data-dir".into(),
        dir.join("data").display().to_string(),
        "--config".into(),
        dir.join("config.toml").display().to_string(),
    ]
}

/// The `p` quantile (0..=1) of `values`, nearest rank; NaN when empty.
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    values[((values.len() as f64 - 1.0) * p).round() as usize]
}
