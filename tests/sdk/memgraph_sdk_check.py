"""Runs the real Python memgraph-sdk against a running offcloud.

Started by tests/it/memgraph_sdk.rs, which provides a fresh tenant through the environment:
  OFFCLOUD_BASE_URL   the SDK's base_url (ends in /v1)
  OFFCLOUD_API_KEY    a working key of that tenant
  OFFCLOUD_TENANT_ID  the tenant's id
  OFFCLOUD_TENANT     the tenant's name
  OFFCLOUD_REVOKED    a key of that tenant that has been revoked
Exits non-zero, saying which check failed, when the SDK does not behave as against the real service.
"""

import os
import sys

import memgraph_sdk
from memgraph_sdk import MemgraphClient
from memgraph_sdk.exceptions import MemgraphAuthError

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

print(f"memgraph-sdk {memgraph_sdk.__version__} against {base_url}: {checks} checks passed")
