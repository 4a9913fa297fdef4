//! A run's figures, as one JSON line (for scripts) and a readable table.

use serde_json::{json, Value};

use crate::run::{Options, Outcome};

/// Labels that only tag the report (the comparison script sets them).
#[derive(Debug, Clone, Default)]
pub struct Labels {
    pub scenario: Option<String>,
    pub server: Option<String>,
}

/// The report as one flat JSON object; figures that were not measured
/// (no `--pid`, no message in the window) are `null`.
pub fn json(opts: &Options, labels: &Labels, out: &Outcome) -> Value {
    let window = opts.duration.as_secs_f64();
    let per_s = |n: u64| n as f64 / window;
    let us = |ns: u64| (ns as f64 / 100.0).round() / 10.0; // µs, one decimal
    let measured = out.latency.count() > 0;
    let latency = |ns: u64| measured.then(|| us(ns));
    let per_delivery = |cpu_ns: u64| {
        (out.delivered_in_window > 0)
            .then(|| (cpu_ns as f64 / out.delivered_in_window as f64).round())
    };
    let cpu_pct = |cpu_ns: u64| {
        (cpu_ns as f64 / out.window_time.as_nanos().max(1) as f64 * 1000.0).round() / 10.0
    };
    let client_cpu = out.client[1].cpu_ns.saturating_sub(out.client[0].cpu_ns);
    let server_cpu = out.server.map_or(0, |[_, _, start, end]| {
        end.cpu_ns.saturating_sub(start.cpu_ns)
    });
    // Busy time of the whole machine that was neither the server's nor
    // ours: other work on a shared machine, which disturbs the figures.
    let other_cpu = out
        .machine_busy_ns
        .filter(|_| out.server.is_some())
        .map(|busy| cpu_pct(busy.saturating_sub(server_cpu + client_cpu)));

    let mut report = json!({
        "scenario": labels.scenario,
        "server": labels.server,
        "url": opts.url,
        "subscribers": opts.subscribers,
        "publishers": out.publishers,
        "size": opts.size,
        "rate": opts.rate,
        "window": opts.window,
        "warmup_s": opts.warmup.as_secs_f64(),
        "duration_s": window,
        "connected": out.connected,
        "connect_errors": out.connect_errors,
        "first_connect_error": out.first_connect_error,
        "handshakes_per_s": (out.connected as f64 / out.connect_time.as_secs_f64().max(1e-9)).round(),
        "sent": out.sent,
        "sent_per_s": per_s(out.sent_in_window).round(),
        "deliveries": out.delivered,
        "deliveries_per_s": per_s(out.delivered_in_window).round(),
        "p50_us": latency(out.latency.quantile(0.50)),
        "p99_us": latency(out.latency.quantile(0.99)),
        "max_us": latency(out.latency.max()),
        "lost": out.lost,
        "gaps": out.gaps,
        "duplicates": out.duplicates,
        "closed_by_server": out.closed_by_server,
        "protocol_errors": out.protocol_errors,
        "client_cpu_pct": cpu_pct(client_cpu),
        "client_cpu_ns_per_delivery": per_delivery(client_cpu),
        "other_cpu_pct": other_cpu,
        "server_pid": opts.pid,
        "server_cpu_pct": null,
        "server_cpu_ns_per_delivery": null,
        "server_rss_kib": null,
        "server_rss_idle_kib": null,
        "server_rss_connected_kib": null,
        "idle_rss_per_conn_kib": null,
        "server_threads": null,
        "client_rss_per_conn_kib": per_connection(out, out.client_rss_kib[1].saturating_sub(out.client_rss_kib[0])),
        "machine_per_conn_kib": out.mem_available_kib.and_then(|[before, after]| {
            per_connection(out, before.saturating_sub(after))
        }),
    });
    if let Some([before, connected, _, end]) = out.server {
        let cpu = server_cpu;
        let per_conn = (out.connected > 0).then(|| {
            let grown = connected.rss_kib.saturating_sub(before.rss_kib) as f64;
            (grown / out.connected as f64 * 10.0).round() / 10.0
        });
        let fields = json!({
            "server_cpu_pct": cpu_pct(cpu),
            "server_cpu_ns_per_delivery": per_delivery(cpu),
            "server_rss_kib": end.rss_kib,
            "server_rss_idle_kib": before.rss_kib,
            "server_rss_connected_kib": connected.rss_kib,
            "idle_rss_per_conn_kib": per_conn,
            "server_threads": connected.threads,
        });
        if let (Value::Object(report), Value::Object(fields)) = (&mut report, fields) {
            report.extend(fields);
        }
    }
    report
}

/// The same figures as a table for people.
pub fn table(report: &Value) -> String {
    let get = |key: &str| match &report[key] {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => group(f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    };
    let ms = |key: &str| match report[key].as_f64() {
        Some(us) => format!("{:.2}", us / 1000.0),
        None => "-".to_string(),
    };
    let rows: [(&str, String); 18] = [
        ("target", get("url")),
        (
            "load",
            format!(
                "{} subscribers, {} publishers, {} B messages, rate {} (0 = window of {})",
                get("subscribers"),
                get("publishers"),
                get("size"),
                get("rate"),
                get("window")
            ),
        ),
        (
            "window",
            format!(
                "{} s after {} s of warm-up",
                get("duration_s"),
                get("warmup_s")
            ),
        ),
        (
            "connections",
            format!(
                "{} connected, {} errors, {} handshakes/s",
                get("connected"),
                get("connect_errors"),
                get("handshakes_per_s")
            ),
        ),
        ("messages sent/s", get("sent_per_s")),
        ("deliveries/s", get("deliveries_per_s")),
        (
            "latency ms",
            format!(
                "p50 {}, p99 {}, max {}",
                ms("p50_us"),
                ms("p99_us"),
                ms("max_us")
            ),
        ),
        (
            "lost",
            format!(
                "{} (gaps {}, duplicates {}, closed by server {}, protocol errors {})",
                get("lost"),
                get("gaps"),
                get("duplicates"),
                get("closed_by_server"),
                get("protocol_errors")
            ),
        ),
        ("server CPU", format!("{} %", get("server_cpu_pct"))),
        (
            "server CPU/delivery",
            format!("{} ns", get("server_cpu_ns_per_delivery")),
        ),
        (
            "server RSS",
            format!(
                "{} KiB idle, {} KiB connected, {} KiB at the end",
                get("server_rss_idle_kib"),
                get("server_rss_connected_kib"),
                get("server_rss_kib")
            ),
        ),
        (
            "RSS/connection",
            format!("{} KiB", get("idle_rss_per_conn_kib")),
        ),
        (
            "machine/connection",
            format!(
                "{} KiB of MemAvailable (all processes and the kernel; the load generator's RSS {} KiB of it)",
                get("machine_per_conn_kib"),
                get("client_rss_per_conn_kib")
            ),
        ),
        ("server threads", get("server_threads")),
        ("client CPU", format!("{} %", get("client_cpu_pct"))),
        (
            "other work's CPU",
            format!("{} % (of one core)", get("other_cpu_pct")),
        ),
        (
            "client CPU/delivery",
            format!("{} ns", get("client_cpu_ns_per_delivery")),
        ),
        ("first connect error", get("first_connect_error")),
    ];
    let mut text = String::new();
    for (name, value) in rows {
        text.push_str(&format!("{name:<21} {value}\n"));
    }
    text
}

/// 1234567 as "1,234,567".
pub fn group(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// `kib` spread over the connected clients, to a tenth of a KiB.
fn per_connection(out: &Outcome, kib: u64) -> Option<f64> {
    (out.connected > 0).then(|| (kib as f64 / out.connected as f64 * 10.0).round() / 10.0)
}
