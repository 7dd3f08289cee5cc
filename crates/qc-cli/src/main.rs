//! `quancheng`: the command line over the Quancheng API, for operators, scripts and tests.

mod acts;
mod cli;
mod desk;
mod documents;
mod field;
mod output;
mod station;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    qc_api::init_logging("warn");
    let args = cli::Args::parse();
    match cli::run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            // The reader (`head`, a closed pager) has all it wanted.
            ExitCode::SUCCESS
        }
        Err(e) => {
            match e.downcast_ref::<qc_api::ApiError>() {
                Some(api) => {
                    eprintln!("错误：{}", api.message_zh());
                    eprintln!("error [{}]: {api}", api.code());
                }
                None => eprintln!("错误：{e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}
