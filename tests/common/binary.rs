//! The real `warroom` binary, run with a cleared environment.
//!
//! warroom reads a lot from its environment: `WARROOM_DATA_DIR`, `WARROOM_AS`,
//! `WARROOM_SERVER`, `WARROOM_TOKEN`, `WARROOM_DB`, `WARROOM_CONFIG`, `WARROOM_KEYMAP`,
//! `WARROOM_CA_CERT`, `WARROOM_LOG` and `RUST_LOG`; its handle falls back to `USER` or
//! `LOGNAME`; its settings and keymap come from `$XDG_CONFIG_HOME/warroom` (or
//! `~/.config/warroom`), and its data dir defaults to `~/.local/share/warroom`. A test that
//! only removed some of those would let the rest of a developer's setup in. So every command
//! here starts from an empty environment and gets back only the variables in [`PASSED_ON`];
//! `HOME` and the XDG directories point into a directory that does not exist, so no config
//! file is ever found and nothing can be written where a person keeps theirs.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The binary Cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_warroom");

/// The variables taken over from whoever runs the tests, and why:
/// - `PATH`: to find the programs a test runs around warroom (`sh`, `tmux`);
/// - `TMPDIR`: where this machine wants temporary files;
/// - `RUST_BACKTRACE`, `RUST_LIB_BACKTRACE`: a panic in the binary shows where, if asked;
/// - `LLVM_PROFILE_FILE`: under a coverage run (`cargo llvm-cov`), where the instrumented
///   binary writes its counts, so what the binary runs is measured too.
///
/// warroom needs nothing else: it reads no locale (`LANG`, `LC_*`) and no `TERM` outside
/// the console, which gets its `TERM` from the terminal it runs in.
pub const PASSED_ON: [&str; 5] = [
    "PATH",
    "TMPDIR",
    "RUST_BACKTRACE",
    "RUST_LIB_BACKTRACE",
    "LLVM_PROFILE_FILE",
];

/// A home directory that is never created: `HOME`, `XDG_CONFIG_HOME` and `XDG_DATA_HOME`
/// point into it, so a command finds no config and no default data dir. It sits in
/// Cargo's scratch dir for the tests, away from any real home.
pub fn no_home() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("warroom-tests-no-home")
}

/// `program` with an empty environment but for [`PASSED_ON`], and `HOME`,
/// `XDG_CONFIG_HOME` and `XDG_DATA_HOME` inside [`no_home`]. A test that needs a config
/// sets `XDG_CONFIG_HOME` again on the command it gets.
pub fn clean_command(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear();
    for var in PASSED_ON {
        if let Some(value) = std::env::var_os(var) {
            cmd.env(var, value);
        }
    }
    let home = no_home();
    cmd.env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local").join("share"))
        .env("HOME", home);
    cmd
}

/// The warroom binary with `data_dir` as its data dir (`--data-dir`), in a clean
/// environment (see [`clean_command`]). It acts as no one in particular until `--as` is
/// given: with no `USER` or `LOGNAME` its handle is `responder`.
pub fn warroom(data_dir: &Path) -> Command {
    let mut cmd = clean_command(BIN);
    cmd.arg("--data-dir").arg(data_dir);
    cmd
}

/// [`warroom`] as an `assert_cmd` command, for tests that feed it stdin or check it with
/// predicates.
pub fn warroom_assert(data_dir: &Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(warroom(data_dir))
}
