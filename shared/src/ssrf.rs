//! The guard on client-supplied webhook URLs (SSRF).
//!
//! A URL a client gives us is untrusted: it must be https (plain http only into networks the
//! operator opened with `WEBHOOK_ALLOWED_NETS`), and every address its host resolves to must be
//! global — not loopback, private, link-local (cloud metadata lives there), CGNAT, multicast,
//! reserved or documentation space, in IPv4 or IPv6, nor any of those wrapped in a v4-mapped,
//! v4-compatible, NAT64 or 6to4 address. One bad address refuses the host. The delivery client
//! resolves through [`GuardedResolver`], which applies the same rule at connect time, so the
//! connection goes only to vetted addresses and a DNS answer that changes between the check and
//! the connection (rebinding) changes nothing. IP-literal hosts never reach a resolver, so
//! [`UrlGuard::vet`] checks them itself before every send. The operator's own `WEBHOOK_URL` is
//! trusted and does not pass through here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// Whether `ip` is an ordinary public address.
pub fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => is_global_v6(v6),
    }
}

fn is_global_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0                                     // "this network"
        || a == 10                               // private
        || (a == 100 && (64..128).contains(&b))  // CGNAT (and Alibaba's metadata, 100.100.100.200)
        || a == 127                              // loopback
        || (a == 169 && b == 254)                // link-local: cloud metadata 169.254.169.254
        || (a == 172 && (16..32).contains(&b))   // private
        || (a == 192 && b == 0 && c == 0)        // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)        // documentation
        || (a == 192 && b == 88 && c == 99)      // 6to4 relay anycast
        || (a == 192 && b == 168)                // private
        || (a == 198 && (18..20).contains(&b))   // benchmarking
        || (a == 198 && b == 51 && c == 100)     // documentation
        || (a == 203 && b == 0 && c == 113)      // documentation
        || a >= 224) // multicast, reserved, broadcast
}

fn is_global_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let embedded_v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_global_v4(v4); // ::ffff:a.b.c.d
    }
    if s[..6] == [0; 6] {
        // ::, ::1 and the deprecated v4-compatible ::a.b.c.d
        return !ip.is_unspecified() && !ip.is_loopback() && is_global_v4(embedded_v4(s[6], s[7]));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_global_v4(embedded_v4(s[6], s[7])); // NAT64
    }
    if s[0] == 0x2002 {
        return is_global_v4(embedded_v4(s[1], s[2])); // 6to4
    }
    !((s[0] & 0xfe00) == 0xfc00                  // unique local fc00::/7 (fd00:ec2::254 metadata)
        || (s[0] & 0xffc0) == 0xfe80             // link-local
        || (s[0] & 0xffc0) == 0xfec0             // site-local (deprecated)
        || (s[0] & 0xff00) == 0xff00             // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8)    // documentation
        || (s[0] == 0x2001 && s[1] < 0x0200)     // IETF protocol assignments (Teredo, ORCHID, ...)
        || (s[0] == 0x0100 && s[1..4] == [0; 3]) // discard-only
        || (s[0] & 0xe000) != 0x2000) // outside global unicast 2000::/3
}

/// The rule for client-supplied webhook URLs.
#[derive(Clone, Debug, Default)]
pub struct UrlGuard {
    allowed: Arc<Vec<IpNet>>,
}

impl UrlGuard {
    /// `allowed_nets`: CIDRs, comma- or space-separated, that are reachable even though not global
    /// (and where plain http is accepted).
    pub fn new(allowed_nets: &str) -> Result<Self, String> {
        let allowed = allowed_nets
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(|net| {
                net.parse::<IpNet>()
                    .or_else(|_| net.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{net:?} is not a CIDR such as 10.0.0.0/8"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            allowed: Arc::new(allowed),
        })
    }

    fn allowed(&self, ip: IpAddr) -> bool {
        self.allowed.iter().any(|net| net.contains(&ip))
    }

    /// Whether a connection to `ip` is acceptable.
    pub fn permits(&self, ip: IpAddr) -> bool {
        is_global(ip) || self.allowed(ip)
    }

    /// Checks a client-supplied URL: its form, then every address its host resolves to. A refusal
    /// names the host, never the address it resolved to: the answer would let a caller map
    /// internal names (`redis`, cluster services) through us.
    pub async fn vet(&self, url: &str) -> Result<Url, UrlRefusal> {
        let refused = |why: String| Err(UrlRefusal::Refused(why));
        let url = match Url::parse(url) {
            Ok(url) => url,
            Err(e) => return refused(format!("not a valid URL: {e}")),
        };
        let Some(host) = url
            .host_str()
            .map(|h| h.trim_matches(['[', ']']).to_owned())
        else {
            return refused("the URL has no host".into());
        };
        let Some(port) = url.port_or_known_default() else {
            return refused("the URL has no port".into());
        };
        let (addresses, literal): (Vec<IpAddr>, bool) = match host.parse::<IpAddr>() {
            Ok(ip) => (vec![ip], true),
            Err(_) => match tokio::net::lookup_host((host.as_str(), port)).await {
                Ok(found) => (found.map(|a| a.ip()).collect(), false),
                // Not knowing is not a verdict: the lookup may work later.
                Err(_) => {
                    return Err(UrlRefusal::Unresolved(format!(
                        "{host} could not be resolved"
                    )))
                }
            },
        };
        if addresses.is_empty() {
            return Err(UrlRefusal::Unresolved(format!(
                "{host} could not be resolved"
            )));
        }
        if let Some(bad) = addresses.iter().find(|ip| !self.permits(**ip)) {
            let what = if literal {
                format!("{bad} is")
            } else {
                format!("{host} resolves to an address that is")
            };
            return refused(format!(
                "{what} not public (WEBHOOK_ALLOWED_NETS opens chosen ranges)"
            ));
        }
        match url.scheme() {
            "https" => Ok(url),
            "http" if addresses.iter().all(|ip| self.allowed(*ip)) => Ok(url),
            "http" => refused("webhook URLs must use https".into()),
            other => refused(format!("unsupported scheme {other:?}")),
        }
    }
}

/// Why a client-supplied webhook URL is not used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    /// The URL, or an address its host resolves to, is not allowed: trying again cannot help.
    #[error("{0}")]
    Refused(String),
    /// Its host could not be resolved just now (a timeout, SERVFAIL, no resolver, or no such
    /// name): a lookup that may work later.
    #[error("{0}")]
    Unresolved(String),
}

/// DNS for the delivery client: resolves with the system, then refuses the host unless every
/// address passes the guard, so connections go only to the addresses just vetted.
pub struct GuardedResolver {
    pub guard: UrlGuard,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.guard.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if found.is_empty() || found.iter().any(|a| !guard.permits(a.ip())) {
                return Err(format!("{host} resolves to an address webhooks may not reach").into());
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_global_addresses_are_refused() {
        for ip in [
            "0.0.0.0",
            "10.1.2.3",
            "100.64.0.1",
            "100.100.100.200",
            "127.0.0.1",
            "127.8.8.8",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.1",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "fc00::1",
            "fd00:ec2::254",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "100::1",
        ] {
            assert!(!is_global(ip.parse().unwrap()), "{ip} passed as global");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "2a00:1450:4001::1",
        ] {
            assert!(is_global(ip.parse().unwrap()), "{ip} refused");
        }
    }

    #[tokio::test]
    async fn urls_are_vetted_by_scheme_and_every_address() {
        let guard = UrlGuard::new("").unwrap();
        for (url, why) in [
            ("http://8.8.8.8/hook", "https"),
            ("https://127.0.0.1/hook", "127.0.0.1"),
            (
                "https://localhost/hook",
                "localhost resolves to an address that is not public",
            ),
            ("https://[::ffff:127.0.0.1]/hook", "public"),
            (
                "https://169.254.169.254/latest/meta-data",
                "169.254.169.254",
            ),
            ("https://[fd00::1]/hook", "fd00::1"),
            ("ftp://8.8.8.8/hook", "scheme"),
            ("not a url", "valid URL"),
        ] {
            let err = guard.vet(url).await.unwrap_err();
            assert!(matches!(err, UrlRefusal::Refused(_)), "{url}: {err:?}");
            assert!(err.to_string().contains(why), "{url}: {err}");
        }
        assert!(guard.vet("https://8.8.8.8/hook").await.is_ok());
        assert!(matches!(
            guard.vet("https://no-such-host.invalid/hook").await,
            Err(UrlRefusal::Unresolved(_))
        ));
    }

    #[tokio::test]
    async fn allowed_nets_open_chosen_ranges_even_over_http() {
        let guard = UrlGuard::new("127.0.0.0/8, 10.0.0.0/8").unwrap();
        assert!(guard.vet("http://127.0.0.1:8080/hook").await.is_ok());
        assert!(guard.vet("https://10.1.1.1/hook").await.is_ok());
        assert!(guard.vet("http://192.168.1.1/hook").await.is_err());
        assert!(UrlGuard::new("10.0.0.0/33").is_err());
    }
}
