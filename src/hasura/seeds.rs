//! Static lists every user sees (docs/spec/hasura.md §6.12, §6.13, §8.1): regions, plans and
//! privileges. Region ids are the providers' own names [inferred]; NAT IPs are from documentation
//! ranges (RFC 5737), an emulator choice, so allowlists built from them are obviously not real.

use serde_json::{Value, json};

use super::model::Row;

/// (cloud, region id, display name).
pub const REGIONS: &[(&str, &str)] = &[
    ("aws", "us-west-1"),
    ("aws", "us-west-2"),
    ("aws", "us-east-2"),
    ("aws", "us-east-1"),
    ("aws", "eu-west-2"),
    ("aws", "eu-central-1"),
    ("aws", "eu-west-1"),
    ("aws", "ca-central-1"),
    ("aws", "ap-northeast-1"),
    ("aws", "ap-southeast-2"),
    ("aws", "ap-southeast-1"),
    ("aws", "ap-south-1"),
    ("gcp", "us-west2"),
    ("gcp", "us-central1"),
    ("gcp", "us-west1"),
    ("gcp", "us-east4"),
    ("gcp", "europe-west3"),
    ("gcp", "europe-west1"),
    ("azure", "eastus"),
    ("azure", "francecentral"),
];

pub fn region_exists(cloud: &str, region: &str) -> bool {
    REGIONS.iter().any(|(c, r)| *c == cloud && *r == region)
}

pub fn regions() -> Vec<Row> {
    REGIONS
        .iter()
        .enumerate()
        .map(|(i, (cloud, name))| {
            let nat_ip = format!("192.0.2.{}", i + 10);
            row(json!({
                "cloud": cloud,
                "name": name,
                "is_active": true,
                "metrics_fqdn": format!("{name}-{cloud}.metrics.pro.hasura.io"),
                "nat_ip": nat_ip,
                "nat_ips": [nat_ip],
            }))
        })
        .collect()
}

pub const PLANS: &[&str] = &["cloud_free", "cloud_free_v2", "cloud_payg"];

pub fn plans() -> Vec<Row> {
    PLANS
        .iter()
        .map(|name| {
            let paid = *name == "cloud_payg";
            row(json!({
                "name": name,
                "description": match *name {
                    "cloud_payg" => "Standard",
                    _ => "Free",
                },
                "collaborators_enabled": true,
                "max_collaborators": if paid { Value::Null } else { json!(2) },
                "caching_enabled": paid,
                "metrics_enabled": true,
                "tracing_enabled": paid,
                "allow_list_enabled": paid,
                "api_limits_enabled": paid,
                "read_replicas_enabled": paid,
                "regression_tests_enabled": paid,
                "max_reqs_per_min": if paid { Value::Null } else { json!(60) },
                "log_retention": if paid { 30 } else { 7 },
            }))
        })
        .collect()
}

pub const PRIVILEGES: &[(&str, &str, &str)] = &[
    (
        "admin",
        "Admin",
        "Full access to the project, including its console",
    ),
    (
        "graphql_admin",
        "Execute GraphQL",
        "Run GraphQL queries with the admin secret",
    ),
    ("view_metrics", "View Metrics", "View the project's metrics"),
];

pub fn privileges() -> Vec<Row> {
    PRIVILEGES
        .iter()
        .enumerate()
        .map(|(i, (slug, name, description))| {
            row(json!({"slug": slug, "name": name, "description": description, "display_order": i + 1}))
        })
        .collect()
}

fn row(value: Value) -> Row {
    match value {
        Value::Object(map) => map,
        _ => Row::new(),
    }
}
