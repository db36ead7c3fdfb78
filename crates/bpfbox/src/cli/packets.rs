//! Where `run` and `diff` get packets (one file or a streamed capture),
//! progress on a terminal, and `--per-packet` lines.

use super::GlobalOpts;
use anyhow::{bail, Result};
use bpfbox::engine::{RunError, RunInput, RunOutput};
use bpfbox::input::{read_bounded, MAX_CTX, MAX_PACKET};
use bpfbox::pcap;
use bpfbox::stream::MapChange;
use serde::Serialize;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where packets come from and what is printed per packet; shared by
/// `run` and `diff`.
#[derive(clap::Args, Debug)]
pub struct PacketSource {
    /// One packet: the raw bytes of this file are `data_in` (an Ethernet
    /// frame; at most 73408 bytes, the most BPF_PROG_TEST_RUN accepts).
    #[arg(long, conflicts_with = "pcap")]
    pub data_in: Option<PathBuf>,
    /// Every packet of a pcap or pcapng capture, streamed. Link types
    /// ETHERNET, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL and LOOP are
    /// converted to Ethernet frames (synthesized MACs 02:00:00:00:00:01 →
    /// 02:00:00:00:00:02, the SLL source address when it has one); others
    /// are refused.
    #[arg(long)]
    pub pcap: Option<PathBuf>,
    /// Context given to the program (`ctx_in`: raw bytes of the ctx
    /// struct, at most a page).
    #[arg(long)]
    pub ctx_in: Option<PathBuf>,
    /// With --pcap: one line per packet (index, verdict, length in and
    /// out); JSON Lines with --json, the summary last.
    #[arg(long, requires = "pcap")]
    pub per_packet: bool,
    /// With --per-packet: also list the map entries each packet's run
    /// wrote or deleted (queues, stacks, ring buffers and perf arrays are
    /// not read between runs, as reading consumes them).
    #[arg(long, requires = "per_packet")]
    pub map_changes: bool,
}

/// The packets of a command: one, or a capture read one at a time.
pub enum Packets {
    /// `--data-in` and/or `--ctx-in`.
    One(Option<RunInput>),
    /// `--pcap`.
    Capture {
        reader: pcap::Reader,
        ctx_in: Option<Vec<u8>>,
        repeat: u32,
    },
}

/// One packet to run and its capture timestamp.
pub struct Job {
    pub input: RunInput,
    pub timestamp: Duration,
}

impl Packets {
    /// Opens the inputs `src` names, each read with its bound.
    pub fn open(src: &PacketSource, repeat: u32) -> Result<Packets> {
        // clap's `requires` is not enforced next to --data-in's conflict
        if src.per_packet && src.pcap.is_none() {
            bail!("--per-packet lists the packets of a capture: give --pcap FILE");
        }
        let ctx_in = match &src.ctx_in {
            Some(p) => Some(read_bounded(p, "ctx", MAX_CTX)?),
            None => None,
        };
        if let Some(p) = &src.pcap {
            return Ok(Packets::Capture {
                reader: pcap::Reader::open(p)?,
                ctx_in,
                repeat,
            });
        }
        let data_in = match (&src.data_in, &ctx_in) {
            (Some(p), _) => read_bounded(p, "packet", MAX_PACKET)?,
            // context-only programs (raw tracepoint, syscall)
            (None, Some(_)) => Vec::new(),
            (None, None) => {
                bail!("give the input with --data-in FILE, --pcap FILE or --ctx-in FILE")
            }
        };
        Ok(Packets::One(Some(RunInput {
            data_in,
            ctx_in,
            repeat,
            flags: 0,
        })))
    }

    /// The next packet; a capture that cannot be read further is an error.
    pub fn next_job(&mut self) -> Result<Option<Job>> {
        match self {
            Packets::One(one) => Ok(one.take().map(|input| Job {
                input,
                timestamp: Duration::ZERO,
            })),
            Packets::Capture {
                reader,
                ctx_in,
                repeat,
            } => match reader.next_packet() {
                None => Ok(None),
                Some(Err(e)) => Err(e.into()),
                Some(Ok(p)) => Ok(Some(Job {
                    input: RunInput {
                        data_in: p.data,
                        ctx_in: ctx_in.clone(),
                        repeat: *repeat,
                        flags: 0,
                    },
                    timestamp: p.timestamp,
                })),
            },
        }
    }

    /// Bytes read of the capture and its size.
    pub fn progress(&self) -> (u64, u64) {
        match self {
            Packets::One(_) => (0, 0),
            Packets::Capture { reader, .. } => reader.progress(),
        }
    }
}

/// The file a failed single run is about: the ctx file for a context
/// error, the packet file for a packet error, both when the engine does
/// not say (the kernel answers only an errno).
pub fn culprit(src: &PacketSource, e: &RunError) -> String {
    let msg = e.message.as_str();
    let data = src.data_in.as_deref().map(Path::display);
    let ctx = src.ctx_in.as_deref().map(Path::display);
    match (data, ctx) {
        (Some(d), Some(c)) => {
            if msg.contains("ctx") {
                format!("{c}")
            } else if msg.contains("data_in") || msg.contains("frame") {
                format!("{d}")
            } else {
                format!("{d} (with --ctx-in {c})")
            }
        }
        (Some(d), None) => format!("{d}"),
        (None, Some(c)) => format!("{c}"),
        (None, None) => String::new(),
    }
}

/// Shows progress on a terminal for long captures (by bytes read, as a
/// streamed capture's packet count is not known in advance).
pub struct Progress {
    on: bool,
    shown: u64,
}

impl Progress {
    pub fn new(packets: &Packets, quiet: bool) -> Progress {
        let big = packets.progress().1 >= 1 << 20;
        Progress {
            on: !quiet && big && io::stderr().is_terminal(),
            shown: u64::MAX,
        }
    }

    pub fn tick(&mut self, packets: &Packets, n: u64) {
        if !self.on {
            return;
        }
        let (read, size) = packets.progress();
        let pct = (read * 100).checked_div(size).unwrap_or(0).min(100);
        if pct != self.shown {
            self.shown = pct;
            eprint!("\r{n} packets ({pct}% of the file)");
        }
    }

    pub fn done(&self) {
        if self.on && self.shown != u64::MAX {
            eprintln!();
        }
    }
}

/// One `--per-packet` line.
#[derive(Serialize, Clone)]
pub struct PacketLine<'a> {
    /// 1-based index in the capture.
    pub packet: u64,
    /// Which engine (diff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retval: Option<u32>,
    pub verdict: String,
    pub len_in: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub len_out: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map_changes: Option<&'a [MapChange]>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub trace: &'a [String],
}

impl<'a> PacketLine<'a> {
    /// The line for one run's result.
    pub fn new(
        packet: u64,
        len_in: usize,
        result: &'a Result<RunOutput, RunError>,
        verdict: impl FnOnce(u32) -> String,
        changes: Option<&'a [MapChange]>,
    ) -> PacketLine<'a> {
        let (retval, verdict, len_out, error, trace) = match result {
            Ok(o) => (
                Some(o.retval),
                verdict(o.retval),
                Some(o.data_out.len()),
                None,
                &o.trace[..],
            ),
            Err(e) => (None, "error".into(), None, Some(e.to_string()), &[][..]),
        };
        PacketLine {
            packet,
            engine: None,
            retval,
            verdict,
            len_in,
            len_out,
            error,
            map_changes: changes,
            trace,
        }
    }

    /// Writes the line as text or JSON.
    pub fn write(&self, g: &GlobalOpts, w: &mut dyn Write) -> io::Result<()> {
        if g.json() {
            let s = serde_json::to_string(self).map_err(io::Error::other)?;
            return writeln!(w, "{s}");
        }
        let engine = self.engine.map_or_else(String::new, |e| format!(" {e}"));
        match (&self.error, self.retval) {
            (Some(e), _) => writeln!(
                w,
                "packet {}{engine}: error, {} bytes in: {e}",
                self.packet, self.len_in
            )?,
            (None, r) => writeln!(
                w,
                "packet {}{engine}: {}, {} -> {} bytes",
                self.packet,
                super::run::retval_text(r.unwrap_or(0), &self.verdict),
                self.len_in,
                self.len_out.unwrap_or(0)
            )?,
        }
        for c in self.map_changes.unwrap_or_default() {
            let before = c.before.as_deref().unwrap_or("(absent)");
            let after = c.after.as_deref().unwrap_or("(deleted)");
            writeln!(w, "  map {}[{}]: {before} -> {after}", c.map, c.key)?;
        }
        for t in self.trace {
            writeln!(w, "  trace: {t}")?;
        }
        Ok(())
    }
}
