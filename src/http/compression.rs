//! gzip for whole answers, on the worker that made them.
//!
//! actix-web's `Compress` (kept outermost, for every other coding and for streams) hands each
//! chunk of 1 KiB or more to the blocking pool and back: two thread wake-ups per answer, and a
//! fresh deflate state (a quarter of a megabyte, allocated and zeroed) each time. Most answers
//! are JSON a few kilobytes long, made whole by their handler, for clients that accept gzip
//! (every browser does). This middleware, placed just inside `Compress`, gzips
//! such an answer where it stands, with one deflate state per worker thread, and says
//! `Content-Encoding: gzip`, so `Compress` lets it through untouched.
//!
//! A client that weighs `br` or `zstd` above gzip still gets it from `Compress`; one that
//! weighs them alike gets gzip (see [`negotiates_gzip`]). Answers this leaves alone:
//! those without a known size or larger than [`IN_PLACE_LIMIT`] (they go on to `Compress` and
//! the blocking pool), those already encoded, images other than SVG, video, and statuses that
//! carry no representation to encode.

use std::cell::RefCell;
use std::future::poll_fn;
use std::pin::pin;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    self, AcceptEncoding, ContentEncoding, Encoding, HeaderMap, HeaderValue, Preference, Quality,
};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::mime::{self, Mime};
use actix_web::{Error, HttpMessage};
use flate2::{Compress, Compression, FlushCompress, Status};

/// Answers up to this size are gzipped on the worker: at level 1 that is well under a
/// millisecond. Larger ones go to `Compress`, which works on the blocking pool.
pub const IN_PLACE_LIMIT: u64 = 256 * 1024;

/// Whether the client, by its `Accept-Encoding`, is answered with gzip here: gzip is
/// acceptable and the client weighs no other coding (`br`, `zstd`, `deflate`, or `identity`
/// when named) above it. Where the client weighs several alike, as browsers do
/// (`gzip, deflate, br, zstd`), the server chooses (RFC 9110, 12.5.3), and for answers made on
/// each request it chooses gzip: at level 1 on the worker it serves three times as many pages
/// as brotli does, for a body about a third larger (docs/performance-log.md). No header, or one
/// that does not parse, is identity.
pub fn negotiates_gzip(request: &impl HttpMessage) -> bool {
    let Some(AcceptEncoding(accepted)) = request.get_header::<AcceptEncoding>() else {
        return false;
    };
    let named = |coding: &Encoding| {
        accepted
            .iter()
            .find(|item| matches!(&item.item, Preference::Specific(named) if named == coding))
            .map(|item| item.quality)
    };
    let any = accepted
        .iter()
        .find(|item| item.item == Preference::Any)
        .map(|item| item.quality);
    let weight = |coding: Encoding| named(&coding).or(any).unwrap_or(Quality::ZERO);
    let gzip = weight(Encoding::gzip());
    gzip > Quality::ZERO
        && [Encoding::brotli(), Encoding::zstd(), Encoding::deflate()]
            .into_iter()
            .all(|other| weight(other) <= gzip)
        && named(&Encoding::identity()).is_none_or(|identity| identity <= gzip)
}

/// Whether an answer with this status, these headers and this body size is gzipped here.
pub fn encodes_in_place(status: StatusCode, headers: &HeaderMap, size: BodySize) -> bool {
    let sized = matches!(size, BodySize::Sized(n) if n > 0 && n <= IN_PLACE_LIMIT);
    sized
        && !matches!(
            status,
            StatusCode::SWITCHING_PROTOCOLS | StatusCode::NO_CONTENT | StatusCode::PARTIAL_CONTENT
        )
        && !headers.contains_key(header::CONTENT_ENCODING)
        && compressible(headers.get(header::CONTENT_TYPE))
}

/// `Compress`'s rule: everything but images (SVG excepted) and video.
fn compressible(content_type: Option<&HeaderValue>) -> bool {
    let Some(mime) = content_type
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<Mime>().ok())
    else {
        return true;
    };
    match mime.type_() {
        mime::IMAGE => mime.subtype() == mime::SVG,
        mime::VIDEO => false,
        _ => true,
    }
}

thread_local! {
    /// A deflate state kept per thread between answers: reset instead of made anew.
    static SPARE_DEFLATE: RefCell<Option<Compress>> = const { RefCell::new(None) };
}

/// A gzip member (RFC 1952) of the chunks written, at level 1 as `Compress` does. It holds its
/// deflate state until `finish`, so answers whose bodies arrive in chunks on the same thread
/// never share one; the state goes back to the thread's spare slot then.
pub struct GzipWriter {
    state: Compress,
    out: Vec<u8>,
}

impl GzipWriter {
    pub fn with_capacity(input_size: usize) -> Self {
        let state = SPARE_DEFLATE
            .with(|spare| spare.borrow_mut().take())
            .unwrap_or_else(|| Compress::new_gzip(Compression::fast(), 15));
        // JSON and HTML shrink to a quarter or so; the vector grows if they do not.
        Self {
            state,
            out: Vec::with_capacity(input_size / 3 + 64),
        }
    }

    /// Compresses `chunk`; the last one is `finish`ed.
    pub fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.deflate(chunk, FlushCompress::None)
    }

    pub fn finish(mut self) -> std::io::Result<Vec<u8>> {
        self.deflate(&[], FlushCompress::Finish)?;
        let Self { mut state, out } = self;
        state.reset();
        SPARE_DEFLATE.with(|spare| *spare.borrow_mut() = Some(state));
        Ok(out)
    }

    fn deflate(&mut self, mut input: &[u8], flush: FlushCompress) -> std::io::Result<()> {
        loop {
            if self.out.len() == self.out.capacity() {
                self.out.reserve(self.out.capacity().max(4096));
            }
            let before = self.state.total_in();
            let status = self
                .state
                .compress_vec(input, &mut self.out, flush)
                .map_err(std::io::Error::other)?;
            input = &input[(self.state.total_in() - before) as usize..];
            let done = match flush {
                FlushCompress::Finish => status == Status::StreamEnd,
                // All taken in, and stopped with room to spare: nothing is waiting to come out.
                _ => input.is_empty() && self.out.len() < self.out.capacity(),
            };
            if done {
                return Ok(());
            }
        }
    }
}

/// gzips `bytes` whole.
pub fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut writer = GzipWriter::with_capacity(bytes.len());
    writer.write(bytes)?;
    writer.finish()
}

/// The middleware (see the module's text).
pub async fn gzip_in_place(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let wants_gzip = negotiates_gzip(&req);
    let response = next.call(req).await?.map_into_boxed_body();
    let size = response.response().body().size();
    if !wants_gzip || !encodes_in_place(response.status(), response.headers(), size) {
        return Ok(response);
    }
    let BodySize::Sized(size) = size else {
        return Ok(response);
    };
    let (request, response) = response.into_parts();
    let (mut response, body) = response.into_parts();
    let mut writer = GzipWriter::with_capacity(size as usize);
    let mut body = pin!(body);
    while let Some(chunk) = poll_fn(|cx| body.as_mut().poll_next(cx)).await {
        writer.write(&chunk?)?;
    }
    let gzipped = writer.finish()?;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_ENCODING,
        ContentEncoding::Gzip.to_header_value(),
    );
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.remove(header::CONTENT_LENGTH);
    let response = response.set_body(BoxBody::new(gzipped));
    Ok(ServiceResponse::new(request, response))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use actix_web::test::TestRequest;

    use super::*;

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                header::HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    #[test]
    fn gzip_round_trips_and_the_state_is_reused_cleanly() {
        let big: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("{{\"id\":{i},\"body\":\"reply {}\"}},", i % 97).into_bytes())
            .collect();
        for input in [&b"x"[..], b"", &big, b"{\"items\":[]}", &big[..70_000]] {
            let once = gzip(input).unwrap();
            assert_eq!(gunzip(&once), input, "{} bytes", input.len());
            // The same thread's state, reset, gives the same member again.
            assert_eq!(gzip(input).unwrap(), once);
        }
        let mut chunked = GzipWriter::with_capacity(0);
        for chunk in big.chunks(7_001) {
            chunked.write(chunk).unwrap();
        }
        assert_eq!(gunzip(&chunked.finish().unwrap()), big);
    }

    #[test]
    fn gzip_is_chosen_unless_the_client_weighs_another_coding_above_it() {
        let gets_gzip = |value: &'static str| {
            negotiates_gzip(
                &TestRequest::default()
                    .insert_header(("accept-encoding", value))
                    .to_http_request(),
            )
        };
        assert!(gets_gzip("gzip"));
        assert!(gets_gzip("gzip, deflate, br, zstd"), "what browsers send");
        assert!(gets_gzip("br, gzip"), "alike: the server's choice");
        assert!(gets_gzip("br;q=0.5, gzip"));
        assert!(gets_gzip("*"));
        assert!(gets_gzip("identity;q=0.5, gzip"));
        assert!(!gets_gzip("br"));
        assert!(!gets_gzip("gzip;q=0.5, br"));
        assert!(!gets_gzip("zstd, gzip;q=0.9"));
        assert!(!gets_gzip("*;q=0.8, gzip;q=0.5"), "br weighs 0.8 through *");
        assert!(!gets_gzip("gzip;q=0"));
        assert!(!gets_gzip("identity"));
        assert!(!gets_gzip("identity, gzip;q=0.5"));
        assert!(!negotiates_gzip(&TestRequest::default().to_http_request()));
    }

    #[test]
    fn only_whole_compressible_answers_of_bounded_size_are_encoded_here() {
        let json = headers(&[("content-type", "application/json")]);
        let ok = StatusCode::OK;
        assert!(encodes_in_place(ok, &json, BodySize::Sized(48_000)));
        assert!(encodes_in_place(ok, &HeaderMap::new(), BodySize::Sized(10)));
        assert!(!encodes_in_place(ok, &json, BodySize::Sized(0)));
        assert!(!encodes_in_place(
            ok,
            &json,
            BodySize::Sized(IN_PLACE_LIMIT + 1)
        ));
        assert!(!encodes_in_place(ok, &json, BodySize::Stream));
        assert!(!encodes_in_place(ok, &json, BodySize::None));
        assert!(!encodes_in_place(
            StatusCode::PARTIAL_CONTENT,
            &json,
            BodySize::Sized(10)
        ));
        let encoded = headers(&[("content-type", "text/css"), ("content-encoding", "br")]);
        assert!(!encodes_in_place(ok, &encoded, BodySize::Sized(10)));
        let png = headers(&[("content-type", "image/png")]);
        assert!(!encodes_in_place(ok, &png, BodySize::Sized(10)));
        let svg = headers(&[("content-type", "image/svg+xml")]);
        assert!(encodes_in_place(ok, &svg, BodySize::Sized(10)));
    }
}
