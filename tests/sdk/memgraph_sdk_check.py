"""Runs the real Python memgraph-sdk against a running offcloud.

Started by tests/it/memgraph_sdk.rs, which provides a fresh tenant through the environment:
  OFFCLOUD_BASE_URL   the SDK's base_url (ends in /v1)
  OFFCLOUD_API_KEY    a working key of that tenant
  OFFCLOUD_TENANT_ID  the tenant's id
  OFFCLOUD_TENANT     the tenant's name
  OFFCLOUD_REVOKED    a key of that tenant that has been revoked
  OFFCLOUD_LIMITED_BASE_URL, OFFCLOUD_LIMITED_KEY (optional)
                      a server whose rate limit is on, and a key there: checks the 429 error
Exits non-zero, saying which check failed, when the SDK does not behave as against the real service.
"""

import os
import subprocess
import sys
import tempfile

import memgraph_sdk
from memgraph_sdk import MemgraphClient
from memgraph_sdk.exceptions import (
    MemgraphAuthError,
    MemgraphRateLimitError,
    MemgraphValidationError,
)

base_url = os.environ["OFFCLOUD_BASE_URL"]
api_key = os.environ["OFFCLOUD_API_KEY"]
tenant_id = os.environ["OFFCLOUD_TENANT_ID"]
tenant_name = os.environ["OFFCLOUD_TENANT"]
revoked = os.environ["OFFCLOUD_REVOKED"]

checks = 0


def check(condition, message):
    global checks
    if not condition:
        print(f"FAILED: {message}", file=sys.stderr)
        sys.exit(1)
    checks += 1


# ping(): GET {root}/health, then GET /v1/auth/whoami with X-API-KEY.
with MemgraphClient(api_key=api_key, base_url=base_url, max_retries=1) as client:
    result = client.ping()
check(result.get("status") == "healthy", f"ping status: {result}")
check(result.get("database") == "connected", f"ping database: {result}")
check(result.get("tenant_id") == tenant_id, f"ping tenant_id: {result}")
check(result.get("tenant_name") == tenant_name, f"ping tenant_name: {result}")

# The base URL may also come from MEMGRAPH_API_URL.
os.environ["MEMGRAPH_API_URL"] = base_url
with MemgraphClient(api_key=api_key, max_retries=1) as client:
    check(client.ping().get("tenant_id") == tenant_id, "ping through MEMGRAPH_API_URL")

# A revoked key makes ping raise the SDK's auth error (401 from whoami), without retries.
try:
    with MemgraphClient(api_key=revoked, base_url=base_url, max_retries=3) as client:
        client.ping()
    check(False, "ping with a revoked key should raise MemgraphAuthError")
except MemgraphAuthError as e:
    check(e.status_code == 401, f"auth error status {e.status_code}")
    check("Not authenticated" in str(e), f"auth error message: {e}")

# The memory methods, end to end (spec §7.3).
with MemgraphClient(api_key=api_key, base_url=base_url, max_retries=1, tenant_id=tenant_id) as client:
    user = "sdk_user"
    # remember(): POST /v1/beliefs, the SDK reads `id`.
    k8s = client.remember("We deploy everything on Kubernetes with Helm charts", user_id=user,
                          category="architecture")
    check(isinstance(k8s.get("id"), str), f"remember id: {k8s}")
    check(k8s.get("belief_type") == "fact" and k8s.get("domain") == "tech", f"remember body: {k8s}")
    tea = client.remember("Prefers green tea over coffee", user_id=user, category="preference")
    again = client.remember("Prefers green tea over coffee", user_id=user, category="preference")
    check(again["id"] == tea["id"], "the same fact twice keeps a single copy")

    # get_beliefs(): GET /v1/beliefs, `items` and a cursor.
    beliefs = client.get_beliefs(user_id=user)
    check(sorted(b["id"] for b in beliefs["items"]) == sorted([k8s["id"], tea["id"]]),
          f"get_beliefs items: {beliefs}")
    first = client.get_beliefs(user_id=user, limit=1)
    check(len(first["items"]) == 1 and first["next_cursor"], f"first page: {first}")
    rest = client.get_beliefs(user_id=user, limit=1, cursor=first["next_cursor"])
    check(len(rest["items"]) == 1 and rest["next_cursor"] is None, f"last page: {rest}")
    check(rest["items"][0]["id"] != first["items"][0]["id"], "pages do not repeat")

    # search(): POST /v2/context, ranked memories.
    found = client.search("how do we deploy, kubernetes or not?", user_id=user)
    check(found["total"] >= 1, f"search total: {found}")
    top = found["results"][0]
    check(top["id"] == k8s["id"], f"search top result: {found}")
    check(top["content"] == "We deploy everything on Kubernetes with Helm charts", f"search content: {top}")
    check(0 < top["score"] < 1 and top["type"] == "belief", f"search score and type: {top}")
    check(client.search("astronomy", user_id=user)["total"] == 0, "search finds nothing unrelated")
    graph = client.get_context_graph("green tea", user_id=user)
    check(graph["memories"][0]["id"] == tea["id"], f"get_context_graph: {graph}")

    # add(): POST /v1/ingest as a form; the text is searchable as an event.
    added = client.add("My dentist appointment moved to Friday", user_id=user)
    check(isinstance(added.get("event_id"), str), f"add: {added}")
    dentist = client.search("dentist", user_id=user)
    check(dentist["total"] == 1 and dentist["results"][0]["id"] == added["event_id"],
          f"search finds added text: {dentist}")

    # A new value for one key supersedes the old: history and timeline show both.
    key = k8s["key"]
    import requests  # the SDK's own transport, for the one write it has no method for

    newer = requests.post(f"{base_url}/beliefs", headers={"X-API-KEY": api_key},
                          json={"subject_id": user, "key": key, "value": "We moved to Nomad",
                                "belief_type": "fact", "domain": "tech"}, timeout=10).json()
    check(newer.get("version") == 2, f"supersede: {newer}")
    history = client.belief_history(user, key)
    check([h["value"] for h in history] == ["We deploy everything on Kubernetes with Helm charts",
                                            "We moved to Nomad"], f"belief_history: {history}")
    check(history[0]["epistemic_status"] == "superseded", f"old version: {history[0]}")
    active_only = client.belief_history(user, key, include_inactive=False)
    check([h["id"] for h in active_only] == [newer["id"]], f"history active only: {active_only}")
    timeline = client.belief_timeline(user)
    check(timeline["subject_id"] == user and timeline["count"] == 3, f"belief_timeline: {timeline}")
    changes = sorted(t["change"] for t in timeline["timeline"])
    check(changes == ["created", "created", "superseded"], f"timeline changes: {changes}")
    check(client.belief_timeline(user, domain="tech", limit=1)["count"] == 1, "timeline filters")
    previously = client.search("kubernetes helm", user_id=user)
    check(any(r["content"].startswith("[PREVIOUSLY] ") for r in previously["results"]),
          f"superseded memories are marked: {previously}")

    # health() and contradictions(): computed from the stored beliefs.
    health = client.health(user_id=user)
    check(health.get("status") == "healthy" and health.get("active_beliefs") == 2
          and health.get("total_beliefs") == 3, f"health: {health}")
    # The supersede above recorded an open contradiction between the two versions.
    report = client.contradictions(user_id=user)
    check(report.get("count") == 1 and report["contradictions"][0]["key"] == key
          and report["contradictions"][0]["belief_b_id"] == newer["id"], f"contradictions: {report}")

    # forget(): one belief; forget_all(): the rest, soft then hard.
    gone = client.forget(tea["id"])
    check(gone == {"status": "deleted", "id": tea["id"]}, f"forget: {gone}")
    soft = client.forget_all(user, soft=True)
    check(soft == {"status": "deleted", "deleted": 1, "domain": None}, f"forget_all soft: {soft}")
    check(client.get_beliefs(user_id=user)["items"] == [], "soft-forgotten beliefs are not listed")
    hard = client.forget_all(user, domain="tech")
    check(hard["deleted"] == 2 and hard["domain"] == "tech", f"forget_all hard: {hard}")
    check(client.belief_history(user, key) == [], "hard-forgotten beliefs are gone")

    # Error classes: 404 and 422 are validation errors, never retried.
    try:
        client.forget(tea["id"])
        check(False, "forgetting twice should raise")
    except MemgraphValidationError as e:
        check(e.status_code == 404 and "Belief not found" in str(e), f"404: {e}")
    try:
        client.get_beliefs(user_id=user, limit=1000)
        check(False, "limit=1000 should raise")
    except MemgraphValidationError as e:
        check(e.status_code == 422, f"422 status: {e.status_code}")
        check(e.response_body["detail"][0]["loc"] == ["query", "limit"], f"422 body: {e.response_body}")

# The SDK's CLI: `memgraph remember` (POST /v1/beliefs as cli_user), `memgraph recall`
# (POST /v2/context) and `memgraph status` (GET {root}/health), configured by environment only.
cli = [os.path.join(os.path.dirname(sys.executable), "memgraph")]
cli_env = dict(os.environ, MEMGRAPH_API_URL=base_url, MEMGRAPH_API_KEY=api_key)
with tempfile.TemporaryDirectory() as cwd:  # no .memgraph.env there
    def run_cli(*args):
        done = subprocess.run(cli + list(args), env=cli_env, cwd=cwd, capture_output=True,
                              text=True, timeout=60)
        return done.stdout + done.stderr

    out = run_cli("remember", "The staging database is PostgreSQL 16 on port 5433")
    check("Remembered" in out, f"cli remember: {out}")
    out = run_cli("recall", "which postgresql port does staging use")
    check("Found 1 result(s)" in out and "PostgreSQL 16 on port 5433" in out, f"cli recall: {out}")
    out = run_cli("recall", "astronomy")
    check("No memories found" in out, f"cli recall of nothing: {out}")
    out = run_cli("status")
    check("Server is reachable" in out, f"cli status: {out}")
with MemgraphClient(api_key=api_key, base_url=base_url, max_retries=1) as client:
    cli_beliefs = client.get_beliefs(user_id="cli_user")["items"]
    check([b["value"] for b in cli_beliefs] == ["The staging database is PostgreSQL 16 on port 5433"],
          f"cli belief stored: {cli_beliefs}")

# 429: a key over its allowance on a rate-limited server (Retry-After is honoured once, then raised).
limited_url = os.environ.get("OFFCLOUD_LIMITED_BASE_URL")
if limited_url:
    limited_key = os.environ["OFFCLOUD_LIMITED_KEY"]
    with MemgraphClient(api_key=limited_key, base_url=limited_url, max_retries=1) as client:
        try:
            for _ in range(1000):
                client.get_beliefs(user_id="someone")
            check(False, "the rate limit should have answered 429")
        except MemgraphRateLimitError as e:
            check(e.status_code == 429, f"429 status: {e.status_code}")
            check(1 <= e.retry_after <= 60, f"Retry-After: {e.retry_after}")
            check("Rate limit exceeded" in str(e), f"429 message: {e}")

print(f"memgraph-sdk {memgraph_sdk.__version__} against {base_url}: {checks} checks passed")
