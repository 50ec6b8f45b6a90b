//! Measurements for the workstation benchmark, compiled only with the `bench-probe`
//! feature (`cargo bench --bench workstation --features bench-probe`): the binary a CSM
//! runs has no bench code path and writes no file the benchmark asks for.

use std::path::PathBuf;

/// Measurements for `benches/workstation.rs`, switched on by environment variables
/// only the benchmark sets; the workstation behaves the same either way.
#[derive(Default)]
pub(super) struct BenchProbe {
    pub(super) exit_after_first_frame: bool,
    out: Option<PathBuf>,
    pub(super) key_to_frame: Vec<std::time::Duration>,
}

impl BenchProbe {
    pub(super) fn from_env() -> BenchProbe {
        BenchProbe {
            exit_after_first_frame: std::env::var_os("ATTUNED_BENCH_FIRST_FRAME").is_some(),
            out: std::env::var_os("ATTUNED_BENCH_OUT").map(PathBuf::from),
            key_to_frame: Vec::new(),
        }
    }

    /// Writes the time since the benchmark's stamp taken just before exec.
    pub(super) fn first_frame_done(&self) {
        let t0: Option<u128> = std::env::var("ATTUNED_BENCH_T0")
            .ok()
            .and_then(|v| v.parse().ok());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        if let (Some(out), Some(t0)) = (&self.out, t0) {
            let _ = std::fs::write(
                out,
                format!("first_frame_us {}\n", now.saturating_sub(t0) / 1000),
            );
        }
    }

    /// Writes one line per keystroke (microseconds) and the peak resident memory.
    pub(super) fn finish(&self) {
        let Some(out) = &self.out else { return };
        let peak_kb = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
            })
            .unwrap_or_default();
        let mut text = format!("peak_rss_kb {peak_kb}\n");
        for d in &self.key_to_frame {
            text.push_str(&format!("key_us {}\n", d.as_micros()));
        }
        let _ = std::fs::write(out, text);
    }
}
