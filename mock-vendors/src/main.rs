//! `mock-vendors serve --vendor okta --port N [--seed FILE] [--token T]`.

use std::process::ExitCode;

use clap::Parser;
use mock_vendors::cli::{Cli, run};

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mock-vendors: {error}");
            error.exit_code()
        }
    }
}
