//! What kind of mail a message is, and what follows from it (plain functions): which headers
//! it carries and whether it still goes to an address that bounced.

use serde::{Deserialize, Serialize};

/// The kinds of mail devforum sends. All of it is automated (`Auto-Submitted:
/// auto-generated`); what differs is whether a member chose to receive it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// About the account itself: verification, resets, password and address changes, the
    /// export, moderation of the member. Always tried, even to an address that bounced: it
    /// may be how the member finds out, and a reset must never be silently dropped.
    #[default]
    Account,
    /// Notifications (replies, mentions, mentorship, meetups): a list the member can leave,
    /// so `List-Id` and one-click unsubscribe; stopped while the address is undeliverable.
    Notification,
    /// The daily or weekly digest: as notifications, and `Precedence: bulk`.
    Digest,
}

/// The category of a template's message.
pub fn category_of(template: &str) -> Category {
    match template {
        "digest" => Category::Digest,
        "notification" => Category::Notification,
        t if t.starts_with("mentorship_") || t.starts_with("meetup_") => Category::Notification,
        _ => Category::Account,
    }
}

/// Whether a message of `category` is sent to an address whose deliverability is
/// `deliverable` (`None`: not a member's address, nothing is known against it).
pub fn may_send(category: Category, deliverable: Option<bool>) -> bool {
    match category {
        Category::Account => true,
        Category::Notification | Category::Digest => deliverable != Some(false),
    }
}

impl Category {
    /// Mail a member subscribed to: it names its list (`List-Id`, RFC 2919).
    pub fn is_list_mail(self) -> bool {
        matches!(self, Category::Notification | Category::Digest)
    }

    /// Only digests are bulk mail (`Precedence: bulk`): a notification is about one event
    /// the member chose to hear of, and `bulk` would make some servers delay or file it.
    pub fn is_bulk(self) -> bool {
        matches!(self, Category::Digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fall_into_their_categories() {
        assert_eq!(category_of("digest"), Category::Digest);
        assert_eq!(category_of("notification"), Category::Notification);
        assert_eq!(category_of("mentorship_request"), Category::Notification);
        assert_eq!(category_of("meetup_reminder"), Category::Notification);
        for account in [
            "verify_email",
            "password_reset",
            "password_changed",
            "two_factor_changed",
            "email_change_verify",
            "email_change_notice",
            "export_ready",
            "content_hidden",
            "account_suspended",
            "appeal_decided",
        ] {
            assert_eq!(category_of(account), Category::Account, "{account}");
        }
    }

    #[test]
    fn an_undeliverable_address_gets_account_mail_only() {
        assert!(may_send(Category::Account, Some(false)));
        assert!(!may_send(Category::Notification, Some(false)));
        assert!(!may_send(Category::Digest, Some(false)));
        for category in [Category::Account, Category::Notification, Category::Digest] {
            assert!(may_send(category, Some(true)));
            assert!(may_send(category, None));
        }
    }

    #[test]
    fn only_digests_are_bulk_and_only_subscriptions_are_lists() {
        assert!(Category::Digest.is_bulk());
        assert!(!Category::Notification.is_bulk());
        assert!(!Category::Account.is_bulk());
        assert!(Category::Notification.is_list_mail());
        assert!(Category::Digest.is_list_mail());
        assert!(!Category::Account.is_list_mail());
    }
}
