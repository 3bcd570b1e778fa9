"""The TypeDB "Deploy through the API" flow with Python requests, as the tutorial and the
typedb-examples script write it, against offcloud. Run by tests/it/typedb/clients.rs."""

import os
import sys
import time

import requests

base = os.environ["TYPEDB_CLOUD_URL"]
client_id = os.environ["TYPEDB_CLIENT_ID"]
client_secret = os.environ["TYPEDB_CLIENT_SECRET"]
team, space = os.environ["TYPEDB_TEAM"], os.environ["TYPEDB_SPACE"]

# The documented header, literally: "Basic {CLIENT_ID}:{CLIENT_SECRET}".
response = requests.post(f"{base}/api/v1/auth",
                         headers={"Authorization": f"Basic {client_id}:{client_secret}"})
response.raise_for_status()
token = response.text
assert token and not token.endswith("\n"), repr(token)

# What requests sends for auth=: RFC 7617 base64.
standard = requests.post(f"{base}/api/v1/auth", auth=(client_id, client_secret))
standard.raise_for_status()

wrong = requests.post(f"{base}/api/v1/auth", auth=(client_id, "wrong"))
assert wrong.status_code == 400 and wrong.json()["message"], wrong.text

headers = {"Authorization": f"Bearer {token}"}
clusters = f"{base}/api/v1/team/{team}/spaces/{space}/clusters"
versions = requests.get(f"{base}/api/v1/cluster-versions", headers=headers)
versions.raise_for_status()
assert "availableVersions" in versions.json(), versions.text

body = {"id": "api-cluster", "serverCount": 1, "storageSizeGB": 10, "provider": "gcp",
        "region": "europe-west2", "isFree": True, "machineType": "c2d-highcpu-2",
        "storageType": "standard-rwo", "version": "latest"}
deployed = requests.post(f"{clusters}/deploy", headers=headers, json=body)
if deployed.status_code >= 400:
    print(deployed.text)
    sys.exit(1)
assert deployed.json()["status"] == "starting", deployed.text

status = deployed.json()["status"]
for _ in range(100):
    if status == "running":
        break
    time.sleep(0.05)
    got = requests.get(f"{clusters}/api-cluster", headers=headers)
    got.raise_for_status()
    status = got.json()["status"]
assert status == "running", status

again = requests.post(f"{clusters}/deploy", headers=headers, json=body)
assert again.status_code == 409 and again.json()["message"], again.text

listed = requests.get(clusters, headers=headers)
listed.raise_for_status()
assert [c["id"] for c in listed.json()] == ["api-cluster"], listed.text
print("checks passed")
