use clap::Parser;

fn main() {
    let cli = warroom::cli::Cli::parse();
    if let Err(e) = warroom::cli::run(cli) {
        // A reader that went away (`warroom events x | head`) is not an error.
        let broken_pipe = e
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe);
        if !broken_pipe {
            // Errors may quote what someone typed or wrote: never raw control characters.
            eprintln!(
                "warroom: {}",
                warroom::domain::describe::visible_line(&format!("{e:#}"))
            );
            std::process::exit(1);
        }
    }
}
