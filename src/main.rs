//! The `devforum` command: parses the subcommand and hands over to the library.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;
use clap::{Parser, Subcommand};

use devforum::accounts::service::admin::{create_admin, CreateAdminOutcome};
use devforum::accounts::{EmailAddress, Password, Username};
use devforum::config::{DkimAlgorithm, Environment, Settings};
use devforum::search::{reindex, SearchEngine};
use devforum::seed::{self, SeedOptions};
use devforum::{db, jobs, startup, telemetry};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// devforum: forum threads, mentorship, meetups, search and moderation for developer communities.
///
/// Configuration comes from config/default.toml and config/$DEVFORUM_ENV.toml (development,
/// test or production), overridden by DEVFORUM__SECTION__KEY environment variables;
/// DATABASE_URL sets database.url.
#[derive(Debug, Parser)]
#[command(name = "devforum", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API. Applies pending migrations first (unless
    /// database.migrate_on_start = false) and runs the background worker in the same
    /// process (unless worker.enabled = false). Stops gracefully on SIGTERM/SIGINT.
    Serve,
    /// Apply pending database migrations, or revert the latest ones with --revert.
    Migrate {
        /// Revert instead of applying: a number of migrations, or `all`.
        #[arg(long, value_name = "N|all")]
        revert: Option<String>,
    },
    /// Run the background worker alone (mail, search sync), so several API processes can
    /// share one pool of workers. Stops after the jobs in hand on SIGTERM/SIGINT.
    Worker,
    /// Create an administrator, or make the existing user with that username one.
    /// The password is read from DEVFORUM_ADMIN_PASSWORD, or else from standard input.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
    },
    /// Fill the database with a realistic, reproducible data set (benchmarks, demos).
    /// Seeded accounts are `seed_user_N` with the password "seed password 123".
    Seed {
        #[arg(long, default_value_t = 1000)]
        users: usize,
        #[arg(long, default_value_t = 10_000)]
        threads: usize,
        #[arg(long, default_value_t = 100_000)]
        replies: usize,
        /// Members with a mentor profile (the first, most active, seeded members).
        #[arg(long, default_value_t = 200)]
        mentors: usize,
        /// Upcoming meetups, with RSVPs.
        #[arg(long, default_value_t = 500)]
        meetups: usize,
        /// The random seed: the same seed gives the same data.
        #[arg(long, default_value_t = 20261124)]
        seed: u64,
    },
    /// Rebuild the search index (search.engine) from the database while search keeps
    /// answering: PostgreSQL in one transaction; Meilisearch into a fresh index swapped in
    /// when complete. Shows a progress bar on a terminal.
    Reindex,
    /// Render every stored post, meetup description and mentor bio again with today's
    /// renderer (after an upgrade that changes rendering, such as code highlighting). Batches
    /// of 500 rows, each its own transaction; an interrupted run resumes where it stopped.
    Rerender {
        /// Start from the beginning even if a run for this renderer got part of the way.
        #[arg(long)]
        restart: bool,
    },
    /// The admin dashboard's daily rollups (GET /admin/stats).
    Stats {
        #[command(subcommand)]
        command: StatsCommand,
    },
    /// Inspect and manage the background job queue.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Print the OpenAPI document the server serves at /api/v1/openapi.json (the web
    /// client's typed API is generated from it).
    Openapi,
    /// Make a DKIM signing key: writes the private key to --out (never printed) and prints
    /// the DNS TXT record to publish at <selector>._domainkey.<domain>.
    DkimKeygen {
        #[arg(long)]
        selector: String,
        #[arg(long)]
        domain: String,
        #[arg(long, value_enum, default_value_t = DkimAlgorithm::Rsa)]
        algorithm: DkimAlgorithm,
        /// Where the private key goes (created with mode 0600; an existing file is kept).
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum StatsCommand {
    /// Compute every day from --since to today (UTC), a month of days per transaction,
    /// showing progress; an interrupted run goes on where it stopped when run again.
    Backfill {
        /// The first day, YYYY-MM-DD (e.g. the day the community opened).
        #[arg(long)]
        since: chrono::NaiveDate,
        /// Start from --since again even if a run got part of the way.
        #[arg(long)]
        restart: bool,
    },
    /// Recompute today and the days still settling now (what the periodic task does), or
    /// with --day one day (after data was corrected by hand, say).
    Rollup {
        #[arg(long)]
        day: Option<chrono::NaiveDate>,
    },
}

#[derive(Debug, Subcommand)]
enum JobsCommand {
    /// Show how many jobs are pending, running and failed.
    Stats,
    /// Give failed jobs a fresh set of attempts (all of them, or one kind).
    RetryFailed {
        #[arg(long)]
        kind: Option<String>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        // Needs no configuration: the document is the code's.
        return print_openapi();
    }
    if let Command::DkimKeygen {
        selector,
        domain,
        algorithm,
        out,
    } = &cli.command
    {
        return dkim_keygen(selector, domain, *algorithm, out);
    }
    let settings = Settings::load()?;
    telemetry::init(&settings.log);
    match cli.command {
        Command::Serve => {
            startup::Application::build(settings)
                .await?
                .run_until_stopped()
                .await
        }
        Command::Migrate { revert } => migrate(&settings, revert.as_deref()),
        Command::Worker => startup::run_worker(settings).await,
        Command::CreateAdmin { username, email } => {
            create_admin_command(&settings, &username, &email)
        }
        Command::Jobs { command } => jobs_command(&settings, command),
        Command::Stats { command } => stats_command(&settings, command),
        Command::Reindex => reindex_command(&settings).await,
        Command::Rerender { restart } => rerender_command(&settings, restart),
        Command::Openapi | Command::DkimKeygen { .. } => {
            unreachable!("answered before the configuration is read")
        }
        Command::Seed {
            users,
            threads,
            replies,
            mentors,
            meetups,
            seed,
        } => seed_command(
            &settings,
            SeedOptions {
                users,
                threads,
                replies,
                mentors,
                meetups,
                seed,
            },
        ),
    }
}

/// `devforum dkim-keygen`: the key to a file only its owner reads, the record to standard
/// output, and what to configure to standard error.
fn dkim_keygen(
    selector: &str,
    domain: &str,
    algorithm: DkimAlgorithm,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let key = devforum::email::dkim::generate(algorithm, selector, domain)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(out)
        .with_context(|| {
            format!(
                "creating {} (an existing key is never replaced)",
                out.display()
            )
        })?;
    file.write_all(key.private_key.as_bytes())?;
    println!("{}", key.zone_line());
    eprintln!(
        "Publish the TXT record above, then set [email.dkim] selector = {selector:?}, \
         domain = {domain:?}, algorithm = \"{}\" and key_file = {:?} \
         (or the key's text in DEVFORUM__EMAIL__DKIM__KEY).",
        match algorithm {
            DkimAlgorithm::Rsa => "rsa",
            DkimAlgorithm::Ed25519 => "ed25519",
        },
        out.display().to_string()
    );
    Ok(())
}

fn migrate(settings: &Settings, revert: Option<&str>) -> anyhow::Result<()> {
    let mut conn = db::connect(&settings.database)?;
    match revert {
        None => {
            let applied = db::run_migrations(&mut conn)?;
            println!("applied {} migration(s)", applied.len());
            for version in applied {
                println!("  {version}");
            }
        }
        Some(count) => {
            let count = match count {
                "all" => None,
                n => Some(
                    n.parse::<usize>()
                        .context("--revert takes a number or `all`")?,
                ),
            };
            let reverted = db::revert_migrations(&mut conn, count)?;
            println!("reverted {} migration(s)", reverted.len());
            for version in reverted {
                println!("  {version}");
            }
        }
    }
    Ok(())
}

fn create_admin_command(settings: &Settings, username: &str, email: &str) -> anyhow::Result<()> {
    let username = Username::parse(username).map_err(|e| anyhow::anyhow!("--username {e}"))?;
    let email = EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
    let password = Password::parse(&read_admin_password()?)
        .map_err(|e| anyhow::anyhow!("the password {e}"))?;
    let mut conn = db::connect(&settings.database)?;
    db::run_migrations(&mut conn)?;
    let outcome = create_admin(&mut conn, &username, &email, &password)?;
    match outcome {
        CreateAdminOutcome::Created => println!("created admin {username}"),
        CreateAdminOutcome::Promoted => println!("{username} is now an admin"),
        CreateAdminOutcome::AlreadyAdmin => println!("{username} is already an admin"),
    }
    Ok(())
}

fn read_admin_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("DEVFORUM_ADMIN_PASSWORD") {
        return Ok(password);
    }
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("Password for the admin: ")
            .context("reading the password");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// A progress bar on a terminal (hidden otherwise), with a log line per stage.
fn progress_reporter(verb: &'static str) -> (ProgressBar, impl FnMut(&str, usize, usize) + Send) {
    let started = std::time::Instant::now();
    let bar = ProgressBar::new(0);
    if std::io::stderr().is_terminal() {
        bar.set_style(
            ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let handle = bar.clone();
    let mut last_stage = String::new();
    let update = move |stage: &str, done: usize, total: usize| {
        if stage != last_stage {
            if !last_stage.is_empty() && !handle.is_hidden() {
                handle.println(format!("{last_stage} done"));
            }
            eprintln!("{verb} {stage} ({:.1}s)", started.elapsed().as_secs_f64());
            last_stage = stage.to_string();
            handle.set_message(stage.to_string());
            handle.set_length(total as u64);
        }
        handle.set_position(done as u64);
    };
    (bar, update)
}

fn seed_command(settings: &Settings, options: SeedOptions) -> anyhow::Result<()> {
    if settings.environment == Environment::Production {
        anyhow::bail!("refusing to seed a production database");
    }
    let mut conn = db::connect(&settings.database)?;
    db::run_migrations(&mut conn)?;
    let started = std::time::Instant::now();
    let (bar, mut progress) = progress_reporter("seeding");
    let report = seed::seed(&mut conn, options, &mut progress)?;
    // Seeded members have a year of activity: their levels are what it earns.
    let levels =
        devforum::trust::service::recompute_all(&mut conn, &settings.trust, chrono::Utc::now())?;
    bar.finish_and_clear();
    println!(
        "seeded {} users ({levels} above `new`), {} threads, {} replies, {} votes, {} mentors, {} meetups, {} RSVPs in {:.1}s",
        report.users,
        report.threads,
        report.replies,
        report.votes,
        report.mentors,
        report.meetups,
        report.rsvps,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn reindex_command(settings: &Settings) -> anyhow::Result<()> {
    let mut conn = db::connect(&settings.database)?;
    db::run_migrations(&mut conn)?;
    drop(conn);
    let pool = db::build_pool(&settings.database)?;
    let engine = SearchEngine::from_settings(&settings.search)?;
    let (bar, mut progress) = progress_reporter("indexing");
    let report = reindex::reindex(&engine, &pool, &mut progress).await?;
    bar.finish_and_clear();
    println!(
        "reindexed {} documents into {} in {:.1}s",
        report.documents,
        report.engine,
        report.elapsed.as_secs_f64()
    );
    Ok(())
}

fn rerender_command(settings: &Settings, restart: bool) -> anyhow::Result<()> {
    let mut conn = db::connect(&settings.database)?;
    db::run_migrations(&mut conn)?;
    let started = std::time::Instant::now();
    let (bar, mut progress) = progress_reporter("rendering");
    let report = devforum::rerender::rerender(&mut conn, restart, &mut progress)?;
    bar.finish_and_clear();
    for kind in &report.already_done {
        println!("{kind}: already rendered by this version (--restart renders them again)");
    }
    for (kind, seen, changed) in &report.kinds {
        println!("{kind}: {seen} rendered, {changed} changed");
    }
    println!("done in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

fn stats_command(settings: &Settings, command: StatsCommand) -> anyhow::Result<()> {
    use devforum::stats::service;
    let mut conn = db::connect(&settings.database)?;
    db::run_migrations(&mut conn)?;
    let started = std::time::Instant::now();
    match command {
        StatsCommand::Backfill { since, restart } => {
            if since > chrono::Utc::now().date_naive() {
                anyhow::bail!("--since {since} is after today (UTC): nothing to compute");
            }
            let (bar, mut progress) = progress_reporter("computing");
            let done =
                service::backfill(&mut conn, since, restart, chrono::Utc::now(), &mut progress)?;
            bar.finish_and_clear();
            if let Some(day) = done.resumed_after {
                println!("resumed after {day} (--restart starts from {since} again)");
            }
            println!(
                "{} day(s) computed in {:.1}s",
                done.days,
                started.elapsed().as_secs_f64()
            );
        }
        StatsCommand::Rollup { day } => {
            let now = chrono::Utc::now();
            let days = match day {
                Some(day) => service::rollup(&mut conn, day, day, now)?,
                None => service::rollup_recent(&mut conn, now)?,
            };
            println!(
                "{days} day(s) computed in {:.1}s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

fn jobs_command(settings: &Settings, command: JobsCommand) -> anyhow::Result<()> {
    let mut conn = db::connect(&settings.database)?;
    match command {
        JobsCommand::Stats => {
            let depth = jobs::queue_depth(&mut conn)?;
            println!(
                "pending {}\nrunning {}\nfailed  {}",
                depth.pending, depth.running, depth.failed
            );
            for run in jobs::schedule::last_runs(&mut conn)? {
                println!(
                    "periodic {}: period from {} enqueued at {}",
                    run.task,
                    run.period_start
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    run.enqueued_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                );
            }
        }
        JobsCommand::RetryFailed { kind } => {
            let count = jobs::retry_failed(&mut conn, kind.as_deref())?;
            println!("requeued {count} failed job(s)");
        }
    }
    Ok(())
}

/// Writes the OpenAPI document to standard output; a reader that stops early is no error.
fn print_openapi() -> anyhow::Result<()> {
    use std::io::Write;
    let document = devforum::openapi::document().to_pretty_json()?;
    match writeln!(std::io::stdout().lock(), "{document}") {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
