//! Decisions about uploads, as plain functions of values.

use crate::accounts::domain::TrustLevel;
use crate::config::{UploadQuota, UploadQuotas, UploadSettings};

use super::domain::{AttachmentKind, Sniffed};

/// Thumbnail widths: `small` for avatars and lists, `large` for a post's column.
pub const SMALL_WIDTH: u32 = 200;
pub const LARGE_WIDTH: u32 = 1200;

/// An object no upload names is removed only after it has not been stored for this long: an
/// upload stores its bytes before it writes its row, and the sweep must not take them between
/// the two.
pub const OBJECT_GRACE_SECS: i64 = 3600;

/// Why a file is not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Bigger than its type allows (`413 upload_too_large`).
    TooLarge { limit: u64 },
    /// Not an image and not an attachment type this member may upload (`415`).
    UnsupportedType,
    /// Over the daily count or bytes (`429 upload_quota`).
    Quota,
}

/// What a member's trust level allows per day.
pub fn quota_for(level: TrustLevel, quotas: &UploadQuotas) -> UploadQuota {
    match level {
        TrustLevel::New => quotas.new,
        TrustLevel::Basic => quotas.basic,
        TrustLevel::Member => quotas.member,
        TrustLevel::Regular => quotas.regular,
    }
}

/// Whether the file's type may be kept: images always; attachments when the operator lists
/// their type and the member's level allows attachments; markup and unknown bytes never.
pub fn type_allowed(
    sniffed: Sniffed,
    settings: &UploadSettings,
    quota: &UploadQuota,
) -> Result<(), Refusal> {
    match sniffed {
        Sniffed::Image(_) => Ok(()),
        Sniffed::Attachment(kind) if quota.attachments && attachment_listed(kind, settings) => {
            Ok(())
        }
        _ => Err(Refusal::UnsupportedType),
    }
}

fn attachment_listed(kind: AttachmentKind, settings: &UploadSettings) -> bool {
    settings
        .attachment_types
        .iter()
        .any(|listed| listed.eq_ignore_ascii_case(kind.extension))
}

/// The most bytes a file of this type may have.
pub fn size_limit(sniffed: Sniffed, settings: &UploadSettings) -> u64 {
    match sniffed {
        Sniffed::Image(_) => settings.max_image_bytes,
        _ => settings.max_attachment_bytes,
    }
}

/// The most bytes any upload may have: reading stops here before the type is known.
pub fn absolute_limit(settings: &UploadSettings) -> u64 {
    settings.max_image_bytes.max(settings.max_attachment_bytes)
}

/// Whether one more upload of `bytes` fits what the member uploaded in the last 24 hours.
pub fn within_quota(quota: &UploadQuota, count: i64, bytes: i64, incoming: u64) -> bool {
    let limit_bytes = quota.megabytes.saturating_mul(1024 * 1024);
    u64::try_from(count).unwrap_or(0) < u64::from(quota.count)
        && u64::try_from(bytes).unwrap_or(0).saturating_add(incoming) <= limit_bytes
}

/// Whether an image's claimed size may be decoded at all.
pub fn dimensions_allowed(width: u32, height: u32, max_pixels: u64) -> bool {
    width > 0 && height > 0 && u64::from(width) * u64::from(height) <= max_pixels
}

/// A thumbnail's size: `target` wide at most, the image's proportions kept, never enlarged.
pub fn thumbnail_size(width: u32, height: u32, target: u32) -> (u32, u32) {
    if width <= target {
        return (width, height);
    }
    let scaled = (u64::from(height) * u64::from(target) + u64::from(width) / 2) / u64::from(width);
    (target, u32::try_from(scaled).unwrap_or(u32::MAX).max(1))
}

/// What the posts and avatars using a file make of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Uses {
    /// A post anyone may see shows it, or it is someone's avatar.
    pub shown: bool,
    /// Some post uses it (shown or not).
    pub used: bool,
}

/// Who a file is served to; ordered from the most exposed (of several uploads of the same
/// bytes, the most exposed decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exposure {
    /// Everyone, cached by anyone for a year (its name is its content).
    Public,
    /// Not used by anything yet: served to whoever has its URL (the uploader's composer),
    /// never cached by shared caches.
    Fresh,
    /// Used only by hidden or deleted content: `404` unless the URL is signed.
    Withdrawn,
}

/// A file shown anywhere is public; one nothing uses yet is fresh; one only hidden or
/// deleted content uses is withdrawn.
pub fn exposure(uses: Uses) -> Exposure {
    if uses.shown {
        Exposure::Public
    } else if uses.used {
        Exposure::Withdrawn
    } else {
        Exposure::Fresh
    }
}

/// Whether a post by `author` may show an upload: the author's own uploads always (they are
/// writing the post that uses them), anyone else's only once public.
pub fn may_embed(uploader_is_author: bool, exposure: Exposure) -> bool {
    uploader_is_author || exposure == Exposure::Public
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uploads::domain::{ImageKind, Sniffed};

    fn quota(count: u32, megabytes: u64, attachments: bool) -> UploadQuota {
        UploadQuota {
            count,
            megabytes,
            attachments,
        }
    }

    #[test]
    fn the_daily_quota_counts_uploads_and_bytes() {
        let q = quota(2, 1, true);
        assert!(within_quota(&q, 0, 0, 1024 * 1024));
        assert!(!within_quota(&q, 0, 1, 1024 * 1024), "one byte over");
        assert!(within_quota(&q, 1, 0, 10));
        assert!(!within_quota(&q, 2, 0, 10), "third upload of the day");
    }

    #[test]
    fn thumbnails_keep_proportions_and_never_grow() {
        assert_eq!(thumbnail_size(4000, 3000, 1200), (1200, 900));
        assert_eq!(thumbnail_size(4000, 3000, 200), (200, 150));
        assert_eq!(thumbnail_size(150, 90, 200), (150, 90));
        assert_eq!(thumbnail_size(10_000, 1, 200), (200, 1));
    }

    #[test]
    fn the_pixel_limit_is_width_times_height() {
        assert!(dimensions_allowed(4000, 3000, 50_000_000));
        assert!(!dimensions_allowed(30_000, 30_000, 50_000_000));
        assert!(!dimensions_allowed(0, 10, 50_000_000));
    }

    #[test]
    fn exposure_follows_the_uses() {
        let shown = Uses {
            shown: true,
            used: true,
        };
        let hidden_only = Uses {
            shown: false,
            used: true,
        };
        assert_eq!(exposure(shown), Exposure::Public);
        assert_eq!(exposure(hidden_only), Exposure::Withdrawn);
        assert_eq!(exposure(Uses::default()), Exposure::Fresh);
    }

    #[test]
    fn someone_elses_upload_is_embedded_only_once_public() {
        assert!(may_embed(true, Exposure::Fresh));
        assert!(may_embed(false, Exposure::Public));
        assert!(!may_embed(false, Exposure::Fresh));
        assert!(!may_embed(false, Exposure::Withdrawn));
    }

    #[test]
    fn markup_and_unknown_bytes_are_never_allowed() {
        let settings = crate::config::Settings::load_from(
            &std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config"),
            &std::collections::HashMap::from([("DEVFORUM_ENV".into(), "test".into())]),
        )
        .expect("settings")
        .uploads;
        let everything = quota(10, 10, true);
        let images_only = quota(10, 10, false);
        let png = Sniffed::Image(ImageKind::Png);
        let pdf = crate::uploads::domain::sniff(b"%PDF-1.7\n");
        assert_eq!(type_allowed(png, &settings, &images_only), Ok(()));
        assert_eq!(type_allowed(pdf, &settings, &everything), Ok(()));
        assert_eq!(
            type_allowed(pdf, &settings, &images_only),
            Err(Refusal::UnsupportedType)
        );
        for never in [Sniffed::Markup, Sniffed::Unknown] {
            assert_eq!(
                type_allowed(never, &settings, &everything),
                Err(Refusal::UnsupportedType)
            );
        }
    }
}
