//! The devnet's replacement for the `wasm-opt` crate (binaryen's optimiser) in the runtime's
//! build, put in place by `[patch.crates-io]` in `devnet/Cargo.toml`.
//!
//! `substrate-wasm-builder` calls binaryen for two passes only: sign-extension lowering and,
//! when the outer build profile wants a compact blob, DWARF stripping. Compiling binaryen's C++
//! (the `wasm-opt-sys` and `wasm-opt-cxx-sys` build scripts) took about 10 minutes of a clean
//! devnet build on 2 cores, at the end of the build where nothing else ran beside it
//! (docs/decisions.md, "Runtime build without binaryen").
//!
//! What the two passes do here:
//! - [`Pass::StripDwarf`] removes the custom sections whose names start with `.debug`; every
//!   other section (the runtime's `runtime_version` and `runtime_apis`, `name`) is kept byte for
//!   byte.
//! - [`Pass::SignextLowering`] has nothing to do: the builder compiles the runtime for
//!   `wasm32v1-none`, the WebAssembly 1.0 feature set, which has no sign-extension operators.
//!
//! Only the part of the crate's API that the builder calls exists.

use std::{fmt, fs, path::Path};

/// A pass the builder can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// Lower sign-extension operators to WebAssembly 1.0 (nothing to do for `wasm32v1-none`).
    SignextLowering,
    /// Remove DWARF debug sections.
    StripDwarf,
}

/// The options of one run, as the builder sets them.
#[derive(Clone, Debug, Default)]
pub struct OptimizationOptions {
    passes: Vec<Pass>,
    debug_info: bool,
    mvp_features_only: bool,
}

/// Why a run failed.
#[derive(Debug)]
pub enum OptimizationError {
    /// The input could not be read or the output not written.
    Io(std::io::Error),
    /// The input is not a WebAssembly module this crate can read.
    Malformed(&'static str),
}

impl fmt::Display for OptimizationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "reading or writing the wasm blob failed: {e}"),
            Self::Malformed(why) => write!(f, "the wasm blob is malformed: {why}"),
        }
    }
}

impl std::error::Error for OptimizationError {}

impl From<std::io::Error> for OptimizationError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

impl OptimizationOptions {
    /// No optimisation, only the passes added.
    pub fn new_opt_level_0() -> Self {
        Self::default()
    }

    /// Adds a pass.
    pub fn add_pass(&mut self, pass: Pass) -> &mut Self {
        self.passes.push(pass);
        self
    }

    /// Whether names and debug information are kept (the `name` section always is here).
    pub fn debug_info(&mut self, keep: bool) -> &mut Self {
        self.debug_info = keep;
        self
    }

    /// Restricts the output to WebAssembly 1.0 (what `wasm32v1-none` emits already).
    pub fn mvp_features_only(&mut self) -> &mut Self {
        self.mvp_features_only = true;
        self
    }

    /// Reads `infile`, applies the passes, writes `outfile` (which may be `infile`).
    pub fn run(
        &self,
        infile: impl AsRef<Path>,
        outfile: impl AsRef<Path>,
    ) -> Result<(), OptimizationError> {
        let input = fs::read(infile)?;
        let output = self.apply(&input)?;
        fs::write(outfile, output)?;
        Ok(())
    }

    /// The passes applied to a module in memory.
    pub fn apply(&self, module: &[u8]) -> Result<Vec<u8>, OptimizationError> {
        let sections = sections(module)?;
        let strip = self.passes.contains(&Pass::StripDwarf);
        let mut out = Vec::with_capacity(module.len());
        out.extend_from_slice(&module[..HEADER.len()]);
        for s in sections {
            if strip && s.custom_name.is_some_and(|n| n.starts_with(b".debug")) {
                continue;
            }
            out.extend_from_slice(&module[s.start..s.end]);
        }
        Ok(out)
    }
}

/// `\0asm`, version 1.
const HEADER: [u8; 8] = [0, b'a', b's', b'm', 1, 0, 0, 0];

/// One section: its bytes `start..end` (id, size and contents) and, for a custom section, its
/// name.
struct Section<'a> {
    start: usize,
    end: usize,
    custom_name: Option<&'a [u8]>,
}

fn sections(module: &[u8]) -> Result<Vec<Section<'_>>, OptimizationError> {
    if module.len() < HEADER.len() || module[..HEADER.len()] != HEADER {
        return Err(OptimizationError::Malformed(
            "no WebAssembly 1 header (\\0asm, version 1)",
        ));
    }
    let mut at = HEADER.len();
    let mut out = Vec::new();
    while at < module.len() {
        let start = at;
        let id = module[at];
        at += 1;
        let size = leb_u32(module, &mut at)? as usize;
        let end = at.checked_add(size).filter(|&e| e <= module.len()).ok_or(
            OptimizationError::Malformed("a section runs past the end of the blob"),
        )?;
        let custom_name =
            if id == 0 {
                let mut p = at;
                let len = leb_u32(module, &mut p)? as usize;
                let name_end = p.checked_add(len).filter(|&e| e <= end).ok_or(
                    OptimizationError::Malformed("a custom section's name runs past the section"),
                )?;
                Some(&module[p..name_end])
            } else {
                None
            };
        out.push(Section {
            start,
            end,
            custom_name,
        });
        at = end;
    }
    Ok(out)
}

/// An unsigned LEB128 of at most 5 bytes.
fn leb_u32(bytes: &[u8], at: &mut usize) -> Result<u32, OptimizationError> {
    let mut value: u64 = 0;
    for i in 0..5 {
        let b = *bytes.get(*at).ok_or(OptimizationError::Malformed(
            "a size runs past the end of the blob",
        ))?;
        *at += 1;
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return u32::try_from(value)
                .map_err(|_| OptimizationError::Malformed("a size is larger than 32 bits"));
        }
    }
    Err(OptimizationError::Malformed(
        "a size is longer than 5 bytes",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(name: &str, payload: &[u8]) -> Vec<u8> {
        let mut body = vec![name.len() as u8];
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(payload);
        let mut s = vec![0, body.len() as u8];
        s.extend(body);
        s
    }

    /// A module with a type section (one `() -> ()`), a `runtime_version` section, DWARF and a
    /// `name` section.
    fn module() -> Vec<u8> {
        let mut m = HEADER.to_vec();
        m.extend([1, 4, 1, 0x60, 0, 0]);
        m.extend(custom("runtime_version", &[1, 2, 3]));
        m.extend(custom(".debug_info", &[9; 20]));
        m.extend(custom(".debug_line", &[8; 7]));
        m.extend(custom("name", &[0, 1, 0]));
        m
    }

    #[test]
    fn strip_dwarf_removes_debug_sections_only() {
        let out = OptimizationOptions::new_opt_level_0()
            .mvp_features_only()
            .debug_info(true)
            .add_pass(Pass::StripDwarf)
            .add_pass(Pass::SignextLowering)
            .apply(&module())
            .unwrap();
        let mut want = HEADER.to_vec();
        want.extend([1, 4, 1, 0x60, 0, 0]);
        want.extend(custom("runtime_version", &[1, 2, 3]));
        want.extend(custom("name", &[0, 1, 0]));
        assert_eq!(out, want);
    }

    #[test]
    fn signext_lowering_alone_keeps_the_module() {
        let out = OptimizationOptions::new_opt_level_0()
            .add_pass(Pass::SignextLowering)
            .debug_info(true)
            .apply(&module())
            .unwrap();
        assert_eq!(out, module());
    }

    #[test]
    fn run_rewrites_a_file_in_place() {
        let dir = std::env::temp_dir().join(format!("wasm-opt-lite-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("blob.wasm");
        fs::write(&path, module()).unwrap();
        OptimizationOptions::new_opt_level_0()
            .add_pass(Pass::StripDwarf)
            .run(&path, &path)
            .unwrap();
        let out = fs::read(&path).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert!(out.len() < module().len());
        assert!(!out.windows(6).any(|w| w == b".debug"));
    }

    #[test]
    fn malformed_blobs_are_refused() {
        let strip = || {
            let mut o = OptimizationOptions::new_opt_level_0();
            o.add_pass(Pass::StripDwarf);
            o
        };
        let mut wrong_version = module();
        wrong_version[4] = 2;
        let mut past_end = module();
        past_end[9] = 100; // the type section's size
        let mut name_past_section = HEADER.to_vec();
        name_past_section.extend([0, 2, 5, b'a']);
        let mut long_leb = HEADER.to_vec();
        long_leb.extend([1, 0x80, 0x80, 0x80, 0x80, 0x80]);
        for (blob, why) in [
            (&b"\0as"[..], "header"),
            (&wrong_version[..], "header"),
            (&past_end[..], "past the end"),
            (&name_past_section[..], "name runs past"),
            (&long_leb[..], "longer than 5"),
            (
                &HEADER[..].iter().chain(&[1]).copied().collect::<Vec<_>>()[..],
                "past the end",
            ),
        ] {
            let e = strip().apply(blob).unwrap_err();
            assert!(e.to_string().contains(why), "{e} (expected: {why})");
        }
        let missing = std::env::temp_dir().join("wasm-opt-lite-no-such-file.wasm");
        assert!(matches!(
            strip().run(&missing, &missing),
            Err(OptimizationError::Io(_))
        ));
    }
}
