//! What an upload is: its purpose, what its bytes say it is, the names it is served under,
//! and the files a post's Markdown refers to.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

crate::text_enum! {
    /// What a member uploads a file for.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum Purpose ("upload purpose") {
        /// A screenshot or an attachment for a post.
        Post => "post",
        /// The member's picture (square-cropped).
        Avatar => "avatar",
    }
}

/// An image format devforum decodes and re-encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl ImageKind {
    pub fn format(self) -> image::ImageFormat {
        match self {
            ImageKind::Png => image::ImageFormat::Png,
            ImageKind::Jpeg => image::ImageFormat::Jpeg,
            ImageKind::Gif => image::ImageFormat::Gif,
            ImageKind::Webp => image::ImageFormat::WebP,
        }
    }
}

/// A file type devforum may keep as an attachment, named by the extension its bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachmentKind {
    pub extension: &'static str,
    pub content_type: &'static str,
}

/// What the first bytes of a file say it is. Never the name, never the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Image(ImageKind),
    Attachment(AttachmentKind),
    /// HTML, XML or SVG: never kept (a browser runs their scripts).
    Markup,
    Unknown,
}

/// How many leading bytes [`sniff`] wants to decide.
pub const SNIFF_BYTES: usize = 8192;

const ATTACHMENTS: &[AttachmentKind] = &[
    AttachmentKind {
        extension: "pdf",
        content_type: "application/pdf",
    },
    AttachmentKind {
        extension: "zip",
        content_type: "application/zip",
    },
    AttachmentKind {
        extension: "gz",
        content_type: "application/gzip",
    },
];

const TEXT: AttachmentKind = AttachmentKind {
    extension: "txt",
    content_type: "text/plain; charset=utf-8",
};

/// Reads the type from the file's first bytes (`head`: up to [`SNIFF_BYTES`], all of it when
/// the file is shorter).
pub fn sniff(head: &[u8]) -> Sniffed {
    if let Some(found) = infer::get(head) {
        return match found.mime_type() {
            "image/png" => Sniffed::Image(ImageKind::Png),
            "image/jpeg" => Sniffed::Image(ImageKind::Jpeg),
            "image/gif" => Sniffed::Image(ImageKind::Gif),
            "image/webp" => Sniffed::Image(ImageKind::Webp),
            "text/html" | "text/xml" | "application/xml" | "image/svg+xml" => Sniffed::Markup,
            mime => ATTACHMENTS
                .iter()
                .find(|kind| kind.content_type == mime)
                .map_or(Sniffed::Unknown, |kind| Sniffed::Attachment(*kind)),
        };
    }
    if looks_like_markup(head) {
        Sniffed::Markup
    } else if is_text(head) {
        Sniffed::Attachment(TEXT)
    } else {
        Sniffed::Unknown
    }
}

/// Text whose first character is `<`: HTML, XML and SVG, whatever the name says.
fn looks_like_markup(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    head.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|first| *first == b'<')
}

/// UTF-8 without NUL or other control characters but tabs and line breaks; a character cut
/// by the end of `head` is fine.
fn is_text(head: &[u8]) -> bool {
    if head.is_empty() {
        return false;
    }
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(cut) if cut.error_len().is_none() => {
            // Only the last character is incomplete.
            std::str::from_utf8(&head[..cut.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    text.chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
}

/// An attachment type by the extension an operator lists in `uploads.attachment_types`.
pub fn attachment_extension_known(extension: &str) -> bool {
    extension == TEXT.extension || ATTACHMENTS.iter().any(|k| k.extension == extension)
}

/// Which file of an upload a `/files/` name asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    Original,
    Small,
    Large,
}

impl Variant {
    fn suffix(self) -> &'static str {
        match self {
            Variant::Original => "",
            Variant::Small => "_small",
            Variant::Large => "_large",
        }
    }
}

/// The path a stored file is served under: `/files/<sha256>[_small|_large].<ext>`.
pub const FILES_PATH: &str = crate::markdown::FILES_PATH;

/// A file's name under [`FILES_PATH`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileName {
    pub sha256: String,
    pub variant: Variant,
    pub extension: String,
}

impl FileName {
    pub fn new(sha256: &str, variant: Variant, extension: &str) -> Self {
        FileName {
            sha256: sha256.to_string(),
            variant,
            extension: extension.to_string(),
        }
    }

    /// `None` for anything but `<64 lowercase hex>[_small|_large].<1–8 [a-z0-9]>`.
    pub fn parse(name: &str) -> Option<Self> {
        let (stem, extension) = name.split_once('.')?;
        if extension.is_empty()
            || extension.len() > 8
            || !extension
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return None;
        }
        let (sha256, variant) = match stem.split_once('_') {
            None => (stem, Variant::Original),
            Some((sha, "small")) => (sha, Variant::Small),
            Some((sha, "large")) => (sha, Variant::Large),
            Some(_) => return None,
        };
        is_sha256(sha256).then(|| FileName::new(sha256, variant, extension))
    }

    /// `/files/<name>`.
    pub fn url(&self) -> String {
        format!("{FILES_PATH}{self}")
    }

    /// Where the bytes are in the store: sharded by the hash's first two bytes.
    pub fn key(&self) -> String {
        format!(
            "{}/{}/{}{}",
            &self.sha256[..2],
            &self.sha256[2..4],
            self.sha256,
            self.variant.suffix()
        )
    }
}

impl std::fmt::Display for FileName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}{}.{}",
            self.sha256,
            self.variant.suffix(),
            self.extension
        )
    }
}

pub fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The files a post's Markdown refers to (`/files/<sha256>…`, relative or on any host), each
/// hash once, in order of appearance. Text without `/files/` costs one substring search.
pub fn referenced_files(markdown: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = markdown;
    while let Some(at) = rest.find(FILES_PATH) {
        rest = &rest[at + FILES_PATH.len()..];
        if let Some(candidate) = rest.get(..64) {
            if is_sha256(candidate) && !found.iter().any(|known| known == candidate) {
                found.push(candidate.to_string());
            }
        }
    }
    found
}

/// A file name a member gave, kept for the attachment's download name: its last path part,
/// without control characters, at most 255 characters.
pub fn clean_original_name(name: Option<&str>) -> String {
    let name = name.unwrap_or_default();
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    last.chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(255)
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn the_type_comes_from_the_bytes() {
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Sniffed::Image(ImageKind::Png)
        );
        assert_eq!(
            sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF\0"),
            Sniffed::Image(ImageKind::Jpeg)
        );
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0"), Sniffed::Image(ImageKind::Gif));
        assert_eq!(sniff(b"%PDF-1.7\n"), Sniffed::Attachment(ATTACHMENTS[0]));
        assert_eq!(
            sniff(b"cargo build\nerror[E0308]\n"),
            Sniffed::Attachment(TEXT)
        );
        assert_eq!(sniff(b"\0\x01\x02binary"), Sniffed::Unknown);
        assert_eq!(sniff(b""), Sniffed::Unknown);
    }

    #[test]
    fn markup_is_never_text_whatever_it_starts_with() {
        assert_eq!(sniff(b"<!DOCTYPE html><script>"), Sniffed::Markup);
        assert_eq!(sniff(b"  \n<svg onload=alert(1)>"), Sniffed::Markup);
        assert_eq!(sniff(b"\xEF\xBB\xBF<html>"), Sniffed::Markup);
        assert_eq!(sniff(b"<?xml version=\"1.0\"?>"), Sniffed::Markup);
    }

    #[test]
    fn text_cut_in_the_middle_of_a_character_is_still_text() {
        let text = "héllo".as_bytes();
        assert_eq!(sniff(&text[..2]), Sniffed::Attachment(TEXT));
        assert_eq!(sniff(b"\xC3\x28 not utf-8"), Sniffed::Unknown);
    }

    #[test]
    fn file_names_round_trip_and_nothing_else_parses() {
        for variant in [Variant::Original, Variant::Small, Variant::Large] {
            let name = FileName::new(SHA, variant, "png");
            assert_eq!(FileName::parse(&name.to_string()), Some(name));
        }
        assert_eq!(
            FileName::new(SHA, Variant::Small, "jpg").key(),
            format!("01/23/{SHA}_small")
        );
        for bad in [
            "x.png",
            SHA,
            &format!("{SHA}.PNG"),
            &format!("{SHA}_tiny.png"),
            &format!("{SHA}.png.html"),
            &format!("{}.png", SHA.to_uppercase()),
            &format!("../{SHA}.png"),
        ] {
            assert_eq!(FileName::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_post_refers_to_each_file_once_relative_or_absolute() {
        let other = SHA.replace('0', "f");
        let markdown = format!(
            "![shot](/files/{SHA}.png) and [log](https://forum.example/files/{other}.txt) \
             and again ![](/files/{SHA}_large.jpg) but not /files/{}.png",
            &SHA[..10]
        );
        assert_eq!(referenced_files(&markdown), vec![SHA.to_string(), other]);
        assert!(referenced_files("no files here").is_empty());
    }

    #[test]
    fn original_names_keep_their_last_part_only() {
        assert_eq!(
            clean_original_name(Some("C:\\Users\\ada\\build log.txt")),
            "build log.txt"
        );
        assert_eq!(clean_original_name(Some("../../etc/\"pass\"\n")), "pass");
        assert_eq!(clean_original_name(None), "");
    }
}
