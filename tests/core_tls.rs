//! TLS on the safe core (the header: TLS): verification verdicts, handshake order, mTLS, ALPN, SNI,
//! STARTTLS, bulk data, bad options. Fixtures come from tests/tls/make-fixtures.sh (openssl).

mod common;

use bun_tcp::error::{ETLS_BAD_PEM, ETLS_KEY_ENCRYPTED, ETLS_KEY_MISMATCH};
use bun_tcp::{ConnectOptions, EventLoop, ListenOptions, SocketId, TlsOptions};
use common::{Event, LIMIT, Recorder, run_until};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::OnceLock;

fn fixtures() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("tls-fixtures");
        let status = std::process::Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls/make-fixtures.sh"))
            .arg(&dir)
            .status()
            .expect("bash runs");
        assert!(status.success(), "make-fixtures.sh failed (is openssl installed?)");
        dir
    })
}

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).unwrap()
}

fn server_tls(cert: &str, key: &str) -> TlsOptions {
    TlsOptions { certs: vec![pem(cert)], keys: vec![pem(key)], ..Default::default() }
}

fn trusting_ca() -> TlsOptions {
    TlsOptions { cas: vec![pem("ca.crt")], ..Default::default() }
}

fn listen(lp: &EventLoop, tls: TlsOptions, h: Rc<Recorder>) -> u16 {
    let opts = ListenOptions { hostname: Some("127.0.0.1".into()), tls: Some(tls), ..Default::default() };
    let l = lp.listen(&opts, h).expect("listen");
    lp.set_listener_ref(l, false).unwrap();
    lp.listener_port(l).unwrap()
}

fn connect(lp: &EventLoop, host: &str, port: u16, tls: TlsOptions, h: Rc<Recorder>) -> SocketId {
    let opts = ConnectOptions { hostname: Some(host.into()), port, tls: Some(tls), ..Default::default() };
    lp.connect(&opts, h).expect("connect")
}

fn closed(r: &Recorder) -> bool {
    r.count(|e| matches!(e, Event::Close(_) | Event::ConnectError(_))) == 1
}

/// Echo server: answers every chunk with itself.
fn echo_server() -> Rc<Recorder> {
    let server = Recorder::with_handshake(&[]);
    server.on(|lp, s, e| {
        if let Event::Data(d) = e {
            lp.write_all(s, d).unwrap();
        }
    });
    server
}

#[test]
fn trusted_server_handshake_then_echo() {
    let lp = EventLoop::new().unwrap();
    let port = listen(&lp, server_tls("server.crt", "server.key"), echo_server());
    let client = Recorder::with_handshake(&[]);
    client.on(|lp, s, e| match e {
        Event::Open => assert_eq!(lp.write(s, b"early").unwrap(), 0, "no writes before the handshake"),
        Event::Handshake(true, None) => {
            assert!(lp.authorized(s).unwrap());
            assert_eq!(lp.tls_version(s).unwrap(), Some("TLSv1.3"));
            assert!(lp.cipher(s).unwrap().unwrap().starts_with("TLS_"));
            assert!(lp.peer_certificate(s).unwrap().unwrap().len() > 100);
        }
        Event::Drain => {
            lp.end(s, b"hello tls").unwrap();
        }
        _ => {}
    });
    connect(&lp, "localhost", port, trusting_ca(), client.clone());
    run_until(&lp, LIMIT, "client closed", || closed(&client));
    assert_eq!(client.trace(), "open handshake:true drain data:hello tls end close");
}

#[test]
fn open_waits_for_the_handshake_without_a_handshake_handler() {
    let lp = EventLoop::new().unwrap();
    let port = listen(&lp, server_tls("server.crt", "server.key"), echo_server());
    let client = Recorder::new(&[]);
    client.on(|lp, s, e| {
        if *e == Event::Open {
            assert!(lp.authorized(s).unwrap(), "open comes after a verified handshake");
            lp.end(s, b"x").unwrap();
        }
    });
    connect(&lp, "127.0.0.1", port, trusting_ca(), client.clone());
    run_until(&lp, LIMIT, "client closed", || closed(&client));
    assert_eq!(client.trace(), "open data:x end close");
}

fn failing_handshake(cert: &str, key: &str, host: &str, tls: TlsOptions) -> (String, String) {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::with_handshake(&[]);
    let port = listen(&lp, server_tls(cert, key), server.clone());
    let client = Recorder::with_handshake(&[]);
    let plain_client = Recorder::new(&[]);
    connect(&lp, host, port, tls.clone(), client.clone());
    connect(&lp, host, port, tls, plain_client.clone());
    run_until(&lp, LIMIT, "both clients done", || closed(&client) && closed(&plain_client));
    (client.trace(), plain_client.trace())
}

#[test]
fn self_signed_server_is_rejected_with_its_name() {
    let (with_hs, without) = failing_handshake("self.crt", "self.key", "localhost", TlsOptions::default());
    assert_eq!(
        with_hs,
        "open handshake:false:DEPTH_ZERO_SELF_SIGNED_CERT error:DEPTH_ZERO_SELF_SIGNED_CERT close:DEPTH_ZERO_SELF_SIGNED_CERT"
    );
    assert_eq!(without, "connect_error:DEPTH_ZERO_SELF_SIGNED_CERT");
}

#[test]
fn unknown_issuer_expired_and_wrong_name_have_their_names() {
    let (t, _) = failing_handshake("rogue.crt", "rogue.key", "localhost", trusting_ca());
    assert!(t.contains("handshake:false:UNABLE_TO_VERIFY_LEAF_SIGNATURE"), "{t}");
    let (t, _) = failing_handshake("expired.crt", "expired.key", "localhost", trusting_ca());
    assert!(t.contains("handshake:false:CERT_HAS_EXPIRED"), "{t}");
    let (t, _) = failing_handshake("other.crt", "other.key", "127.0.0.1", trusting_ca());
    assert!(t.contains("handshake:false:ERR_TLS_CERT_ALTNAME_INVALID"), "{t}");
}

#[test]
fn allow_unauthorized_completes_and_reports_the_verdict() {
    let lp = EventLoop::new().unwrap();
    let port = listen(&lp, server_tls("self.crt", "self.key"), echo_server());
    let client = Recorder::with_handshake(&[]);
    client.on(|lp, s, e| {
        if let Event::Handshake(true, Some(_)) = e {
            assert!(!lp.authorized(s).unwrap());
            lp.end(s, b"allowed").unwrap();
        }
    });
    let tls = TlsOptions { allow_unauthorized: true, ..Default::default() };
    connect(&lp, "localhost", port, tls, client.clone());
    run_until(&lp, LIMIT, "client closed", || closed(&client));
    assert_eq!(client.trace(), "open handshake:true:DEPTH_ZERO_SELF_SIGNED_CERT data:allowed end close");
}

#[test]
fn ip_and_name_sans_verify() {
    for host in ["127.0.0.1", "localhost", "::1"] {
        let lp = EventLoop::new().unwrap();
        let opts = ListenOptions {
            hostname: Some(if host == "::1" { "::1" } else { "127.0.0.1" }.into()),
            tls: Some(server_tls("server.crt", "server.key")),
            ..Default::default()
        };
        let l = lp.listen(&opts, echo_server()).unwrap();
        let client = Recorder::with_handshake(&[]);
        connect(&lp, host, lp.listener_port(l).unwrap(), trusting_ca(), client.clone());
        run_until(&lp, LIMIT, "handshake", || client.count(|e| matches!(e, Event::Handshake(..))) == 1);
        assert!(client.trace().contains("handshake:true"), "{host}: {}", client.trace());
    }
}

fn mtls(client_cert: Option<(&str, &str)>, allow: bool) -> (String, Option<bool>) {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::with_handshake(&[]);
    let mut tls = server_tls("server.crt", "server.key");
    tls.request_cert = true;
    tls.allow_unauthorized = allow;
    tls.cas = vec![pem("ca.crt")];
    let port = listen(&lp, tls, server.clone());
    let authorized = Rc::new(std::cell::Cell::new(None));
    let a = authorized.clone();
    server.on(move |lp, s, e| {
        if let Event::Handshake(true, _) = e {
            a.set(Some(lp.authorized(s).unwrap()));
        }
    });
    let mut ctls = trusting_ca();
    if let Some((c, k)) = client_cert {
        ctls.certs = vec![pem(c)];
        ctls.keys = vec![pem(k)];
    }
    let client = Recorder::with_handshake(&[]);
    let s = connect(&lp, "localhost", port, ctls, client.clone());
    run_until(&lp, LIMIT, "server handshake", || server.count(|e| matches!(e, Event::Handshake(..))) == 1);
    let _ = lp.close(s);
    (server.trace(), authorized.get())
}

#[test]
fn mtls_trusted_untrusted_and_missing_client_certs() {
    let (t, auth) = mtls(Some(("client.crt", "client.key")), false);
    assert!(t.starts_with("open handshake:true"), "{t}");
    assert_eq!(auth, Some(true));
    let (t, _) = mtls(Some(("rogue-client.crt", "rogue-client.key")), false);
    assert!(t.starts_with("open handshake:false:UNABLE_TO_VERIFY_LEAF_SIGNATURE"), "{t}");
    let (t, _) = mtls(None, false);
    assert!(t.starts_with("open handshake:false:UNABLE_TO_GET_ISSUER_CERT"), "{t}");
    let (t, auth) = mtls(None, true);
    assert!(t.starts_with("open handshake:true:UNABLE_TO_GET_ISSUER_CERT"), "{t}");
    assert_eq!(auth, Some(false));
}

#[test]
fn server_without_request_cert_reports_no_verdict_and_not_authorized() {
    let (t, auth) = {
        let lp = EventLoop::new().unwrap();
        let server = Recorder::with_handshake(&[]);
        let port = listen(&lp, server_tls("server.crt", "server.key"), server.clone());
        let auth = Rc::new(std::cell::Cell::new(None));
        let a = auth.clone();
        server.on(move |lp, s, e| {
            if let Event::Handshake(..) = e {
                a.set(Some(lp.authorized(s).unwrap()));
            }
        });
        let client = Recorder::new(&[]);
        connect(&lp, "localhost", port, trusting_ca(), client.clone());
        run_until(&lp, LIMIT, "server handshake", || auth.get().is_some());
        (server.trace(), auth.get())
    };
    assert_eq!(t, "open handshake:true");
    assert_eq!(auth, Some(false));
}

#[test]
fn alpn_and_sni_pick_protocol_and_chain() {
    let lp = EventLoop::new().unwrap();
    let mut tls = TlsOptions {
        certs: vec![pem("server.crt"), pem("other.crt")],
        keys: vec![pem("server.key"), pem("other.key")],
        ..Default::default()
    };
    tls.alpn = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let port = listen(&lp, tls, echo_server());
    let client = Recorder::with_handshake(&[]);
    let mut ctls = trusting_ca();
    ctls.server_name = Some("other.example".into());
    ctls.alpn = vec![b"http/1.1".to_vec()];
    let s = connect(&lp, "127.0.0.1", port, ctls, client.clone());
    run_until(&lp, LIMIT, "handshake", || client.count(|e| matches!(e, Event::Handshake(..))) == 1);
    assert_eq!(client.trace(), "open handshake:true", "other.example's chain was chosen and verified");
    assert_eq!(lp.alpn_protocol(s).unwrap().as_deref(), Some(&b"http/1.1"[..]));
}

#[test]
fn tls12_only_when_asked() {
    let lp = EventLoop::new().unwrap();
    let mut tls = server_tls("server.crt", "server.key");
    tls.max_version = bun_tcp::tls::TLS1_2;
    let port = listen(&lp, tls, echo_server());
    let client = Recorder::with_handshake(&[]);
    let s = connect(&lp, "localhost", port, trusting_ca(), client.clone());
    run_until(&lp, LIMIT, "handshake", || client.count(|e| matches!(e, Event::Handshake(..))) == 1);
    assert_eq!(lp.tls_version(s).unwrap(), Some("TLSv1.2"));
}

#[test]
fn sixteen_mib_each_way_arrive_intact() {
    let lp = EventLoop::new().unwrap();
    let port = listen(&lp, server_tls("server.crt", "server.key"), echo_server());
    let client = Recorder::new(&[]);
    let data: Rc<Vec<u8>> = Rc::new((0..16 << 20).map(|i: usize| (i.wrapping_mul(2654435761) >> 13) as u8).collect());
    let d = data.clone();
    client.on(move |lp, s, e| {
        if *e == Event::Open {
            lp.write_all(s, &d).unwrap();
        }
    });
    let s = connect(&lp, "localhost", port, trusting_ca(), client.clone());
    run_until(&lp, LIMIT, "echo", || client.received().len() == data.len());
    assert!(client.received() == *data);
    lp.end(s, b"").unwrap();
    run_until(&lp, LIMIT, "closed", || closed(&client));
}

#[test]
fn starttls_upgrades_both_ends() {
    let lp = EventLoop::new().unwrap();
    let tls_server = Recorder::with_handshake(&[]);
    tls_server.on(|lp, s, e| {
        if let Event::Data(d) = e {
            lp.write_all(s, d).unwrap();
        }
    });
    let ts = tls_server.clone();
    let plain_server = Recorder::new(&[]);
    plain_server.on(move |lp, s, e| {
        if let Event::Data(d) = e {
            assert_eq!(d, b"STARTTLS\r\n");
            lp.write(s, b"GO\r\n").unwrap();
            lp.upgrade_tls(s, &server_tls("server.crt", "server.key"), ts.clone(), true).unwrap();
        }
    });
    let l = lp
        .listen(&ListenOptions { hostname: Some("127.0.0.1".into()), ..Default::default() }, plain_server.clone())
        .unwrap();
    let tls_client = Recorder::with_handshake(&[]);
    tls_client.on(|lp, s, e| {
        if let Event::Handshake(true, None) = e {
            assert!(lp.authorized(s).unwrap());
            lp.end(s, b"secret").unwrap();
        }
    });
    let tc = tls_client.clone();
    let plain_client = Recorder::new(&[]);
    plain_client.on(move |lp, s, e| match e {
        Event::Open => {
            lp.write(s, b"STARTTLS\r\n").unwrap();
        }
        Event::Data(d) => {
            assert_eq!(d, b"GO\r\n");
            lp.upgrade_tls(s, &trusting_ca(), tc.clone(), false).unwrap();
        }
        _ => {}
    });
    let port = lp.listener_port(l).unwrap();
    lp.connect(
        &ConnectOptions { hostname: Some("127.0.0.1".into()), port, ..Default::default() },
        plain_client.clone(),
    )
    .unwrap();
    run_until(&lp, LIMIT, "tls client closed", || closed(&tls_client));
    assert_eq!(tls_client.trace(), "handshake:true data:secret end close");
    assert_eq!(plain_client.trace(), "open data:GO\r\n");
}

#[test]
fn bad_tls_options_fail_at_once_with_clear_errors() {
    let lp = EventLoop::new().unwrap();
    let h = Recorder::new(&[]);
    let try_listen = |tls: TlsOptions| {
        lp.listen(
            &ListenOptions { hostname: Some("127.0.0.1".into()), tls: Some(tls), ..Default::default() },
            h.clone(),
        )
        .unwrap_err()
    };
    let e =
        try_listen(TlsOptions { certs: vec![pem("garbage.pem")], keys: vec![pem("server.key")], ..Default::default() });
    assert_eq!(e.code, ETLS_BAD_PEM, "{e}");
    let e = try_listen(server_tls("server.crt", "other.key"));
    assert_eq!(e.code, ETLS_KEY_MISMATCH, "{e}");
    let e = try_listen(TlsOptions {
        certs: vec![pem("server.crt")],
        keys: vec![pem("encrypted.key")],
        ..Default::default()
    });
    assert_eq!(e.code, ETLS_KEY_ENCRYPTED, "{e}");
    assert!(e.message.contains("no passphrase"), "{e}");
    let wrong = TlsOptions {
        passphrase: Some("wrong".into()),
        ..TlsOptions { certs: vec![pem("server.crt")], keys: vec![pem("encrypted.key")], ..Default::default() }
    };
    assert_eq!(try_listen(wrong).code, ETLS_KEY_ENCRYPTED);
    let e = try_listen(TlsOptions {
        cert_file: Some("/nonexistent/cert.pem".into()),
        key_file: Some(fixtures().join("server.key")),
        ..Default::default()
    });
    assert_eq!(e.code, -libc::ENOENT, "{e}");
    assert!(e.message.contains("/nonexistent/cert.pem"), "{e}");
    let e = try_listen(TlsOptions {
        cert_file: Some(fixtures().clone()),
        key_file: Some(fixtures().join("server.key")),
        ..Default::default()
    });
    assert_eq!(e.code, -libc::EISDIR, "{e}");
    assert!(h.log.borrow().is_empty());
    let decrypted = TlsOptions {
        passphrase: Some("secret".into()),
        certs: vec![pem("server.crt")],
        keys: vec![pem("encrypted.key")],
        ..Default::default()
    };
    lp.listen(
        &ListenOptions { hostname: Some("127.0.0.1".into()), tls: Some(decrypted), ..Default::default() },
        h.clone(),
    )
    .unwrap();
    let files = TlsOptions {
        cert_file: Some(fixtures().join("server.crt")),
        key_file: Some(fixtures().join("server.key")),
        ..Default::default()
    };
    lp.listen(&ListenOptions { hostname: Some("127.0.0.1".into()), tls: Some(files), ..Default::default() }, h.clone())
        .unwrap();
}

#[test]
fn garbage_from_a_client_closes_it_and_the_server_serves_others() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    server.on(|lp, s, e| {
        if let Event::Data(d) = e {
            lp.write_all(s, d).unwrap();
        }
    });
    let port = listen(&lp, server_tls("server.crt", "server.key"), server.clone());
    let garbage = Recorder::new(&[]);
    garbage.on(|lp, s, e| {
        if *e == Event::Open {
            lp.write(s, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        }
    });
    lp.connect(&ConnectOptions { hostname: Some("127.0.0.1".into()), port, ..Default::default() }, garbage.clone())
        .unwrap();
    run_until(&lp, LIMIT, "garbage client closed", || closed(&garbage));
    let good = Recorder::new(&[]);
    good.on(|lp, s, e| {
        if *e == Event::Open {
            lp.end(s, b"fine").unwrap();
        }
    });
    connect(&lp, "localhost", port, trusting_ca(), good.clone());
    run_until(&lp, LIMIT, "good client closed", || closed(&good));
    assert_eq!(good.trace(), "open data:fine end close");
    assert_eq!(server.trace(), "open data:fine end close", "the garbage client never opened on the server");
}

#[test]
fn write_and_drain_move_every_byte_even_when_the_kernel_never_pushes_back() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    // TLS 1.2: nothing reaches the client after the handshake (no session tickets) to wake its
    // socket up. (Whether the kernel ever pushes back depends on its buffer sizes: the
    // interop test with a Bun peer is the one that showed lost drains before send_tls looped.)
    let mut tls = server_tls("server.crt", "server.key");
    tls.max_version = bun_tcp::tls::TLS1_2;
    let port = listen(&lp, tls, server.clone());
    let total = 4 << 20;
    let sent = Rc::new(std::cell::Cell::new(0usize));
    let s2 = sent.clone();
    let client = Recorder::with_handshake(&[]);
    client.on(move |lp, s, e| {
        if matches!(e, Event::Handshake(true, None) | Event::Drain) {
            while s2.get() < total {
                let chunk = vec![7u8; total - s2.get()];
                match lp.write(s, &chunk) {
                    Ok(0) => return,
                    Ok(n) => s2.set(s2.get() + n),
                    Err(e) => panic!("{e}"),
                }
            }
        }
    });
    connect(&lp, "localhost", port, trusting_ca(), client.clone());
    run_until(&lp, LIMIT, "all bytes", || server.received().len() == total);
}

/// What one end saw in `handshake`: whether it resumed, and its exported keying material.
type SessionView = (bool, Vec<u8>);

/// SPEC 8.5: connects with equal options (built anew each time) share the loop's session cache:
/// the second handshake resumes on both ends, and both ends export the same keying material.
#[test]
fn equal_options_resume_and_both_ends_export_the_same_keying_material() {
    use std::cell::RefCell;
    let lp = EventLoop::new().unwrap();
    let server = Recorder::with_handshake(&[]);
    let server_seen: Rc<RefCell<Vec<SessionView>>> = Rc::default();
    let seen = server_seen.clone();
    server.on(move |lp, s, e| {
        if let Event::Handshake(true, None) = e {
            let mut km = vec![0u8; 32];
            lp.export_keying_material(s, &mut km, b"EXPERIMENTAL-core", None).unwrap();
            seen.borrow_mut().push((lp.session_reused(s).unwrap(), km));
        }
    });
    let port = listen(&lp, server_tls("server.crt", "server.key"), server.clone());
    let mut client_seen = Vec::new();
    for _ in 0..2 {
        let client = Recorder::with_handshake(&[]);
        let seen: Rc<RefCell<Option<SessionView>>> = Rc::default();
        let mine = seen.clone();
        client.on(move |lp, s, e| {
            if let Event::Handshake(true, None) = e {
                let mut km = vec![0u8; 32];
                assert!(lp.export_keying_material(s, &mut km, b"EXPERIMENTAL-core", Some(b"")).is_ok());
                lp.export_keying_material(s, &mut km, b"EXPERIMENTAL-core", None).unwrap();
                *mine.borrow_mut() = Some((lp.session_reused(s).unwrap(), km));
                lp.end(s, b"").unwrap();
            }
        });
        let s = connect(&lp, "localhost", port, trusting_ca(), client.clone());
        assert!(!lp.session_reused(s).unwrap(), "connecting");
        let mut km = [0u8; 8];
        let before = lp.export_keying_material(s, &mut km, b"EXPERIMENTAL-core", None).unwrap_err();
        assert_eq!(before.code, bun_tcp::error::ENOTSUP, "before the handshake");
        run_until(&lp, LIMIT, "client closed", || closed(&client));
        client_seen.push(seen.borrow().clone().expect("handshake"));
    }
    run_until(&lp, LIMIT, "server saw both", || server_seen.borrow().len() == 2);
    let server_seen = server_seen.borrow();
    assert_eq!((client_seen[0].0, server_seen[0].0), (false, false), "first: full handshake");
    assert_eq!((client_seen[1].0, server_seen[1].0), (true, true), "second: resumed on both ends");
    for i in 0..2 {
        assert_eq!(client_seen[i].1, server_seen[i].1, "connection {i}: same keying material");
    }
    assert_ne!(client_seen[0].1, client_seen[1].1, "each connection has its own");
}
