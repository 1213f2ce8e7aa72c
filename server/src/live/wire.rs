//! Small text helpers of the LiveView corner: HTML escaping (LiveView sends dynamics already
//! escaped) and `application/x-www-form-urlencoded` decoding (form events carry the form that
//! way, and `live_patch` carries a URL whose query holds the params).

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one urlencoded component: `+` is a space, `%XX` a byte; a malformed escape stays
/// as written; invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(part: &str) -> String {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                match (
                    bytes.get(i + 1).copied().and_then(hex),
                    bytes.get(i + 2).copied().and_then(hex),
                ) {
                    (Some(h), Some(l)) => {
                        out.push(h << 4 | l);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits `a=1&b=2` into decoded pairs (a key without `=` has an empty value).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

/// The value of `key` in a urlencoded string (the last one wins, as in Plug).
pub fn query_value(query: &str, key: &str) -> Option<String> {
    parse_query(query)
        .into_iter()
        .rev()
        .find_map(|(k, v)| (k == key).then_some(v))
}

/// Splits a URL (absolute or a path) into its path and query, dropping any fragment.
/// `http://h:1/live-demo?tab=a#x` gives `("/live-demo", "tab=a")`.
pub fn split_url(url: &str) -> (&str, &str) {
    let url = url.split_once('#').map_or(url, |(u, _)| u);
    let rest = match url.split_once("://") {
        Some((_, after)) => after.find('/').map_or("/", |i| &after[i..]),
        None => url,
    };
    match rest.split_once('?') {
        Some((path, query)) => (path, query),
        None => (rest, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape_html("plain ünïcode"), "plain ünïcode");
    }

    #[test]
    fn decodes() {
        assert_eq!(percent_decode("a+b%20c%3D%26"), "a b c=&");
        assert_eq!(percent_decode("%E2%82%AC"), "€");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
        assert_eq!(
            parse_query("user%5Bname%5D=al+ice&_target=x&flag&&"),
            vec![
                ("user[name]".to_string(), "al ice".to_string()),
                ("_target".to_string(), "x".to_string()),
                ("flag".to_string(), String::new()),
            ]
        );
        assert_eq!(query_value("a=1&a=2", "a").as_deref(), Some("2"));
        assert_eq!(query_value("a=1", "b"), None);
    }

    #[test]
    fn urls() {
        assert_eq!(
            split_url("http://127.0.0.1:4000/live-demo?tab=a#top"),
            ("/live-demo", "tab=a")
        );
        assert_eq!(split_url("https://example.com"), ("/", ""));
        assert_eq!(split_url("/live-demo"), ("/live-demo", ""));
        assert_eq!(split_url("/x?"), ("/x", ""));
    }
}
