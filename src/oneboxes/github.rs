//! GitHub's own cards: issues and pull requests (state, author), repositories, and file links
//! with a line range (the lines themselves), read from GitHub's REST API when it answers; when
//! it does not, the page's Open Graph card, still marked as GitHub's kind.

use base64::Engine;
use serde::Deserialize;

use super::{page, Previews};
use crate::config::OneboxSettings;
use crate::markdown::cards::{Card, CardKind};
use crate::outbound::Refused;

/// The most lines of code a file card shows.
pub const MAX_LINES: u32 = 30;

/// What a GitHub link points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Repository {
        owner: String,
        repo: String,
    },
    Issue {
        owner: String,
        repo: String,
        number: u64,
        pull_request: bool,
    },
    File {
        owner: String,
        repo: String,
        git_ref: String,
        path: String,
        lines: Option<(u32, u32)>,
    },
}

impl Target {
    /// The target of a link on one of `settings.github_hosts`, if it is one of the kinds.
    pub fn of(link: &str, settings: &OneboxSettings) -> Option<Target> {
        let url = url::Url::parse(link).ok()?;
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str()?),
            None => url.host_str()?.to_string(),
        };
        if !settings
            .github_hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&host))
        {
            return None;
        }
        let parts: Vec<&str> = url.path_segments()?.filter(|p| !p.is_empty()).collect();
        let name = |s: &str| {
            !s.is_empty()
                && s.len() <= 100
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        let (owner, repo) = (*parts.first()?, *parts.get(1)?);
        if !name(owner) || !name(repo) {
            return None;
        }
        let (owner, repo) = (owner.to_string(), repo.to_string());
        match parts.as_slice() {
            [_, _] => Some(Target::Repository { owner, repo }),
            [_, _, kind @ ("issues" | "pull"), number, ..] => Some(Target::Issue {
                owner,
                repo,
                number: number.parse().ok()?,
                pull_request: *kind == "pull",
            }),
            [_, _, "blob", git_ref, path @ ..] if !path.is_empty() => Some(Target::File {
                owner,
                repo,
                git_ref: git_ref.to_string(),
                path: path.join("/"),
                lines: url.fragment().and_then(line_range),
            }),
            _ => None,
        }
    }

    fn repository(&self) -> String {
        match self {
            Target::Repository { owner, repo }
            | Target::Issue { owner, repo, .. }
            | Target::File { owner, repo, .. } => format!("{owner}/{repo}"),
        }
    }
}

/// `L10` or `L10-L20` (as GitHub writes them), at most [`MAX_LINES`] lines.
pub fn line_range(fragment: &str) -> Option<(u32, u32)> {
    let (from, to) = match fragment.split_once('-') {
        Some((from, to)) => (from, to),
        None => (fragment, fragment),
    };
    let from: u32 = from.strip_prefix('L')?.parse().ok()?;
    let to: u32 = to.strip_prefix('L')?.parse().ok()?;
    if from == 0 || to < from {
        return None;
    }
    Some((from, to.min(from + MAX_LINES - 1)))
}

#[derive(Deserialize)]
struct Issue {
    title: String,
    state: String,
    #[serde(default)]
    body: Option<String>,
    user: Option<User>,
    #[serde(default)]
    pull_request: Option<PullRequest>,
}

#[derive(Deserialize)]
struct User {
    login: String,
}

#[derive(Deserialize)]
struct PullRequest {
    merged_at: Option<String>,
}

#[derive(Deserialize)]
struct Repository {
    full_name: String,
    description: Option<String>,
}

#[derive(Deserialize)]
struct Contents {
    content: String,
    encoding: String,
}

/// The card of a GitHub link: the API's, else the page's with GitHub's kind.
pub async fn card(previews: &Previews, link: &str, target: &Target) -> Result<Card, Refused> {
    match from_api(previews, link, target).await {
        Ok(card) => Ok(card),
        Err(refused) => {
            tracing::debug!(%link, %refused, "GitHub's API gave no card; reading the page");
            let mut card = page::card(&previews.outbound, link).await?;
            card.kind = kind_without_api(target);
            Ok(card)
        }
    }
}

fn kind_without_api(target: &Target) -> CardKind {
    match target {
        Target::Repository { .. } => CardKind::GithubRepository {
            repository: target.repository(),
        },
        Target::Issue {
            number,
            pull_request,
            ..
        } => CardKind::GithubIssue {
            repository: target.repository(),
            number: *number,
            pull_request: *pull_request,
            state: None,
            author: None,
        },
        Target::File { path, lines, .. } => CardKind::GithubFile {
            repository: target.repository(),
            path: path.clone(),
            lines: *lines,
            code: None,
        },
    }
}

async fn api<T: serde::de::DeserializeOwned>(
    previews: &Previews,
    path: &str,
) -> Result<T, Refused> {
    let url = format!(
        "{}{path}",
        previews.settings.github_api.trim_end_matches('/')
    );
    let fetched = previews.outbound.get(&url, &["application/json"]).await?;
    serde_json::from_slice(&fetched.body).map_err(|_| Refused::NothingToShow)
}

async fn from_api(previews: &Previews, link: &str, target: &Target) -> Result<Card, Refused> {
    let repository = target.repository();
    let site_name = Some("GitHub".to_string());
    match target {
        Target::Issue {
            number,
            pull_request,
            ..
        } => {
            let issue: Issue =
                api(previews, &format!("/repos/{repository}/issues/{number}")).await?;
            let merged = issue
                .pull_request
                .as_ref()
                .is_some_and(|p| p.merged_at.is_some());
            Ok(Card {
                url: link.to_string(),
                title: issue.title,
                description: issue.body.filter(|b| !b.trim().is_empty()),
                site_name,
                image: None,
                kind: CardKind::GithubIssue {
                    repository,
                    number: *number,
                    pull_request: *pull_request || issue.pull_request.is_some(),
                    state: Some(if merged { "merged".into() } else { issue.state }),
                    author: issue.user.map(|u| u.login),
                },
            })
        }
        Target::Repository { .. } => {
            let repo: Repository = api(previews, &format!("/repos/{repository}")).await?;
            Ok(Card {
                url: link.to_string(),
                title: repo.full_name,
                description: repo.description,
                site_name,
                image: None,
                kind: CardKind::GithubRepository { repository },
            })
        }
        Target::File {
            git_ref,
            path,
            lines,
            ..
        } => {
            let contents: Contents = api(
                previews,
                &format!("/repos/{repository}/contents/{path}?ref={git_ref}"),
            )
            .await?;
            if contents.encoding != "base64" {
                return Err(Refused::NothingToShow);
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(contents.content.replace(['\n', '\r'], ""))
                .map_err(|_| Refused::NothingToShow)?;
            let text = String::from_utf8_lossy(&bytes);
            let code = lines.map(|(from, to)| {
                text.lines()
                    .skip(from as usize - 1)
                    .take((to - from + 1) as usize)
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(Card {
                url: link.to_string(),
                title: path.rsplit('/').next().unwrap_or(path).to_string(),
                description: None,
                site_name,
                image: None,
                kind: CardKind::GithubFile {
                    repository,
                    path: path.clone(),
                    lines: *lines,
                    code,
                },
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> OneboxSettings {
        OneboxSettings {
            enabled: true,
            allow_hosts: vec![],
            refresh_secs: 86400,
            github_api: "https://api.github.com".into(),
            github_hosts: vec!["github.com".into()],
        }
    }

    #[test]
    fn github_links_are_read_by_their_shape() {
        let s = settings();
        assert_eq!(
            Target::of("https://github.com/rust-lang/rust", &s),
            Some(Target::Repository {
                owner: "rust-lang".into(),
                repo: "rust".into()
            })
        );
        assert_eq!(
            Target::of("https://github.com/rust-lang/rust/pull/12345", &s),
            Some(Target::Issue {
                owner: "rust-lang".into(),
                repo: "rust".into(),
                number: 12345,
                pull_request: true
            })
        );
        assert_eq!(
            Target::of(
                "https://github.com/tokio-rs/tokio/blob/master/tokio/src/lib.rs#L10-L20",
                &s
            ),
            Some(Target::File {
                owner: "tokio-rs".into(),
                repo: "tokio".into(),
                git_ref: "master".into(),
                path: "tokio/src/lib.rs".into(),
                lines: Some((10, 20)),
            })
        );
        for other in [
            "https://gitlab.com/a/b",
            "https://github.com/a",
            "https://github.com/a/b/issues/x",
            "https://github.com/a/b/wiki",
        ] {
            assert_eq!(Target::of(other, &s), None, "{other}");
        }
    }

    #[test]
    fn line_ranges_are_bounded() {
        assert_eq!(line_range("L7"), Some((7, 7)));
        assert_eq!(line_range("L10-L20"), Some((10, 20)));
        assert_eq!(line_range("L1-L500"), Some((1, MAX_LINES)));
        assert_eq!(line_range("L20-L10"), None);
        assert_eq!(line_range("L0"), None);
        assert_eq!(line_range("readme"), None);
    }
}
