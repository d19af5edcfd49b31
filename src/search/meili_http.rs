//! The HTTP client devforum gives the Meilisearch SDK: request bodies go out as bytes.
//!
//! The SDK's own client streams every request body through a reader whose buffer is 8 MiB
//! (its comment says 8 KiB), zero-filled for each request: for a search of a few hundred
//! bytes that zeroing was a third of devforum's CPU under load (perf, `memset` under
//! `ReaderStream::poll_next`). Bodies here are small (a query, a settings object, at most a
//! reindex page of 2,000 documents), so they are built in memory and sent with a length.

use async_trait::async_trait;
use futures_util::AsyncReadExt;
use meilisearch_sdk::errors::Error;
use meilisearch_sdk::request::{parse_response, HttpClient, Method};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use serde::de::DeserializeOwned;
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct BytesClient {
    client: reqwest::Client,
}

impl BytesClient {
    pub fn new(api_key: Option<&str>) -> Result<Self, Error> {
        let mut headers = HeaderMap::new();
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("devforum/", env!("CARGO_PKG_VERSION"))),
        );
        if let Some(key) = api_key {
            let mut value = HeaderValue::from_str(&format!("Bearer {key}"))
                .map_err(|e| Error::Other(Box::new(e)))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .build()?;
        Ok(BytesClient { client })
    }

    async fn send<Query: Serialize + Send + Sync, Output: DeserializeOwned + 'static>(
        &self,
        url: &str,
        verb: reqwest::Method,
        query: &Query,
        body: Option<(Vec<u8>, &str)>,
        expected_status_code: u16,
    ) -> Result<Output, Error> {
        let url = format!("{url}{}", yaup::to_string(query)?);
        let mut request = self.client.request(verb, &url);
        if let Some((bytes, content_type)) = body {
            request = request.header(CONTENT_TYPE, content_type).body(bytes);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let mut text = response.text().await?;
        if text.is_empty() {
            text = "null".to_string();
        }
        parse_response(status, expected_status_code, &text, url)
    }
}

impl BytesClient {
    /// A JSON request the SDK has no call for (settings it does not know).
    pub async fn json(
        &self,
        verb: reqwest::Method,
        url: &str,
        body: Option<&serde_json::Value>,
        expected_status_code: u16,
    ) -> Result<serde_json::Value, Error> {
        let body = match body {
            Some(body) => Some((serde_json::to_vec(body)?, "application/json")),
            None => None,
        };
        self.send(url, verb, &(), body, expected_status_code).await
    }
}

fn verb<Q, B>(method: &Method<Q, B>) -> reqwest::Method {
    match method {
        Method::Get { .. } => reqwest::Method::GET,
        Method::Delete { .. } => reqwest::Method::DELETE,
        Method::Post { .. } => reqwest::Method::POST,
        Method::Put { .. } => reqwest::Method::PUT,
        Method::Patch { .. } => reqwest::Method::PATCH,
    }
}

#[async_trait]
impl HttpClient for BytesClient {
    async fn request<Query, Body, Output>(
        &self,
        url: &str,
        method: Method<Query, Body>,
        expected_status_code: u16,
    ) -> Result<Output, Error>
    where
        Query: Serialize + Send + Sync,
        Body: Serialize + Send + Sync,
        Output: DeserializeOwned + 'static + Send,
    {
        let body = match method.body() {
            Some(body) => Some((serde_json::to_vec(body)?, "application/json")),
            None => None,
        };
        self.send(
            url,
            verb(&method),
            method.query(),
            body,
            expected_status_code,
        )
        .await
    }

    async fn stream_request<
        Query: Serialize + Send + Sync,
        Body: futures_io::AsyncRead + Send + Sync + 'static,
        Output: DeserializeOwned + 'static,
    >(
        &self,
        url: &str,
        method: Method<Query, Body>,
        content_type: &str,
        expected_status_code: u16,
    ) -> Result<Output, Error> {
        let verb = verb(&method);
        let query = yaup::to_string(method.query())?;
        let url = format!("{url}{query}");
        let body = match method.into_body() {
            Some(reader) => {
                let mut bytes = Vec::new();
                Box::pin(reader)
                    .read_to_end(&mut bytes)
                    .await
                    .map_err(|e| Error::Other(Box::new(e)))?;
                Some((bytes, content_type))
            }
            None => None,
        };
        self.send(&url, verb, &(), body, expected_status_code).await
    }

    fn is_tokio(&self) -> bool {
        true
    }
}
