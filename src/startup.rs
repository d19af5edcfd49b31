//! Builds the application: pool, migrations, the HTTP server with its middleware and route
//! table, and the background worker; and stops them gracefully on SIGTERM/SIGINT.

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress, DefaultHeaders};
use actix_web::{http, web, App, HttpResponse, HttpServer};
use actix_web_prom::PrometheusMetricsBuilder;
use anyhow::Context;
use tokio_util::sync::CancellationToken;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::SwaggerUi;

use std::sync::Arc;

use crate::accounts::jwt::JwtKeys;
use crate::accounts::password::HashingPool;
use crate::accounts::tokens::RefreshPolicy;
use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::features;
use crate::http::json::JsonLimit;
use crate::http::methods::KnownRoutes;
use crate::http::web_client::{self, WebClient};
use crate::http::{caching, compression, head, problems, request_id};
use crate::jobs::{self, JobRegistry, Worker, WorkerHandle};
use crate::metrics::Metrics;
use crate::notifications;
use crate::rate_limit::{self, AuthRateLimits, PostingLimits};
use crate::reads::{self, Reads};
use crate::search::SearchEngine;

/// Extra routes mounted beside the real ones; tests use it to reach plumbing (JSON bodies,
/// slow requests) that no public endpoint exercises on its own.
pub type RouteExtension = fn(&mut web::ServiceConfig);

/// What can vary between the real server and the one a test starts.
#[derive(Default)]
pub struct BuildOptions {
    /// Job handlers; `None` means the build's own (`features::jobs`).
    pub jobs: Option<JobRegistry>,
    pub extra_routes: Option<RouteExtension>,
}

pub struct Application {
    port: u16,
    server: Server,
    worker: Option<WorkerHandle>,
    shutdown: CancellationToken,
    pool: DbPool,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with(settings, BuildOptions::default()).await
    }

    pub async fn build_with(settings: Settings, options: BuildOptions) -> anyhow::Result<Self> {
        let registry = match options.jobs {
            Some(registry) => registry,
            None => features::jobs(&settings)?,
        };
        if settings.database.migrate_on_start {
            let database = settings.database.clone();
            let applied = tokio::task::spawn_blocking(move || db::connect_and_migrate(&database))
                .await
                .context("migration task panicked")??;
            if !applied.is_empty() {
                tracing::info!(?applied, "applied migrations");
            }
        }
        let pool = db::build_pool(&settings.database)?;
        // The code highlighter's grammars load once, before the first post with code needs
        // them, off the async threads.
        tokio::task::spawn_blocking(crate::markdown::highlight::warm);
        let engine = SearchEngine::from_settings(&settings.search)?;
        // In the background: a search engine that is slow to come up must not hold up the API.
        tokio::spawn({
            let engine = engine.clone();
            async move { engine.prepare().await }
        });
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .with_context(|| {
                format!("binding {}:{}", settings.server.host, settings.server.port)
            })?;
        let port = listener.local_addr()?.port();
        let shutdown = CancellationToken::new();
        let (hub, _listener) =
            notifications::live::Hub::start(settings.database.clone(), shutdown.clone())
                .context("starting the live notifications listener")?;
        let live = notifications::live::LiveStreams {
            hub,
            shutdown: shutdown.clone(),
        };
        let reads = Reads::start(pool.clone(), &settings.database, shutdown.clone())
            .context("setting up the read replica")?;
        let worker = settings.worker.enabled.then(|| {
            Worker::new(pool.clone(), registry, settings.worker.clone())
                .start(&settings.database, shutdown.clone())
        });
        let backends = Backends {
            pool: pool.clone(),
            reads,
            engine,
            live,
            jobs: worker.as_ref().map(WorkerHandle::waker).unwrap_or_default(),
        };
        let server = build_server(listener, settings.clone(), backends, options.extra_routes)?;
        tracing::info!(
            address = %format!("{}:{port}", settings.server.host),
            environment = settings.environment.as_str(),
            worker = settings.worker.enabled,
            "devforum listening"
        );
        Ok(Application {
            port,
            server,
            worker,
            shutdown,
            pool,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pool(&self) -> DbPool {
        self.pool.clone()
    }

    /// Cancelling this token stops the server and the worker as SIGTERM would.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Serves until SIGTERM/SIGINT (or the shutdown token): stops accepting, lets in-flight
    /// requests and the jobs in hand finish, then returns.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = wait_for_signal() => tracing::info!("shutdown signal received"),
                _ = shutdown.cancelled() => {}
            }
            shutdown.cancel();
            handle.stop(true).await;
        });
        let served = self.server.await;
        self.shutdown.cancel();
        if let Some(worker) = self.worker {
            worker.wait().await;
        }
        tracing::info!("shutdown complete");
        served.context("HTTP server failed")
    }
}

/// Runs the background worker alone until SIGTERM/SIGINT (`devforum worker`).
pub async fn run_worker(settings: Settings) -> anyhow::Result<()> {
    let pool = db::build_pool(&settings.database)?;
    let registry = features::jobs(&settings)?;
    let shutdown = CancellationToken::new();
    let worker = Worker::new(pool, registry, settings.worker.clone())
        .start(&settings.database, shutdown.clone());
    wait_for_signal().await;
    tracing::info!("shutdown signal received; finishing the jobs in hand");
    worker.shutdown().await;
    Ok(())
}

pub async fn wait_for_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

/// What every request may ask for (`web::Data`), built once and shared by the HTTP workers.
#[derive(Clone)]
struct Shared {
    settings: web::Data<Settings>,
    pool: web::Data<DbPool>,
    reads: web::Data<Reads>,
    metrics: web::Data<Metrics>,
    engine: web::Data<SearchEngine>,
    live: web::Data<notifications::live::LiveStreams>,
    jwt_keys: web::Data<JwtKeys>,
    unsubscribe_keys: web::Data<notifications::unsubscribe::UnsubscribeKeys>,
    activity: web::Data<crate::accounts::auth::Activity>,
    refresh_policy: web::Data<RefreshPolicy>,
    web_client: web::Data<Option<WebClient>>,
    known_routes: web::Data<KnownRoutes>,
    erasure_steps: web::Data<crate::accounts::service::erasure::ErasureSteps>,
    hashing: web::Data<HashingPool>,
    rate_limits: web::Data<AuthRateLimits>,
    posting_limits: web::Data<PostingLimits>,
    jobs: web::Data<jobs::Waker>,
    sign_in_providers: web::Data<crate::identities::providers::Providers>,
    relying_party: web::Data<crate::accounts::routes::passkeys::RelyingParty>,
    uploads: web::Data<crate::uploads::shared::Uploads>,
    sitemaps: web::Data<crate::site::sitemaps::Sitemaps>,
    pages: web::Data<crate::site::cache::PageCache>,
    slow_reads: web::Data<crate::slow_reads::SlowReads>,
}

impl Shared {
    fn new(
        settings: Settings,
        backends: Backends,
        metrics: Metrics,
        openapi: &utoipa::openapi::OpenApi,
    ) -> anyhow::Result<Self> {
        let Backends {
            pool,
            reads,
            engine,
            live,
            jobs,
        } = backends;
        let limit_store = rate_limit::Store::new(settings.rate_limits.store, &pool)
            .context("creating the rate-limit metrics")?;
        limit_store
            .register(&metrics.registry)
            .context("registering the rate-limit metrics")?;
        let slow_reads = crate::slow_reads::SlowReads::new(&settings.database)
            .context("creating the slow reads' metrics")?;
        slow_reads
            .register(&metrics.registry)
            .context("registering the slow reads' metrics")?;
        let rate_limits = web::Data::new(AuthRateLimits::new(&settings.rate_limits, &limit_store));
        let posting_limits =
            web::Data::new(PostingLimits::new(&settings.rate_limits, &limit_store));
        spawn_rate_limit_sweeper(
            rate_limits.clone().into_inner(),
            posting_limits.clone().into_inner(),
            limit_store,
        );
        Ok(Shared {
            jwt_keys: web::Data::new(JwtKeys::new(&settings.auth)),
            unsubscribe_keys: web::Data::new(notifications::unsubscribe::UnsubscribeKeys::new(
                &settings,
            )),
            activity: web::Data::new(crate::accounts::auth::Activity::new(
                std::time::Duration::from_secs(settings.notifications.last_seen_every_secs),
            )),
            refresh_policy: web::Data::new(RefreshPolicy::from_settings(&settings.auth)),
            web_client: web::Data::new(WebClient::load(&settings.web.dist_dir)),
            known_routes: web::Data::new(KnownRoutes::from_openapi(openapi)),
            erasure_steps: web::Data::new(features::erasure_steps()),
            relying_party: web::Data::new(crate::accounts::routes::passkeys::RelyingParty(
                crate::accounts::passkeys::relying_party(&settings.web.base_url),
            )),
            sign_in_providers: web::Data::new(
                crate::identities::providers::Providers::new(&settings)
                    .context("the sign-in providers' HTTP client")?,
            ),
            hashing: web::Data::new(HashingPool::new(settings.auth.hashing_concurrency)),
            uploads: web::Data::new(
                crate::uploads::shared::Uploads::new(&settings).context("the uploads' storage")?,
            ),
            rate_limits,
            posting_limits,
            sitemaps: web::Data::new(crate::site::sitemaps::Sitemaps::default()),
            pages: web::Data::new(crate::site::cache::PageCache::new(
                settings.web.page_cache_mb,
            )),
            slow_reads: web::Data::new(slow_reads),
            settings: web::Data::new(settings),
            pool: web::Data::new(pool),
            reads: web::Data::new(reads),
            metrics: web::Data::new(metrics),
            engine: web::Data::new(engine),
            live: web::Data::new(live),
            jobs: web::Data::new(jobs),
        })
    }

    /// Hands everything to one worker's app, with the extractors' limits and error answers.
    fn register(&self, cfg: &mut web::ServiceConfig) {
        let json_limit = self.settings.server.json_limit;
        cfg.app_data(self.settings.clone())
            .app_data(self.pool.clone())
            .app_data(self.reads.clone())
            .app_data(self.metrics.clone())
            .app_data(self.engine.clone())
            .app_data(self.live.clone())
            .app_data(self.jwt_keys.clone())
            .app_data(self.unsubscribe_keys.clone())
            .app_data(self.activity.clone())
            .app_data(self.refresh_policy.clone())
            .app_data(self.web_client.clone())
            .app_data(self.known_routes.clone())
            .app_data(self.erasure_steps.clone())
            .app_data(self.hashing.clone())
            .app_data(self.rate_limits.clone())
            .app_data(self.posting_limits.clone())
            .app_data(self.jobs.clone())
            .app_data(self.sign_in_providers.clone())
            .app_data(self.relying_party.clone())
            .app_data(self.uploads.clone())
            .app_data(self.sitemaps.clone())
            .app_data(self.pages.clone())
            .app_data(self.slow_reads.clone())
            .app_data(JsonLimit(json_limit))
            .app_data(web::PayloadConfig::new(json_limit))
            .app_data(problems::json_config(json_limit))
            .app_data(problems::query_config())
            .app_data(problems::path_config());
    }
}

/// Per-route HTTP metrics into the application's registry.
fn http_metrics(metrics: &Metrics) -> anyhow::Result<actix_web_prom::PrometheusMetrics> {
    PrometheusMetricsBuilder::new("devforum")
        .registry(metrics.registry.clone())
        .mask_unmatched_patterns("UNMATCHED")
        // Swagger UI's catch-all pattern has no single label value; its assets are not API traffic.
        .exclude_regex("^/docs")
        .build()
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("creating HTTP metrics")
}

/// What the API reaches beyond itself: the databases, the search engine, the live streams'
/// hub, and this process's job worker.
struct Backends {
    pool: DbPool,
    reads: Reads,
    engine: SearchEngine,
    live: notifications::live::LiveStreams,
    /// Wakes this process's worker (none: a no-op; another process's probe finds the jobs).
    jobs: jobs::Waker,
}

fn build_server(
    listener: TcpListener,
    settings: Settings,
    backends: Backends,
    extra_routes: Option<RouteExtension>,
) -> anyhow::Result<Server> {
    let metrics = Metrics::new().context("creating metrics")?;
    let Backends { pool, reads, .. } = &backends;
    pool.metrics()
        .register(&metrics.registry)
        .context("registering the database metrics")?;
    reads
        .register(&metrics.registry)
        .context("registering the replica metrics")?;
    let prometheus = http_metrics(&metrics)?;
    let openapi = crate::openapi::document();
    let (shutdown_timeout, workers) = (
        settings.server.shutdown_timeout_secs,
        settings.server.workers,
    );
    let shared = Shared::new(settings, backends, metrics, &openapi)?;

    let server = HttpServer::new(move || {
        App::new()
            // Outermost last: request id → security headers → no caching of signed-in
            // answers → HEAD routed as GET →
            // compression (`Compress`, then gzip of whole answers on the worker) → problem
            // documents → CORS → metrics → read-your-writes marks → routes.
            .wrap(from_fn(reads::remember_writes))
            .wrap(prometheus.clone())
            .wrap(cors(&shared.settings.server.cors_allowed_origins))
            .wrap(problems::error_handlers())
            .wrap(from_fn(compression::gzip_in_place))
            .wrap(Compress::default())
            .wrap(from_fn(head::as_get))
            .wrap(from_fn(caching::private_when_signed_in))
            .wrap(security_headers())
            .wrap(from_fn(request_id::middleware))
            .configure(|cfg| shared.register(cfg))
            // Before the route table: the `/api/v1` scope would otherwise claim the path.
            .service(SwaggerUi::new("/docs/{_:.*}").url("/api/v1/openapi.json", openapi.clone()))
            .configure(|cfg| features::routes(&mut ServiceConfig::new(cfg)))
            .configure(|cfg| {
                if let Some(extend) = extra_routes {
                    extend(cfg);
                }
            })
            .route("/docs", web::get().to(docs_redirect))
            .default_service(web::to(web_client::fallback))
    })
    // Responses are written in more than one segment (headers, then a compressed or streamed
    // body): without TCP_NODELAY, Nagle's algorithm and the client's delayed ACK hold the
    // last segment back for up to 40 ms.
    .tcp_nodelay(true)
    .listen(listener)?
    .shutdown_timeout(shutdown_timeout)
    .disable_signals();
    Ok(server.workers(http_workers(workers)).run())
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((http::header::LOCATION, "/docs/"))
        .finish()
}

/// HTTP worker threads: the configured number, or two per core. Short reads run on the worker
/// thread itself (`db::read` with `Cost::Small`), which then waits for PostgreSQL; a second worker per core
/// keeps the core busy meanwhile (measured in docs/performance-log.md, "Per-request cost").
fn http_workers(configured: usize) -> usize {
    if configured > 0 {
        return configured;
    }
    2 * std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Forgets idle rate-limit keys every minute so memory (or the shared table) stays bounded
/// under address churn.
fn spawn_rate_limit_sweeper(
    limits: Arc<AuthRateLimits>,
    posting: Arc<PostingLimits>,
    store: rate_limit::Store,
) {
    let weak = Arc::downgrade(&limits);
    let weak_posting = Arc::downgrade(&posting);
    drop((limits, posting));
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            interval.tick().await;
            match (weak.upgrade(), weak_posting.upgrade()) {
                (Some(limits), Some(posting)) => {
                    limits.forget_idle();
                    posting.forget_idle();
                    drop((limits, posting));
                    store.forget_idle().await;
                }
                _ => break,
            }
        }
    });
}

/// Headers every response carries: no MIME sniffing, and no full URL in the `Referer` of
/// links to other sites. The client's pages add their Content-Security-Policy.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((
            http::header::REFERRER_POLICY,
            "strict-origin-when-cross-origin",
        ))
}

/// Cross-origin clients named in `server.cors_allowed_origins` may call the API, with
/// credentials (the session cookie) when the origin is named; `*` allows any origin without
/// them.
fn cors(allowed_origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        .allowed_headers([
            http::header::AUTHORIZATION,
            http::header::CONTENT_TYPE,
            http::header::ACCEPT,
            request_id::REQUEST_ID_HEADER,
            http::header::HeaderName::from_static(crate::accounts::browser::SESSION_MODE_HEADER),
        ])
        .expose_headers([request_id::REQUEST_ID_HEADER, http::header::RETRY_AFTER])
        .max_age(3600);
    for origin in allowed_origins {
        cors = if origin == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(origin)
        };
    }
    if !allowed_origins.is_empty() && !allowed_origins.iter().any(|o| o == "*") {
        cors = cors.supports_credentials();
    }
    cors
}
