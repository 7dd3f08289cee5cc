//! What a PIN costs at sign-in and what it costs a guesser, at the old wrapping cost and at the
//! current one, in the same run: `cargo bench -p qc-identity --bench pin_kdf`.
//!
//! Sign-in is the wall time of one unlock with the right PIN (median, lanes on every core); a
//! guess is the CPU time (from /proc, Linux only) of one wrong try with the lanes one after the
//! other on one thread, which is what a guesser with a copy of the officer's wrapped key pays per
//! core. Exits non-zero if a guess's time, scaled to a mid-range tablet's core (no help counted
//! on from the lanes' threads), would make sign-in take more than a second.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use qc_domain::Timestamp;
use qc_identity::keywrap::{self, KdfParams, PinGuard, WrappedKey};
use qc_identity::{IdentityError, SigningKey};

/// How much slower a mid-range tablet's core derives than this machine's, per the reasoning in
/// docs/benchmarks.md (no AVX2 path for Argon2 on ARM, a slower core).
const TABLET_FACTOR: f64 = 3.0;
/// Sign-in on a mid-range tablet should stay under this.
const TABLET_BUDGET: Duration = Duration::from_secs(1);
const ROUNDS: usize = 5;
const GUESSING: Duration = Duration::from_secs(2);
const PIN: &str = "258013";

fn main() {
    let key = SigningKey::from_bytes(&[1; 32]);
    let pins = six_digit_pins_allowed();
    println!(
        "{pins} six-digit PINs pass the strength rules; {} cores here",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let old = keywrap::wrap(&key, PIN, [3; 16], [4; 12], KdfParams::OWASP_MINIMUM).unwrap();
    let new = keywrap::wrap(&key, PIN, [3; 16], [4; 12], KdfParams::CURRENT).unwrap();
    let mut guesses = Vec::new();
    for (name, wrapped) in [("old (OWASP minimum)", &old), ("current", &new)] {
        let (sign_in, guess) = measure(wrapped);
        let k = wrapped.kdf;
        let core_hours = guess.as_secs_f64() * pins as f64 / 3600.0;
        println!(
            "{name:>20}: {} MiB, t={}, p={}: sign-in {:.0} ms, one guess {:.0} ms of CPU, \
             every PIN {core_hours:.1} core-hours",
            k.m_kib / 1024,
            k.t,
            k.p,
            ms(sign_in),
            ms(guess)
        );
        guesses.push(guess);
    }
    let upgrade = median((0..ROUNDS).map(|_| {
        let t = Instant::now();
        let (_, up) = keywrap::unwrap_upgrading(
            &old,
            PIN,
            &mut PinGuard::default(),
            Timestamp(0),
            KdfParams::CURRENT,
            || ([5; 16], [6; 12]),
        )
        .unwrap();
        assert!(up.is_some());
        t.elapsed()
    }));
    println!(
        "{:>20}: {:.0} ms (old unwrap, then wrap at the current cost)",
        "upgrading sign-in",
        ms(upgrade)
    );
    // From one core's time: no help counted on from the lanes' threads.
    let tablet = guesses[1].mul_f64(TABLET_FACTOR);
    let tablet_upgrade = (guesses[0] + guesses[1]).mul_f64(TABLET_FACTOR);
    println!(
        "tablet estimate (CPU x {TABLET_FACTOR}, lanes not counted on): sign-in {:.0} ms, \
         upgrading sign-in {:.0} ms (budget {} ms)",
        ms(tablet),
        ms(tablet_upgrade),
        TABLET_BUDGET.as_millis()
    );
    if tablet > TABLET_BUDGET {
        eprintln!("target missed: sign-in on a tablet would exceed the budget");
        std::process::exit(1);
    }
}

/// Median sign-in (right PIN, wall, every core) and mean CPU per wrong guess on one core.
fn measure(wrapped: &WrappedKey) -> (Duration, Duration) {
    let mut g = PinGuard::default();
    keywrap::unwrap(wrapped, PIN, &mut g, Timestamp(0)).unwrap(); // warm-up
    let sign_in = median((0..ROUNDS).map(|_| {
        let t = Instant::now();
        keywrap::unwrap(wrapped, PIN, &mut g, Timestamp(0)).unwrap();
        t.elapsed()
    }));
    // A guesser runs one guess per core, so the lanes one after the other: a pool of one thread.
    let one_core = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let guess = one_core.install(|| {
        let (before, started) = (cpu_time(), Instant::now());
        let mut guesses = 0;
        // Long enough for the 10 ms ticks of CPU time to be a small error.
        while started.elapsed() < GUESSING {
            // A fresh guard each time: a guesser with a copy is not held by the lock-out.
            let mut guard = PinGuard::default();
            let wrong = keywrap::unwrap(wrapped, "907316", &mut guard, Timestamp(0));
            assert!(matches!(wrong, Err(IdentityError::WrongPin { .. })));
            guesses += 1;
        }
        (cpu_time() - before) / guesses
    });
    (sign_in, guess)
}

fn median(samples: impl Iterator<Item = Duration>) -> Duration {
    let mut v: Vec<Duration> = samples.collect();
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// User and system time of this process, every thread included (Linux clock ticks of 10 ms).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the command name in parentheses; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

fn six_digit_pins_allowed() -> usize {
    (0..1_000_000)
        .filter(|n| keywrap::check_pin_strength(&format!("{n:06}")).is_ok())
        .count()
}
