# The real Python memgraph-sdk, with its `mcp` extra (the MCP client the tests drive mcp.py with,
# and httpx for AsyncMemgraphClient), in a virtualenv, for tests/it/memgraph_sdk*.rs.
python3 -m venv target/sdk-venv
target/sdk-venv/bin/python -m pip install --quiet --disable-pip-version-check "memgraph-sdk[mcp]==0.8.6" "mcp==1.30.0"
export OFFCLOUD_SDK_PYTHON="$PWD/target/sdk-venv/bin/python"
