//! The Meilisearch engine: one index holding every kind of document (a `type` attribute
//! tells them apart), so one request searches, ranks and facets across all four kinds.
//!
//! Every call is bounded by `search.meilisearch.timeout_ms`; an unreachable or failing
//! server is an error the caller turns into `503 search_unavailable` (queries) or a retried
//! job (index writes), never a hang.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use chrono::{DateTime, Utc};
use meilisearch_sdk::client::{Client, SwapIndexes};
use meilisearch_sdk::documents::DocumentDeletionQuery;
use meilisearch_sdk::errors::{Error as MeiliError, ErrorCode};
use meilisearch_sdk::search::{MatchingStrategies, Selectors};
use meilisearch_sdk::settings::{
    FacetSortValue, FacetingSettings, FilterableAttribute, PaginationSetting, Settings,
};
use meilisearch_sdk::task_info::TaskInfo;
use meilisearch_sdk::tasks::Task;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::document::{self, Document, Kind, MARK_END, MARK_START};
use super::domain::{SearchQuery, MAX_REACHABLE_HITS};
use super::meili_http::BytesClient;
use super::sync::Changes;
use super::views::{render_snippet, Facets, Hit};
use crate::config::MeilisearchSettings;
use crate::ids::ThreadId;

/// Words around the matches in a snippet.
const CROP_WORDS: usize = 30;

/// A document as the index stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexedDocument {
    pub uid: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub id: i64,
    pub thread_id: Option<ThreadId>,
    /// The searchable title: empty for replies, which are found by their own words.
    pub title: String,
    /// The title a hit shows.
    pub display_title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub username: Option<String>,
    /// Milliseconds since the epoch (sortable).
    pub created_at: i64,
    pub starts_at: Option<i64>,
    pub city: Option<String>,
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    /// Votes, bucketed: a custom ranking rule puts better-voted documents first among equals.
    pub votes: i32,
    /// Threads: whether a solution readers see is marked (filterable).
    pub solved: Option<bool>,
}

impl IndexedDocument {
    pub fn of(document: &Document) -> Self {
        IndexedDocument {
            uid: document.uid(),
            kind: document.kind,
            id: document.source_id,
            thread_id: document.parent_id.map(ThreadId),
            title: if document.kind == Kind::Reply {
                String::new()
            } else {
                document.title.clone()
            },
            display_title: document.title.clone(),
            body: document.body.clone(),
            tags: document.tags.clone(),
            username: document.username.clone(),
            created_at: document.created_at.timestamp_millis(),
            starts_at: document.starts_at.map(|t| t.timestamp_millis()),
            city: document.city.clone(),
            skills: document.skills.clone(),
            languages: document.languages.clone(),
            votes: document.votes,
            solved: document.solved,
        }
    }
}

/// What a hit shows of a document: everything but the searchable text, whose cropped and
/// highlighted body comes in `_formatted` (retrieving whole documents made every answer
/// several times larger, for Meilisearch to write and devforum to read).
#[derive(Debug, Clone, Deserialize)]
pub struct RetrievedDocument {
    #[serde(rename = "type")]
    pub kind: Kind,
    pub id: i64,
    #[serde(default)]
    pub thread_id: Option<ThreadId>,
    pub display_title: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub username: Option<String>,
    pub created_at: i64,
    #[serde(default)]
    pub starts_at: Option<i64>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
}

/// The attributes of [`RetrievedDocument`], as a query asks for them.
pub const RETRIEVED_ATTRIBUTES: [&str; 11] = [
    "type",
    "id",
    "thread_id",
    "display_title",
    "tags",
    "username",
    "created_at",
    "starts_at",
    "city",
    "skills",
    "languages",
];

/// The ranking: every word present (the query asks for all of them), fewest typos, then
/// title matches before tag matches before body matches (`searchableAttributes` in that
/// order), then the words close together and exact; among equals, better voted, then newer.
/// `wordPosition` (where in a field the words stand) is left out: it would split "equals" by
/// accidents of wording, leaving votes and recency nothing to decide.
pub const RANKING_RULES: [&str; 8] = [
    "words",
    "typo",
    "attributeRank",
    "proximity",
    "exactness",
    "sort",
    "votes:desc",
    "created_at:desc",
];

/// Meilisearch's synonyms from devforum's groups: every word of a group stands for each other.
pub fn synonyms_of(groups: &[Vec<String>]) -> HashMap<String, Vec<String>> {
    let mut synonyms: HashMap<String, Vec<String>> = HashMap::new();
    for group in groups {
        for word in group {
            let others = synonyms.entry(word.clone()).or_default();
            others.extend(group.iter().filter(|w| *w != word).cloned());
            others.sort();
            others.dedup();
        }
    }
    synonyms
}

/// Settings the SDK has no fields for, with the values devforum needs. Searches are for whole
/// words (typos forgiven), as on PostgreSQL, so the prefix databases are not built: keeping
/// them cost 1-3 s per index update at a million documents (Meilisearch's progress trace:
/// "word prefix position docids"), which would hold every new post out of search that long.
/// devforum never searches facet values either.
pub fn raw_settings() -> serde_json::Value {
    serde_json::json!({ "prefixSearch": "disabled", "facetSearch": false })
}

/// The settings devforum sets that `current` has otherwise (attribute lists whose order
/// carries no meaning are compared as sets).
pub fn changed_settings(current: &Settings, wanted: &Settings) -> Vec<&'static str> {
    fn as_set<T: Ord + Clone>(list: &Option<Vec<T>>) -> Option<Vec<T>> {
        list.clone().map(|mut items| {
            items.sort();
            items.dedup();
            items
        })
    }
    fn filterable_names(list: &Option<Vec<FilterableAttribute>>) -> Option<Vec<String>> {
        as_set(&list.as_ref().map(|attributes| {
            attributes
                .iter()
                .map(|attribute| match attribute {
                    FilterableAttribute::Attribute(name) => name.clone(),
                    FilterableAttribute::Settings(settings) => format!("{settings:?}"),
                })
                .collect()
        }))
    }
    fn synonyms(map: &Option<HashMap<String, Vec<String>>>) -> BTreeMap<String, Vec<String>> {
        map.iter()
            .flatten()
            .map(|(word, others)| {
                let mut others = others.clone();
                others.sort();
                (word.clone(), others)
            })
            .collect()
    }
    let mut changed = Vec::new();
    if current.searchable_attributes != wanted.searchable_attributes {
        changed.push("searchableAttributes");
    }
    if filterable_names(&current.filterable_attributes)
        != filterable_names(&wanted.filterable_attributes)
    {
        changed.push("filterableAttributes");
    }
    if as_set(&current.sortable_attributes) != as_set(&wanted.sortable_attributes) {
        changed.push("sortableAttributes");
    }
    if current.ranking_rules != wanted.ranking_rules {
        changed.push("rankingRules");
    }
    if synonyms(&current.synonyms) != synonyms(&wanted.synonyms) {
        changed.push("synonyms");
    }
    if current.faceting != wanted.faceting {
        changed.push("faceting");
    }
    if current.pagination != wanted.pagination {
        changed.push("pagination");
    }
    changed
}

/// The index settings devforum needs; applied (and awaited) before the index is used.
pub fn index_settings(synonym_groups: &[Vec<String>]) -> Settings {
    Settings::new()
        .with_searchable_attributes([
            "title",
            "tags",
            "skills",
            "languages",
            "city",
            "username",
            "body",
        ])
        .with_filterable_attributes([
            "type",
            "tags",
            "city",
            "starts_at",
            "skills",
            "languages",
            "thread_id",
            "solved",
        ])
        .with_sortable_attributes(["created_at", "starts_at"])
        .with_ranking_rules(RANKING_RULES)
        .with_synonyms(synonyms_of(synonym_groups))
        .with_faceting(FacetingSettings {
            max_values_per_facet: 100,
            sort_facet_values_by: Some(BTreeMap::from([("*".to_string(), FacetSortValue::Count)])),
        })
        .with_pagination(PaginationSetting {
            max_total_hits: MAX_REACHABLE_HITS,
        })
}

#[derive(Clone)]
pub struct Meilisearch {
    client: Client<BytesClient>,
    /// The same client, for calls the SDK does not have.
    http: BytesClient,
    index: String,
    timeout: Duration,
    synonym_groups: Arc<Vec<Vec<String>>>,
    /// Index created and settings applied (once per process, or again after a failure).
    prepared: Arc<AtomicBool>,
    /// A background preparation is under way.
    preparing: Arc<AtomicBool>,
}

impl Meilisearch {
    pub fn new(
        settings: &MeilisearchSettings,
        synonym_groups: Vec<Vec<String>>,
    ) -> anyhow::Result<Self> {
        let key = settings.api_key.expose_secret();
        let key = (!key.is_empty()).then_some(key);
        let http = BytesClient::new(key).context("creating the Meilisearch client")?;
        let client = Client::new_with_client(settings.url.trim_end_matches('/'), key, http.clone());
        Ok(Meilisearch {
            client,
            http,
            index: settings.index.clone(),
            timeout: Duration::from_millis(settings.timeout_ms.max(1)),
            synonym_groups: Arc::new(synonym_groups),
            prepared: Arc::new(AtomicBool::new(false)),
            preparing: Arc::new(AtomicBool::new(false)),
        })
    }

    pub fn index_uid(&self) -> &str {
        &self.index
    }

    /// Bounds a call by the configured timeout.
    async fn bounded<T>(
        &self,
        what: &str,
        call: impl Future<Output = Result<T, MeiliError>>,
    ) -> anyhow::Result<T> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result.with_context(|| format!("Meilisearch: {what}")),
            Err(_) => bail!(
                "Meilisearch: {what}: no answer within {} ms",
                self.timeout.as_millis()
            ),
        }
    }

    /// Waits for a task and fails unless it succeeded.
    pub async fn wait(&self, task: TaskInfo, patience: Duration) -> anyhow::Result<()> {
        self.wait_uid(task.task_uid, patience).await
    }

    /// Polls a task until it is done (each poll bounded by the timeout, the whole wait by
    /// `patience`) and fails unless it succeeded.
    pub async fn wait_uid(&self, uid: u32, patience: Duration) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + patience;
        let mut interval = Duration::from_millis(10);
        let task = loop {
            let task = self
                .bounded("reading a task", self.client.get_task(TaskUid(uid)))
                .await?;
            if matches!(task, Task::Succeeded { .. } | Task::Failed { .. }) {
                break task;
            }
            if tokio::time::Instant::now() + interval > deadline {
                bail!(
                    "Meilisearch: task {uid} not done within {} ms",
                    patience.as_millis()
                );
            }
            tokio::time::sleep(interval).await;
            // New posts wait on these polls: a short cap keeps freshness close to
            // Meilisearch's own indexing time, for a request it answers in microseconds.
            interval = (interval * 2).min(Duration::from_millis(50));
        };
        match task {
            Task::Succeeded { .. } => Ok(()),
            Task::Failed { content } => Err(anyhow!(
                "Meilisearch task {uid} failed: {} ({:?})",
                content.error.error_message,
                content.error.error_code
            )),
            Task::Enqueued { .. } | Task::Processing { .. } => {
                bail!("Meilisearch: task {uid} still running")
            }
        }
    }

    /// How long index writes may take to be processed before the job retries.
    fn task_patience(&self) -> Duration {
        (self.timeout * 15).max(Duration::from_secs(10))
    }

    /// Creates the index if needed and applies the settings, waiting for both.
    pub async fn prepare_index(&self, uid: &str) -> anyhow::Result<()> {
        let created = self
            .bounded(
                "creating the index",
                self.client.create_index(uid, Some("uid")),
            )
            .await?;
        if let Err(error) = self.wait(created, self.task_patience()).await {
            // Already there is fine; anything else is not.
            let exists = self
                .bounded("reading the index", self.client.get_raw_index(uid))
                .await
                .is_ok();
            if !exists {
                return Err(error);
            }
        }
        let index = self.client.index(uid);
        let settings = index_settings(&self.synonym_groups);
        // Applying settings makes Meilisearch reindex every document (half a minute for a
        // million), even when nothing changed: every process start would stall the index's
        // task queue. Only differences are applied.
        let current = self
            .bounded("reading the index settings", index.get_settings())
            .await;
        let up_to_date = match &current {
            Ok(current) => {
                let changed = changed_settings(current, &settings);
                if !changed.is_empty() {
                    tracing::info!(
                        index = uid,
                        ?changed,
                        "updating the Meilisearch index settings"
                    );
                }
                changed.is_empty()
            }
            Err(_) => false,
        };
        if !up_to_date {
            let task = self
                .bounded("updating the index settings", index.set_settings(&settings))
                .await?;
            self.wait(task, self.task_patience()).await?;
        }
        self.apply_raw_settings(uid).await
    }

    /// Applies [`raw_settings`] where the index has other values.
    async fn apply_raw_settings(&self, uid: &str) -> anyhow::Result<()> {
        let url = format!("{}/indexes/{uid}/settings", self.client.get_host());
        let wanted = raw_settings();
        let current = self
            .bounded(
                "reading the index settings",
                self.http.json(reqwest::Method::GET, &url, None, 200),
            )
            .await?;
        let differs = wanted
            .as_object()
            .into_iter()
            .flatten()
            .any(|(key, value)| current.get(key) != Some(value));
        if !differs {
            return Ok(());
        }
        tracing::info!(index = uid, settings = %wanted, "updating the Meilisearch index settings");
        let task = self
            .bounded(
                "updating the index settings",
                self.http
                    .json(reqwest::Method::PATCH, &url, Some(&wanted), 202),
            )
            .await?;
        let uid = task
            .get("taskUid")
            .and_then(serde_json::Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| anyhow!("Meilisearch: no task for the settings update: {task}"))?;
        self.wait_uid(uid, self.task_patience()).await
    }

    /// Prepares the live index once per process (again after a failure).
    pub async fn ensure_prepared(&self) -> anyhow::Result<()> {
        if self.prepared.load(Ordering::Acquire) {
            return Ok(());
        }
        self.prepare_index(&self.index).await?;
        self.prepared.store(true, Ordering::Release);
        Ok(())
    }

    /// Starts preparing the index unless it is prepared or being prepared: queries never
    /// wait for index creation or settings (tasks that may take long), they only trigger them.
    pub fn prepare_in_background(&self) {
        if self.prepared.load(Ordering::Acquire) || self.preparing.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(error) = this.ensure_prepared().await {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "could not prepare the Meilisearch index"
                );
            }
            this.preparing.store(false, Ordering::Release);
        });
    }

    /// The index exists with devforum's settings (as far as this process knows).
    pub fn is_prepared(&self) -> bool {
        self.prepared.load(Ordering::Acquire)
    }

    pub async fn is_healthy(&self) -> bool {
        self.bounded("health", self.client.health()).await.is_ok()
    }

    /// Hands a batch of changes to the engine and returns its tasks, in order. Writes go to
    /// the live index and to `also` (an index being rebuilt), if any.
    pub async fn enqueue(&self, changes: &Changes, also: Option<&str>) -> anyhow::Result<Vec<u32>> {
        let mut tasks = Vec::new();
        let mut targets = vec![self.index.as_str()];
        targets.extend(also);
        for uid in targets {
            let index = self.client.index(uid);
            if !changes.removals.is_empty() {
                let uids: Vec<String> = changes
                    .removals
                    .iter()
                    .map(|r| document::uid(r.kind, r.id))
                    .collect();
                let task = self
                    .bounded("removing documents", index.delete_documents(&uids))
                    .await?;
                tasks.push(task.task_uid);
            }
            if !changes.replies_removed_with.is_empty() {
                let ids: Vec<String> = changes
                    .replies_removed_with
                    .iter()
                    .map(i64::to_string)
                    .collect();
                let filter = format!("type = reply AND thread_id IN [{}]", ids.join(", "));
                let mut query = DocumentDeletionQuery::new(&index);
                query.with_filter(&filter);
                let task = self
                    .bounded("removing replies", index.delete_documents_with(&query))
                    .await?;
                tasks.push(task.task_uid);
            }
            if !changes.documents.is_empty() {
                let documents: Vec<IndexedDocument> =
                    changes.documents.iter().map(IndexedDocument::of).collect();
                let task = self
                    .bounded(
                        "writing documents",
                        index.add_or_replace(&documents, Some("uid")),
                    )
                    .await?;
                tasks.push(task.task_uid);
            }
        }
        Ok(tasks)
    }

    /// Waits for every task of a batch; the first failure fails the batch (it is retried).
    pub async fn wait_all(&self, tasks: &[u32]) -> anyhow::Result<()> {
        for &uid in tasks {
            self.wait_uid(uid, self.task_patience()).await?;
        }
        Ok(())
    }

    /// Writes documents into one index (a reindex batch); returns the task.
    pub async fn add_documents(&self, uid: &str, documents: &[Document]) -> anyhow::Result<u32> {
        let documents: Vec<IndexedDocument> = documents.iter().map(IndexedDocument::of).collect();
        let task = self
            .bounded(
                "writing documents",
                self.client
                    .index(uid)
                    .add_or_replace(&documents, Some("uid")),
            )
            .await?;
        Ok(task.task_uid)
    }

    /// Deletes an index if it exists, waiting for it.
    pub async fn delete_index(&self, uid: &str) -> anyhow::Result<()> {
        match self
            .bounded("deleting an index", self.client.delete_index(uid))
            .await
        {
            Ok(task) => match self.wait(task, self.task_patience()).await {
                Ok(()) => Ok(()),
                Err(error) if format!("{error:#}").contains("IndexNotFound") => Ok(()),
                Err(error) => Err(error),
            },
            Err(error) => Err(error),
        }
    }

    /// Swaps two indexes' contents atomically, waiting for it.
    pub async fn swap(&self, a: &str, b: &str) -> anyhow::Result<()> {
        let swap = SwapIndexes {
            indexes: (a.to_string(), b.to_string()),
            rename: None,
        };
        let task = self
            .bounded("swapping indexes", self.client.swap_indexes([&swap]))
            .await?;
        self.wait(task, self.task_patience() * 4).await
    }

    /// Runs a query.
    pub async fn search(&self, query: &SearchQuery) -> anyhow::Result<MeiliFound> {
        self.prepare_in_background();
        let index = self.client.index(&self.index);
        let filter = filter_of(query);
        let sort = ["created_at:desc"];
        let pre = MARK_START.to_string();
        let post = MARK_END.to_string();
        let mut search = index.search();
        search
            .with_query(&query.text)
            .with_offset(query.offset)
            .with_limit(query.limit)
            .with_facets(Selectors::Some(&["type", "tags"]))
            .with_attributes_to_retrieve(Selectors::Some(&RETRIEVED_ATTRIBUTES))
            .with_attributes_to_crop(Selectors::Some(&[("body", Some(CROP_WORDS))]))
            .with_attributes_to_highlight(Selectors::Some(&["body"]))
            .with_highlight_pre_tag(&pre)
            .with_highlight_post_tag(&post)
            .with_show_ranking_score(true)
            // Every word must match, as with PostgreSQL's `websearch_to_tsquery`.
            .with_matching_strategy(MatchingStrategies::ALL);
        if let Some(filter) = &filter {
            search.with_filter(filter);
        }
        if query.text.is_empty() {
            search.with_sort(&sort);
        }
        let results = self
            .bounded("searching", search.execute::<RetrievedDocument>())
            .await?;
        let facets = results.facet_distribution.unwrap_or_default();
        let to_counts = |values: Option<&HashMap<String, usize>>| -> BTreeMap<String, u64> {
            values
                .map(|m| m.iter().map(|(k, v)| (k.clone(), *v as u64)).collect())
                .unwrap_or_default()
        };
        let hits = results
            .hits
            .into_iter()
            .map(|hit| {
                let snippet = hit
                    .formatted_result
                    .as_ref()
                    .and_then(|f| f.get("body"))
                    .and_then(|b| b.as_str())
                    .map(str::to_string)
                    .unwrap_or_default();
                let doc = hit.result;
                Hit {
                    kind: doc.kind,
                    id: doc.id,
                    title: doc.display_title,
                    snippet: render_snippet(&snippet),
                    score: hit.ranking_score.filter(|_| !query.text.is_empty()),
                    tags: doc.tags,
                    author: doc.username,
                    created_at: from_millis(doc.created_at),
                    thread_id: doc.thread_id.filter(|_| doc.kind == Kind::Reply),
                    starts_at: doc.starts_at.map(from_millis),
                    city: doc.city,
                    skills: doc.skills,
                    languages: doc.languages,
                }
            })
            .collect();
        Ok(MeiliFound {
            hits,
            total: results
                .estimated_total_hits
                .or(results.total_hits)
                .unwrap_or(0) as u64,
            facets: Facets::normalised(
                to_counts(facets.get("type")),
                to_counts(facets.get("tags")),
            ),
            processing_time_ms: results.processing_time_ms as u64,
        })
    }

    /// Marks the index as needing preparation again (it went missing).
    pub fn forget_preparation(&self) {
        self.prepared.store(false, Ordering::Release);
    }
}

/// A task uid as the SDK's task calls take it.
struct TaskUid(u32);

impl AsRef<u32> for TaskUid {
    fn as_ref(&self) -> &u32 {
        &self.0
    }
}

pub struct MeiliFound {
    pub hits: Vec<Hit>,
    pub total: u64,
    pub facets: Facets,
    pub processing_time_ms: u64,
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A string as a quoted filter value.
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The filter expression of a query (every value quoted or a number).
pub fn filter_of(query: &SearchQuery) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(kind) = query.kind {
        parts.push(format!("type = {}", quoted(kind.as_str())));
    }
    if let Some(tag) = &query.tag {
        parts.push(format!("tags = {}", quoted(tag)));
    }
    if let Some(solved) = query.solved {
        if query.kind.is_none() {
            parts.push(format!("type = {}", quoted(Kind::Thread.as_str())));
        }
        // `!=` also matches a document indexed before threads carried the attribute.
        parts.push(
            if solved {
                "solved = true"
            } else {
                "solved != true"
            }
            .to_string(),
        );
    }
    if query.filters_meetups() && query.kind.is_none() {
        parts.push(format!("type = {}", quoted(Kind::Meetup.as_str())));
    }
    if let Some(city) = &query.city {
        parts.push(format!("city = {}", quoted(city)));
    }
    if let Some(from) = query.from {
        parts.push(format!("starts_at >= {}", from.timestamp_millis()));
    }
    if let Some(to) = query.to {
        parts.push(format!("starts_at < {}", to.timestamp_millis()));
    }
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// Whether an SDK error says the index does not exist.
pub fn is_index_missing(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<MeiliError>().is_some_and(
            |e| matches!(e, MeiliError::Meilisearch(m) if m.error_code == ErrorCode::IndexNotFound),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_applied_only_when_they_differ() {
        let wanted = index_settings(&[vec!["js".into(), "javascript".into()]]);
        // As the server returns them: lists in its own order, everything else it has.
        let mut current = wanted.clone();
        if let Some(sortable) = current.sortable_attributes.as_mut() {
            sortable.reverse();
        }
        current.stop_words = Some(vec![]);
        assert!(changed_settings(&current, &wanted).is_empty());
        current.ranking_rules = Some(vec!["words".into()]);
        current.synonyms = Some(HashMap::new());
        assert_eq!(
            changed_settings(&current, &wanted),
            ["rankingRules", "synonyms"]
        );
    }

    #[test]
    fn synonym_groups_map_every_word_to_the_others() {
        let groups = vec![
            vec!["pg".to_string(), "postgres".into(), "postgresql".into()],
            vec!["js".to_string(), "javascript".into()],
        ];
        let synonyms = synonyms_of(&groups);
        assert_eq!(synonyms["pg"], ["postgres", "postgresql"]);
        assert_eq!(synonyms["postgresql"], ["pg", "postgres"]);
        assert_eq!(synonyms["javascript"], ["js"]);
        assert_eq!(synonyms.len(), 5);
    }

    #[test]
    fn filters_combine_kind_and_tag() {
        let mut query = SearchQuery {
            text: "x".into(),
            kind: None,
            tag: None,
            limit: 20,
            offset: 0,
            solved: None,
            city: None,
            from: None,
            to: None,
        };
        assert_eq!(filter_of(&query), None);
        query.kind = Some(Kind::Reply);
        query.tag = Some("rust".into());
        assert_eq!(
            filter_of(&query).as_deref(),
            Some("type = \"reply\" AND tags = \"rust\"")
        );
        query.kind = None;
        query.solved = Some(false);
        assert_eq!(
            filter_of(&query).as_deref(),
            Some("tags = \"rust\" AND type = \"thread\" AND solved != true")
        );
    }

    #[test]
    fn meetup_filters_quote_the_city_and_compare_start_times() {
        let from = Utc::now();
        let query = SearchQuery {
            text: String::new(),
            kind: None,
            tag: None,
            limit: 20,
            offset: 0,
            solved: None,
            city: Some("Saint \"Quote\" \\ Town".into()),
            from: Some(from),
            to: None,
        };
        assert_eq!(
            filter_of(&query).as_deref(),
            Some(
                format!(
                    "type = \"meetup\" AND city = \"Saint \\\"Quote\\\" \\\\ Town\" AND starts_at >= {}",
                    from.timestamp_millis()
                )
                .as_str()
            )
        );
    }

    #[test]
    fn replies_are_not_found_by_their_threads_title() {
        let now = Utc::now();
        let reply = Document {
            kind: Kind::Reply,
            source_id: 9,
            parent_id: Some(3),
            title: "Borrow checker woes".into(),
            body: "try cloning".into(),
            tags: vec!["rust".into()],
            username: Some("ann".into()),
            created_at: now,
            updated_at: now,
            starts_at: None,
            city: None,
            skills: vec![],
            languages: vec![],
            votes: 2,
            solved: None,
        };
        let indexed = IndexedDocument::of(&reply);
        assert_eq!(indexed.uid, "reply-9");
        assert_eq!(indexed.title, "");
        assert_eq!(indexed.display_title, "Borrow checker woes");
        assert_eq!(indexed.votes, 2);
        assert_eq!(
            from_millis(indexed.created_at).timestamp_millis(),
            now.timestamp_millis()
        );
    }
}
