//! Who may talk to the server: the token, and the Host and Origin checks
//! against DNS rebinding and cross-site requests. Pure functions over header
//! values, so that every rule is tested without a socket.

use std::fmt::Write as _;

/// The header a script sends the token in.
pub const TOKEN_HEADER: &str = "x-nslab-token";

/// The server's secret and where it listens.
#[derive(Debug, Clone)]
pub struct Access {
    token: String,
    port: u16,
}

/// Why a request is refused (403), in words for the response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Host is not `127.0.0.1:PORT` or `localhost:PORT`: a DNS-rebinding
    /// page, or a client that reached the server some other way.
    Host,
    /// Origin (or Sec-Fetch-Site) says the request comes from another site.
    Origin,
    /// No token, or a wrong one.
    Token,
}

impl Refusal {
    /// What the refused client is told.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Host => "refused: the Host header must be 127.0.0.1:PORT or localhost:PORT (DNS rebinding protection)",
            Refusal::Origin => "refused: this request comes from another site (Origin check)",
            Refusal::Token => "refused: this server needs its token; open the URL `nslab serve` printed",
        }
    }
}

/// The headers and query a request brings, as far as access is concerned.
#[derive(Debug, Default, Clone, Copy)]
pub struct Credentials<'a> {
    /// The Host header.
    pub host: Option<&'a str>,
    /// The Origin header.
    pub origin: Option<&'a str>,
    /// The Sec-Fetch-Site header.
    pub fetch_site: Option<&'a str>,
    /// The X-Nslab-Token header.
    pub token_header: Option<&'a str>,
    /// The Cookie header(s), joined.
    pub cookies: Option<&'a str>,
}

impl Access {
    /// Access for a server on `port` with `token`.
    pub fn new(token: String, port: u16) -> Access {
        Access { token, port }
    }

    /// The token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The name of the cookie that carries the token; it names the port,
    /// since cookies are shared by every port of a host.
    pub fn cookie_name(&self) -> String {
        format!("nslab_token_{}", self.port)
    }

    /// The Set-Cookie value that lets the browser carry the token: HttpOnly
    /// (no script reads it), SameSite=Strict (no other site's page sends it).
    pub fn set_cookie(&self) -> String {
        format!("{}={}; Path=/; HttpOnly; SameSite=Strict", self.cookie_name(), self.token)
    }

    /// True when `host` is one of the server's own names.
    pub fn host_ok(&self, host: &str) -> bool {
        host == format!("127.0.0.1:{}", self.port) || host == format!("localhost:{}", self.port)
    }

    /// Checks Host and Origin: the request must be addressed to this server
    /// by name, and, when a browser says where it comes from, come from a
    /// page of this server.
    pub fn check_site(&self, c: &Credentials) -> Result<(), Refusal> {
        let host = c.host.filter(|h| self.host_ok(h)).ok_or(Refusal::Host)?;
        if let Some(origin) = c.origin
            && origin != format!("http://{host}")
        {
            return Err(Refusal::Origin);
        }
        if c.fetch_site.is_some_and(|s| s == "cross-site" || s == "same-site") {
            return Err(Refusal::Origin);
        }
        Ok(())
    }

    /// True when the header or the cookie carries the token.
    pub fn has_token(&self, c: &Credentials) -> bool {
        if c.token_header.is_some_and(|t| self.is_token(t)) {
            return true;
        }
        let name = self.cookie_name();
        c.cookies.is_some_and(|all| all.split(';').filter_map(|kv| kv.trim().split_once('=')).any(|(k, v)| k == name && self.is_token(v)))
    }

    /// Compares in time independent of where the first difference is.
    pub fn is_token(&self, candidate: &str) -> bool {
        let (a, b) = (self.token.as_bytes(), candidate.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    /// The whole check: site first, then the token.
    pub fn check(&self, c: &Credentials) -> Result<(), Refusal> {
        self.check_site(c)?;
        if self.has_token(c) { Ok(()) } else { Err(Refusal::Token) }
    }
}

/// A new token: 32 random bytes from the kernel, in hex.
pub fn new_token() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}

/// A short random id (for sessions): 16 random bytes in hex.
pub fn new_id() -> std::io::Result<String> {
    new_token().map(|t| t[..32].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access() -> Access {
        Access::new("ab".repeat(32), 4000)
    }

    fn creds<'a>(host: &'a str, origin: Option<&'a str>) -> Credentials<'a> {
        Credentials { host: Some(host), origin, ..Credentials::default() }
    }

    #[test]
    fn hosts() {
        let a = access();
        for (host, ok) in [
            ("127.0.0.1:4000", true),
            ("localhost:4000", true),
            ("127.0.0.1:4001", false),
            ("127.0.0.1", false),
            ("evil.example:4000", false),
            ("localhost.evil.example:4000", false),
            ("[::1]:4000", false),
        ] {
            assert_eq!(a.check_site(&creds(host, None)).is_ok(), ok, "{host}");
        }
        assert_eq!(a.check_site(&Credentials::default()), Err(Refusal::Host));
    }

    #[test]
    fn origins() {
        let a = access();
        for (host, origin, ok) in [
            ("127.0.0.1:4000", "http://127.0.0.1:4000", true),
            ("localhost:4000", "http://localhost:4000", true),
            ("127.0.0.1:4000", "http://localhost:4000", false),
            ("127.0.0.1:4000", "https://127.0.0.1:4000", false),
            ("127.0.0.1:4000", "http://evil.example", false),
            ("127.0.0.1:4000", "null", false),
        ] {
            assert_eq!(a.check_site(&creds(host, Some(origin))).is_ok(), ok, "{origin}");
        }
        let cross = Credentials { fetch_site: Some("cross-site"), ..creds("127.0.0.1:4000", None) };
        assert_eq!(a.check_site(&cross), Err(Refusal::Origin));
        let same = Credentials { fetch_site: Some("same-origin"), ..creds("127.0.0.1:4000", None) };
        assert!(a.check_site(&same).is_ok());
    }

    #[test]
    fn tokens() {
        let a = access();
        let t = "ab".repeat(32);
        let base = creds("127.0.0.1:4000", None);
        assert_eq!(a.check(&base), Err(Refusal::Token));
        assert!(a.check(&Credentials { token_header: Some(&t), ..base }).is_ok());
        assert_eq!(a.check(&Credentials { token_header: Some("ab"), ..base }), Err(Refusal::Token));
        let cookie = format!("theme=x; nslab_token_4000={t}");
        assert!(a.check(&Credentials { cookies: Some(&cookie), ..base }).is_ok());
        let other_port = format!("nslab_token_4001={t}");
        assert_eq!(a.check(&Credentials { cookies: Some(&other_port), ..base }), Err(Refusal::Token));
        assert!(a.set_cookie().contains("HttpOnly") && a.set_cookie().contains("SameSite=Strict"));
    }

    #[test]
    fn new_tokens_are_64_hex_digits_and_differ() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
