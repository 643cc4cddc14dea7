//! Tests of `status`.

use super::*;

#[test]
fn everything_a_writer_can_type_is_escaped() {
    let mut out = String::new();
    text_html(
        &mut out,
        "SEV2 – <script>alert('x')</script> & \"more\"\n- a <b>bullet</b>\n\u{7}bell",
    );
    assert!(!out.contains("<script"), "{out}");
    assert!(!out.contains("<b>"), "{out}");
    assert!(out.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;"));
    assert!(
        out.contains("<ul><li>a &lt;b&gt;bullet&lt;/b&gt;</li></ul>"),
        "{out}"
    );
    assert!(
        out.contains("\u{FFFD}bell"),
        "control characters are replaced: {out}"
    );
}

#[test]
fn revalidation_answers_not_modified_only_for_the_current_copy() {
    let etag = HeaderValue::from_static("\"abc\"");
    let modified = chrono::DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let with = |name, value: &str| {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    };
    assert!(not_modified(
        &with(header::IF_NONE_MATCH, "\"abc\""),
        &etag,
        modified
    ));
    assert!(not_modified(
        &with(header::IF_NONE_MATCH, "\"x\", W/\"abc\""),
        &etag,
        modified
    ));
    assert!(not_modified(
        &with(header::IF_NONE_MATCH, "*"),
        &etag,
        modified
    ));
    assert!(!not_modified(
        &with(header::IF_NONE_MATCH, "\"old\""),
        &etag,
        modified
    ));
    let since = http_date(modified);
    assert!(not_modified(
        &with(header::IF_MODIFIED_SINCE, &since),
        &etag,
        modified
    ));
    let before = http_date(modified - chrono::Duration::seconds(1));
    assert!(!not_modified(
        &with(header::IF_MODIFIED_SINCE, &before),
        &etag,
        modified
    ));
    // An ETag that does not match wins over a date that would.
    let mut both = with(header::IF_NONE_MATCH, "\"old\"");
    both.insert(
        header::IF_MODIFIED_SINCE,
        HeaderValue::from_str(&since).unwrap(),
    );
    assert!(!not_modified(&both, &etag, modified));
    assert!(!not_modified(&HeaderMap::new(), &etag, modified));
}

#[test]
fn gzip_is_taken_only_when_the_caller_accepts_it() {
    let with = |value: &str| {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        h
    };
    assert!(takes_gzip(&with("gzip, deflate, br")));
    assert!(takes_gzip(&with("br;q=1.0, gzip;q=0.8")));
    assert!(takes_gzip(&with("*")));
    assert!(!takes_gzip(&with("gzip;q=0")));
    // gzip named with q=0 is refused, whatever `*` says.
    assert!(!takes_gzip(&with("gzip;q=0, *")));
    assert!(!takes_gzip(&with("br, identity")));
    assert!(!takes_gzip(&HeaderMap::new()));
}

#[test]
fn characters_xml_forbids_never_reach_the_feed() {
    let mut out = String::new();
    esc(&mut out, "a\u{FFFE}b\u{FFFF}c\u{0}d");
    assert_eq!(out, "a\u{FFFD}b\u{FFFD}c\u{FFFD}d");
}
